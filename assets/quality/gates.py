"""The seven quality gates over the unified workout table, and the gating of a batch by them.

Each gate is a named rule with a measured value; a workout is rejected at the first gate it
fails, and the value that failed it is kept. Gates 1-4 are measured on the list columns
directly; gates 5-7 on the exploded steps of the survivors (steps.py, where speed missing
from the source is derived from positions), after artifact repair.

Top to bottom: the thresholds; gates 1-4 (what they measure per workout, then their rules);
gates 5-7 (their per-workout aggregates, then their rules); and `gate_batch`, which runs them
in that order on a batch: clean rows (speed completed, heart rate repaired), rejected rows (the
first gate failed, the measured value and a reason) and the artifact flags. Pure polars, no
per-workout loops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from assets.quality.artifacts import REPAIRED, ArtifactConfig, detect, repair
from assets.quality.steps import SERIES, SPEED_WINDOW_STEPS, workout_steps
from schemas.tables import polars_schema
from schemas.workouts import ArtifactFlags, RejectedWorkouts

GATES = ("sport", "required", "aligned", "size", "heart_rate", "speed_altitude", "gps")
SPEED_ROUNDING_KMH = 1e-6  # float noise around a standstill is not a negative speed
REJECTED_SCHEMA = polars_schema(RejectedWorkouts)
FLAG_SCHEMA = polars_schema(ArtifactFlags)


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
    speed_window_steps: int = SPEED_WINDOW_STEPS
    altitude_min_m: float = -500.0
    altitude_max_m: float = 6000.0
    teleport_kmh: float = 100.0  # implied speed between two fixes that no runner reaches
    gps_gap_reject_s: float = 300.0  # a longer gap between two fixes rejects the workout
    min_moving_share: float = 0.2  # steps whose position changed; below this GPS is stuck
    artifacts: ArtifactConfig = field(default_factory=ArtifactConfig)


def _rule(failed: pl.Expr, measured: pl.Expr, reason: pl.Expr) -> tuple[pl.Expr, ...]:
    """A gate: whether a workout fails it, the value measured, and why (in words)."""
    return failed.fill_null(False), measured.cast(pl.Float64), reason


# Gates 1-4: on the list columns of each workout.


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
    samples = pl.col("timestamp").list.len()
    unequal = pl.any_horizontal(
        pl.col(name).is_not_null() & (pl.col(name).list.len() != samples) for name in SERIES[1:]
    )
    finite = pl.all_horizontal(
        pl.col(name).list.eval(pl.element().is_finite().all()).list.first().fill_null(True)
        for name in SERIES[1:]
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


def early_rules(config: GateConfig) -> dict[str, tuple[pl.Expr, ...]]:
    """Gates 1-4, on row measures."""
    col = pl.col
    return {
        "sport": _rule(
            col("sport").ne_missing(config.sport),
            pl.lit(None),
            pl.format("sport is '{}'", "sport"),
        ),
        "required": _rule(
            col("missing").is_not_null(), pl.lit(None), pl.format("{} missing", "missing")
        ),
        "aligned": _rule(col("misaligned").is_not_null(), pl.lit(None), col("misaligned")),
        "size": _rule(
            (col("samples") < config.min_samples) | (col("duration_s") < config.min_duration_s),
            col("samples"),
            pl.format("{} samples over {} s", "samples", "duration_s"),
        ),
    }


# Gates 5-7: on the steps of each workout, heart rate repaired.


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


def late_rules(config: GateConfig) -> dict[str, tuple[pl.Expr, ...]]:
    """Gates 5-7, on step aggregates (heart rate after artifact repair)."""
    col = pl.col
    too_low = col("altitude_min") < config.altitude_min_m
    altitude = too_low | (col("altitude_max") > config.altitude_max_m)
    speed = (col("speed_max") > config.speed_max_kmh) | (col("speed_min") < -SPEED_ROUNDING_KMH)
    teleport = col("implied_max_kmh") > config.teleport_kmh
    no_gps = col("moving_share").is_null()
    stuck = col("moving_share") < config.min_moving_share
    return {
        "heart_rate": _rule(
            col("unusable_hr_share") > config.max_unusable_hr_share,
            col("unusable_hr_share"),
            pl.format(
                "heart rate unusable on {} of steps (missing, implausible or an artifact)",
                col("unusable_hr_share").round(3),
            ),
        ),
        "speed_altitude": _rule(
            altitude | speed | teleport,
            pl.when(altitude)
            .then(pl.when(too_low).then("altitude_min"))
            .otherwise(pl.when(speed).then("speed_max").otherwise("implied_max_kmh"))
            .fill_null(col("altitude_max")),
            pl.when(altitude)
            .then(pl.format("altitude {}..{} m", "altitude_min", "altitude_max"))
            .when(speed)
            .then(pl.format("smoothed speed {}..{} km/h", "speed_min", "speed_max"))
            .otherwise(pl.format("position jump at {} km/h", col("implied_max_kmh").round(1))),
        ),
        "gps": _rule(
            no_gps | stuck | (col("gap_max_s") > config.gps_gap_reject_s),
            pl.when(no_gps | stuck).then(col("moving_share").fill_null(0)).otherwise("gap_max_s"),
            pl.when(no_gps)
            .then(pl.lit("no GPS positions"))
            .when(stuck)
            .then(pl.format("GPS stuck: position changed on {} of steps", "moving_share"))
            .otherwise(pl.format("gap of {} s", "gap_max_s")),
        ),
    }


# A batch through all seven.


def _first_failure(frame: pl.DataFrame, rules: dict[str, tuple[pl.Expr, ...]]) -> pl.DataFrame:
    """Add gate, gate_number, measured and reason for the first rule each row fails."""
    gate = gate_number = measured = reason = pl.lit(None)
    for name, (failed, value, why) in reversed(rules.items()):
        gate = pl.when(failed).then(pl.lit(name)).otherwise(gate)
        gate_number = pl.when(failed).then(pl.lit(GATES.index(name) + 1)).otherwise(gate_number)
        measured = pl.when(failed).then(value).otherwise(measured)
        reason = pl.when(failed).then(why).otherwise(reason)
    return frame.with_columns(
        gate=gate.cast(pl.String),
        gate_number=gate_number.cast(pl.Int8),
        measured=measured.cast(pl.Float64),
        reason=reason.cast(pl.String),
    )


def gate_batch(
    workouts: pl.DataFrame, config: GateConfig | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(clean workouts + speed_source, rejected rows, artifact flags) for a batch of unified
    workouts. Artifacts are detected and repaired on workouts past gate 4, before gate 5."""
    config = config or GateConfig()
    columns = workouts.columns
    measured = _first_failure(
        workouts.with_row_index("row").with_columns(row_measures(config)), early_rules(config)
    )
    survivors = measured.filter(pl.col("gate").is_null()).drop(
        "gate", "gate_number", "measured", "reason"
    )
    speed_source = (
        pl.when(pl.col("speed").is_null()).then(pl.lit("derived")).otherwise(pl.lit("recorded"))
    )
    steps = workout_steps(survivors, config.speed_window_steps)
    found = detect(steps, config.artifacts, survivors.select("row", "user_id"))
    steps = repair(steps, found)
    # steps are in survivor order, one workout after another: aggregates line up with survivors
    per_workout = steps.group_by("row", maintain_order=True).agg(
        *step_aggregates(config),
        pl.col("speed").alias("speed_completed"),
        pl.col("heart_rate").alias("heart_rate_repaired"),
    )
    late = _first_failure(
        survivors.with_columns(speed_source=speed_source).hstack(per_workout.drop("row")),
        late_rules(config),
    )
    clean = (
        late.select(
            "gate",
            *(name for name in columns if name not in ("speed", "heart_rate")),
            "speed_source",
            speed="speed_completed",
            heart_rate="heart_rate_repaired",
        )
        .filter(pl.col("gate").is_null())
        .select(*columns, "speed_source")
    )
    rejected = pl.concat(
        [
            measured.filter(pl.col("gate").is_not_null()).select(REJECTED_SCHEMA.names()),
            late.filter(pl.col("gate").is_not_null()).select(REJECTED_SCHEMA.names()),
        ]
    ).cast(dict(REJECTED_SCHEMA))
    flags = found.join(survivors.select("row", "source", "workout_id"), on="row").select(
        FLAG_SCHEMA.names()[:-1],
        action=pl.when(pl.col("kind") == "offset")
        .then(pl.lit("shifted"))
        .when(pl.col("kind").is_in(REPAIRED))
        .then(pl.lit("masked")),  # a kind with neither repair fails the flags' schema check
    )
    return clean, rejected, flags.cast(dict(FLAG_SCHEMA))
