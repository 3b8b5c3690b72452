"""The seven quality gates, the artifact detectors and the data-quality audit report."""
