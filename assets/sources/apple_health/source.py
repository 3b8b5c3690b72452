"""The Apple Health source's registry entry."""

from pathlib import Path

import polars as pl

from assets.lake.markdown import markdown_table
from assets.lake.resources import Lake
from assets.sources.apple_health.defs import apple_assets, apple_checks
from assets.sources.apple_health.files import (
    NAME,
    PARTITIONED,
    AppleHealthSource,
    claims_apple_export,
)
from assets.sources.source import WATCH_GATES, FromTable, Source, SourcePath
from assets.sources.truth import TRUTH_FILE

TRUTH_DIR = "export.truth"


def apple_truth(user_id: str, export: Path) -> pl.LazyFrame | None:
    """Apple sidecar rows grouped per workout, keyed like apple workout ids (user/UTC start)."""
    sidecar = export.parent / TRUTH_DIR / TRUTH_FILE
    if not sidecar.is_file():
        return None
    start = pl.col("workout_start").dt.strftime("%Y%m%dT%H%M%SZ")
    return (
        pl.scan_parquet(sidecar)
        .group_by(workout=pl.format("{}/{}/{}", pl.lit(NAME), pl.lit(user_id), start))
        .agg(
            timestamp=pl.col("time").sort().dt.epoch("s"),
            latent=pl.col("latent_hr").sort_by("time"),
        )
    )


def apple_truths(_lake: Lake, _apple: SourcePath, exports: pl.DataFrame) -> list:
    """The sidecar beside each ingested person's export (`<person>/export.truth/`)."""
    return [
        apple_truth(user, Path(path)) for user, path in exports.select("user_id", "path").rows()
    ]


def heart_rate_density(alignment: pl.DataFrame) -> list[str]:
    """How dense each run's heart rate was, per quality class (the quality audit shows it)."""
    density = alignment.group_by("quality_class").agg(
        runs=pl.len(), hr_per_min_median=pl.col("hr_per_min").median()
    )
    return [
        "Apple Health heart-rate density per run:",
        markdown_table(density.sort("quality_class")),
    ]


def quality_classes(alignment: pl.DataFrame) -> pl.DataFrame:
    """(workout key, heart-rate quality class) of every aligned run."""
    return alignment.select(
        workout=pl.format("{}/{}", pl.lit(NAME), "workout_id"), quality_class="quality_class"
    )


APPLE_HEALTH = Source(
    name=NAME,
    resource=AppleHealthSource,
    env_var="PULSELAKE_APPLE",
    description="Ingest one person's Apple Health export (a partition) and align heart rate onto "
    "each run's GPS clock.",
    assets=apple_assets,
    checks=apple_checks,
    workouts_asset="apple_running_workouts",
    claims=claims_apple_export,
    partitioned=PARTITIONED,
    gate_overrides=WATCH_GATES,
    truth=apple_truths,
    audit_notes=FromTable("apple_alignment", heart_rate_density),
    quality_classes=FromTable("apple_alignment", quality_classes),
)
