"""The simulator's noise-free heart rate on the evaluation grid: the yardstick of accuracy. A
workout's truth sidecar holds the latent heart rate at every sample; gridded with the same code
as the measured one, it gives the noise floor (latent vs measured on the same masked steps).
Real data has no sidecar, and the table is simply empty.

Sidecars: FitRec `<file>.truth/latent_hr.parquet` and activity files `<folder>.truth/...`
(workout_id, timestamp list, latent_hr list); Apple Health `<user folder>/export.truth/...`
(workout_start, time, latent_hr).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from assets.grid import to_grid
from simulator import truth_dir_for
from simulator.activity_files import truth_dir_for_folder

TRUTH_FILE = "latent_hr.parquet"
APPLE_TRUTH_DIR = "export.truth"
LATENT_COLUMNS = {"workout": pl.String, "step": pl.Int32, "latent": pl.Float32}
SERIES = {"workout": pl.String, "timestamp": pl.List(pl.Int64), "latent": pl.List(pl.Float32)}


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


def apple_truth(user_id: str, export: Path) -> pl.LazyFrame | None:
    """Apple sidecar rows grouped per workout, keyed like apple workout ids (user/UTC start)."""
    sidecar = export.parent / APPLE_TRUTH_DIR / TRUTH_FILE
    if not sidecar.is_file():
        return None
    start = pl.col("workout_start").dt.strftime("%Y%m%dT%H%M%SZ")
    return (
        pl.scan_parquet(sidecar)
        .group_by(workout=pl.format("apple_health/{}/{}", pl.lit(user_id), start))
        .agg(
            timestamp=pl.col("time").sort().dt.epoch("s"),
            latent=pl.col("latent_hr").sort_by("time"),
        )
    )


def truth_series(
    fitrec_files: list[str], apple_exports: list[tuple[str, str]], activity_folder: Path
) -> pl.LazyFrame:
    """Every sidecar found beside the ingested files, as (workout, timestamp, latent)."""
    found = [listed_truth(truth_dir_for(Path(p)), "fitrec") for p in fitrec_files]
    found += [apple_truth(user, Path(p)) for user, p in apple_exports]
    found.append(listed_truth(truth_dir_for_folder(activity_folder), "activity_files"))
    frames = [f.cast(SERIES) for f in found if f is not None]
    return pl.concat(frames) if frames else pl.LazyFrame(schema=SERIES)


def latent_on_grid(
    truth: pl.LazyFrame, starts: pl.DataFrame, step_seconds: float, hr_max_gap_seconds: float
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
    grid = to_grid(series, step_seconds, hr_max_gap_seconds)
    keys = series.select("workout").with_row_index("row")
    return (
        grid.join(keys, on="row")
        .select("workout", "step", latent="heart_rate")
        .drop_nulls("latent")
        .cast(LATENT_COLUMNS)
    )
