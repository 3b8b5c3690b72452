"""Heart-rate models and their training loop: torch only, never dagster, so they run on any GPU node."""
