"""The simulator's truth sidecars beside simulated input: the latent (noise-free) heart rate of
each workout, read as (workout, timestamp list, latent list) with workout keyed
`<source>/<workout_id>` like the unified table. Real data has no sidecar: nothing is read."""

from pathlib import Path

import polars as pl

TRUTH_FILE = "latent_hr.parquet"
TRUTH_SERIES = {
    "workout": pl.String,
    "timestamp": pl.List(pl.Int64),
    "latent": pl.List(pl.Float32),
}


def listed_truth(truth_dir: Path, source: str) -> pl.LazyFrame | None:
    """Per workout of a sidecar with one row per workout: key, timestamps and latent HR."""
    sidecar = truth_dir / TRUTH_FILE
    if not sidecar.is_file():
        return None
    return pl.scan_parquet(sidecar).select(
        workout=pl.format("{}/{}", pl.lit(source), "workout_id"),
        timestamp="timestamp",
        latent="latent_hr",
    )
