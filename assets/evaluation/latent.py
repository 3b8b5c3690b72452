"""The simulator's noise-free heart rate on the evaluation grid: the yardstick of accuracy. A
workout's truth sidecar holds the latent heart rate at every sample; gridded with the same code
as the measured one, it gives the noise floor (latent vs measured on the same masked steps).
Real data has no sidecar, and the table is simply empty.

Each source reads its own sidecars (`Source.truth`, e.g. FitRec `<file>.truth/latent_hr.parquet`,
Apple Health `<user folder>/export.truth/...`).
"""

from __future__ import annotations

import polars as pl

from assets.features.grid import to_grid
from assets.sources.truth import TRUTH_SERIES

LATENT_COLUMNS = {"workout": pl.String, "step": pl.Int32, "latent": pl.Float32}


def truth_series(found: list[pl.LazyFrame | None]) -> pl.LazyFrame:
    """Every sidecar the sources found beside their files, as (workout, timestamp, latent)."""
    frames = [truth.cast(TRUTH_SERIES) for truth in found if truth is not None]
    return pl.concat(frames) if frames else pl.LazyFrame(schema=TRUTH_SERIES)


def latent_on_grid(
    truth: pl.LazyFrame, starts: pl.DataFrame, step_seconds: float, grid_hr_max_gap_s: float
) -> pl.DataFrame:
    """(workout, step, latent) for the workouts in `starts` (workout, first_timestamp). The
    truth is cut to start where the ingested series starts (Apple runs begin at the first fix
    with heart rate, after the route's first fixes) and kept only when it has a sample at that
    very second, so grid steps coincide."""
    series = (
        truth.join(starts.lazy(), on="workout", how="inner")
        .explode("timestamp", "latent")
        .filter(pl.col("timestamp") >= pl.col("first_timestamp"))
        .group_by("workout")
        .agg(
            pl.col("timestamp", "latent").sort_by("timestamp"),
            aligned=(pl.col("timestamp").min() == pl.col("first_timestamp").first()),
        )
        .filter("aligned")
        .select(
            "workout",
            "timestamp",
            heart_rate="latent",
            speed=pl.col("latent").list.eval(pl.element() * 0),
            altitude=pl.col("latent").list.eval(pl.element() * 0),
        )
        .sort("workout")
        .collect()
    )
    if series.is_empty():
        return pl.DataFrame(schema=LATENT_COLUMNS)
    grid = to_grid(series, step_seconds, grid_hr_max_gap_s)
    keys = series.select("workout").with_row_index("row")
    return (
        grid.join(keys, on="row")
        .select("workout", "step", latent="heart_rate")
        .drop_nulls("latent")
        .cast(LATENT_COLUMNS)
    )
