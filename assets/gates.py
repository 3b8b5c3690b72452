"""The seven quality gates over the unified workout table, as polars expressions.

Each gate is a named rule with a measured value; a workout is rejected at the first gate it
fails, and the value that failed it is kept. Gates 1-4 are measured on the list columns
directly; gates 5-7 on the exploded steps of the survivors, after artifact repair. Speed
missing from the source is derived from positions with a trailing window (never the future).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from assets.artifacts import ArtifactConfig
from assets.geo import haversine_m

GATES = ("sport", "required", "aligned", "size", "heart_rate", "speed_altitude", "gps")
SERIES = ("timestamp", "heart_rate", "speed", "altitude", "latitude", "longitude")


@dataclass(frozen=True)
class GateConfig:
    """Every threshold of the gates (defaults from the issue and the research code's V1)."""

    sport: str = "run"
    min_samples: int = 50
    min_duration_s: float = 300.0
    # steps without a usable heart rate after repair: gaps, values outside the artifact
    # config's 30-230 bpm, and every other masked artifact
    max_unusable_hr_share: float = 0.5
    speed_max_kmh: float = 25.0  # after trailing smoothing
    speed_window_steps: int = 5
    altitude_min_m: float = -500.0
    altitude_max_m: float = 6000.0
    teleport_kmh: float = 100.0  # implied speed between two fixes that no runner reaches
    max_gap_s: float = 300.0
    min_moving_share: float = 0.2  # steps whose position changed; below this GPS is stuck
    artifacts: ArtifactConfig = field(default_factory=ArtifactConfig)


def _first_missing() -> pl.Expr:
    """Name of the first required field that is absent (null or empty), else null."""
    positions = pl.col("latitude").list.len().fill_null(0) > 0
    checks = [
        ("workout_id", pl.col("workout_id").is_not_null()),
        ("user_id", pl.col("user_id").is_not_null()),
        ("gender", pl.col("gender").is_not_null()),
        *((name, pl.col(name).list.len().fill_null(0) > 0) for name in SERIES[:2]),
        ("altitude", pl.col("altitude").list.len().fill_null(0) > 0),
        ("speed or positions", (pl.col("speed").list.len().fill_null(0) > 0) | positions),
    ]
    missing = pl.lit(None, pl.String)
    for name, present in reversed(checks):
        missing = pl.when(~present).then(pl.lit(name)).otherwise(missing)
    return missing


def _misaligned() -> pl.Expr:
    """Why the series are not one clock (unequal lengths, non-finite, time not increasing)."""
    n = pl.col("timestamp").list.len()
    unequal = pl.any_horizontal(
        pl.col(s).is_not_null() & (pl.col(s).list.len() != n) for s in SERIES[1:]
    )
    finite = pl.all_horizontal(
        pl.col(s).list.eval(pl.element().is_finite().all()).list.first().fill_null(True)
        for s in SERIES[1:]
    )
    increasing = pl.col("timestamp").list.diff().list.min() > 0
    return (
        pl.when(unequal)
        .then(pl.lit("series lengths differ"))
        .when(~finite)
        .then(pl.lit("non-finite values"))
        .when(~increasing.fill_null(True))
        .then(pl.lit("timestamps not strictly increasing"))
    )


def row_measures(config: GateConfig) -> list[pl.Expr]:
    """Per workout: what gates 1-4 (and gate 6's altitude) look at."""
    return [
        _first_missing().alias("missing"),
        _misaligned().alias("misaligned"),
        pl.col("timestamp").list.len().alias("samples"),
        (pl.col("timestamp").list.last() - pl.col("timestamp").list.first()).alias("duration_s"),
        pl.col("altitude").list.min().alias("altitude_min"),
        pl.col("altitude").list.max().alias("altitude_max"),
    ]


def null_list_like(column: str, dtype: pl.DataType) -> pl.Expr:
    """`column`, or a list of nulls as long as the timestamps when it is missing (so that all
    series explode together)."""
    nulls = pl.col("timestamp").list.eval(pl.when(False).then(pl.element()))
    return pl.coalesce(pl.col(column), nulls.cast(dtype)).alias(column)


def with_step_columns(steps: pl.DataFrame, config: GateConfig) -> pl.DataFrame:
    """Per-step geometry on the exploded frame: one row per step, in (row, i) order, with the
    workout's first timestamp `t0`. Whole-frame shifts masked by the step index `i` stay inside
    each workout and cost far less than window functions over `row`; each quantity is computed
    once, in stages."""
    k = config.speed_window_steps
    i, t = pl.col("i"), pl.col("timestamp")
    steps = steps.with_columns(
        step_m=pl.when(i >= 1).then(haversine_m("latitude", "longitude")),
        dt=pl.when(i >= 1).then(t - t.shift()),
    ).with_columns(travelled=pl.col("step_m").fill_null(0).cum_sum())
    steps = steps.with_columns(
        in_workout=pl.col("travelled") - pl.when(i == 0).then("travelled").forward_fill()
    )
    covered = pl.col("in_workout") - pl.when(i >= k).then(pl.col("in_workout").shift(k)).otherwise(
        0
    )
    elapsed = t - pl.when(i >= k).then(t.shift(k)).otherwise(pl.col("t0"))
    derived = pl.when(elapsed > 0).then(covered / elapsed * 3.6)
    return steps.with_columns(speed=pl.coalesce(pl.col("speed"), derived.cast(pl.Float32))).drop(
        "travelled", "in_workout"
    )


def workout_steps(workouts: pl.DataFrame, config: GateConfig) -> pl.DataFrame:
    """One row per step of each workout (its `row` kept, a missing series as nulls) with the
    step geometry and speed completed from positions (`with_step_columns`)."""
    return (
        workouts.select(
            "row",
            *(null_list_like(s, workouts.schema[s]) for s in SERIES),
            i=pl.int_ranges(pl.col("timestamp").list.len()),
            t0=pl.col("timestamp").list.first(),
        )
        .explode(*SERIES, "i")
        .pipe(with_step_columns, config)
    )


def with_completed_speed(workouts: pl.DataFrame, config: GateConfig | None = None) -> pl.DataFrame:
    """`workouts` with speed derived from positions where the source has none, exactly as the
    gates complete it for `workouts_clean` (prediction on a new file must see the same)."""
    steps = workout_steps(workouts.with_row_index("row"), config or GateConfig())
    speed = steps.group_by("row", maintain_order=True).agg("speed")
    return workouts.with_columns(speed=speed["speed"])


def step_aggregates(config: GateConfig) -> list[pl.Expr]:
    """Per workout, from the step columns and repaired heart rate: what gates 5-7 look at."""
    smoothed = pl.col("speed").rolling_mean(config.speed_window_steps, min_samples=1)
    return [
        pl.col("heart_rate").is_null().mean().alias("unusable_hr_share"),
        smoothed.max().alias("speed_max"),
        smoothed.min().alias("speed_min"),
        (pl.col("step_m") / pl.col("dt") * 3.6).max().alias("implied_max_kmh"),
        pl.col("dt").max().alias("gap_max_s"),
        (pl.col("step_m") > 0).mean().alias("moving_share"),
    ]
