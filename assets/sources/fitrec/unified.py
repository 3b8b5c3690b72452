"""FitRec bronze rows in the unified workout schema (`schemas.workouts.Workouts`)."""

import polars as pl

from assets.sources.unify import UNIFIED


def fitrec_unified(bronze: pl.LazyFrame) -> pl.LazyFrame:
    """FitRec bronze -> unified: string ids, start time from the first timestamp (UTC)."""
    return bronze.select(
        source=pl.lit("fitrec"),
        workout_id=pl.col("workout_id").cast(pl.String),
        user_id=pl.col("user_id").cast(pl.String),
        sport="sport",
        gender="gender",
        start_time=pl.from_epoch(pl.col("timestamp").list.first(), "s").dt.replace_time_zone("UTC"),
        source_file="source_file",
        timestamp="timestamp",
        heart_rate="heart_rate",
        speed="speed",
        altitude="altitude",
        latitude="latitude",
        longitude="longitude",
    ).cast(dict(UNIFIED))
