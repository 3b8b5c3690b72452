"""Gate a batch of unified workouts: clean rows (with speed completed) and rejected rows (with
the first gate failed, the measured value and a reason). Pure polars, no per-workout loops."""

from __future__ import annotations

import polars as pl

from assets.artifacts import REPAIRED, detect, repair
from assets.gates import GATES, GateConfig, row_measures, step_aggregates, workout_steps
from schemas.tables import polars_schema
from schemas.workouts import ArtifactFlags, RejectedWorkouts

SPEED_ROUNDING_KMH = 1e-6  # float noise around a standstill is not a negative speed
REJECTED_SCHEMA = polars_schema(RejectedWorkouts)


def _rule(failed: pl.Expr, measured: pl.Expr, reason: pl.Expr) -> tuple[pl.Expr, ...]:
    return failed.fill_null(False), measured.cast(pl.Float64), reason


def early_rules(c: GateConfig) -> dict[str, tuple[pl.Expr, ...]]:
    """Gates 1-4, on row measures."""
    col = pl.col
    return {
        "sport": _rule(
            col("sport").ne_missing(c.sport), pl.lit(None), pl.format("sport is '{}'", "sport")
        ),
        "required": _rule(
            col("missing").is_not_null(), pl.lit(None), pl.format("{} missing", "missing")
        ),
        "aligned": _rule(col("misaligned").is_not_null(), pl.lit(None), col("misaligned")),
        "size": _rule(
            (col("samples") < c.min_samples) | (col("duration_s") < c.min_duration_s),
            col("samples"),
            pl.format("{} samples over {} s", "samples", "duration_s"),
        ),
    }


def late_rules(c: GateConfig) -> dict[str, tuple[pl.Expr, ...]]:
    """Gates 5-7, on step aggregates (heart rate after artifact repair)."""
    col = pl.col
    altitude = (col("altitude_min") < c.altitude_min_m) | (col("altitude_max") > c.altitude_max_m)
    speed = (col("speed_max") > c.speed_max_kmh) | (col("speed_min") < -SPEED_ROUNDING_KMH)
    teleport = col("implied_max_kmh") > c.teleport_kmh
    no_gps = col("moving_share").is_null()
    return {
        "heart_rate": _rule(
            col("unusable_hr_share") > c.max_unusable_hr_share,
            col("unusable_hr_share"),
            pl.format(
                "heart rate unusable on {} of steps (missing, implausible or an artifact)",
                col("unusable_hr_share").round(3),
            ),
        ),
        "speed_altitude": _rule(
            altitude | speed | teleport,
            pl.when(altitude)
            .then(pl.when(col("altitude_min") < c.altitude_min_m).then("altitude_min"))
            .otherwise(pl.when(speed).then("speed_max").otherwise("implied_max_kmh"))
            .fill_null(col("altitude_max")),
            pl.when(altitude)
            .then(pl.format("altitude {}..{} m", "altitude_min", "altitude_max"))
            .when(speed)
            .then(pl.format("smoothed speed {}..{} km/h", "speed_min", "speed_max"))
            .otherwise(pl.format("position jump at {} km/h", col("implied_max_kmh").round(1))),
        ),
        "gps": _rule(
            no_gps | (col("moving_share") < c.min_moving_share) | (col("gap_max_s") > c.max_gap_s),
            pl.when(no_gps | (col("moving_share") < c.min_moving_share))
            .then(col("moving_share").fill_null(0))
            .otherwise("gap_max_s"),
            pl.when(no_gps)
            .then(pl.lit("no GPS positions"))
            .when(col("moving_share") < c.min_moving_share)
            .then(pl.format("GPS stuck: position changed on {} of steps", "moving_share"))
            .otherwise(pl.format("gap of {} s", "gap_max_s")),
        ),
    }


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


FLAG_SCHEMA = polars_schema(ArtifactFlags)


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
    steps = workout_steps(survivors, config)
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
            *(c for c in columns if c not in ("speed", "heart_rate")),
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
