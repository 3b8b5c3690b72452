"""pandera.polars models, one per lake table, run as asset checks."""
