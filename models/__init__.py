"""Heart-rate models and training: torch only, never dagster, so they run on any GPU node."""
