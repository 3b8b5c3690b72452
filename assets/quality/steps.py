"""The steps of a workout: its list columns exploded to one row per step, with the per-step
geometry and the speed completed from positions where the source recorded none.

Apart from the gates (gates.py runs gates 5-7 and the artifact repair on these rows) so that
prediction on a new file completes speed with the very same code, without the gates. Speed is
derived with a trailing window of steps, never the future. Pure polars, no per-workout loops.
"""

from __future__ import annotations

import polars as pl

from assets.sources.geo import haversine_m

SERIES = ("timestamp", "heart_rate", "speed", "altitude", "latitude", "longitude")
SPEED_WINDOW_STEPS = 5  # trailing steps over which speed is derived (and, in the gates, smoothed)


def null_list_like(column: str, dtype: pl.DataType) -> pl.Expr:
    """`column`, or a list of nulls as long as the timestamps when it is missing (so that all
    series explode together)."""
    nulls = pl.col("timestamp").list.eval(pl.when(False).then(pl.element()))
    return pl.coalesce(pl.col(column), nulls.cast(dtype)).alias(column)


def with_step_columns(steps: pl.DataFrame, window: int) -> pl.DataFrame:
    """Per-step geometry on the exploded frame: one row per step, in (row, step) order, with the
    workout's first timestamp `t0`; speed derived over `window` trailing steps. Whole-frame
    shifts masked by the step index `step` stay inside each workout and cost far less than
    window functions over `row`; each quantity is computed once, in stages."""
    step, time = pl.col("step"), pl.col("timestamp")
    steps = steps.with_columns(
        step_m=pl.when(step >= 1).then(haversine_m("latitude", "longitude")),
        dt=pl.when(step >= 1).then(time - time.shift()),
    ).with_columns(travelled=pl.col("step_m").fill_null(0).cum_sum())
    steps = steps.with_columns(
        in_workout=pl.col("travelled") - pl.when(step == 0).then("travelled").forward_fill()
    )
    covered = pl.col("in_workout") - pl.when(step >= window).then(
        pl.col("in_workout").shift(window)
    ).otherwise(0)
    elapsed = time - pl.when(step >= window).then(time.shift(window)).otherwise(pl.col("t0"))
    derived = pl.when(elapsed > 0).then(covered / elapsed * 3.6)
    return steps.with_columns(speed=pl.coalesce(pl.col("speed"), derived.cast(pl.Float32))).drop(
        "travelled", "in_workout"
    )


def workout_steps(workouts: pl.DataFrame, window: int) -> pl.DataFrame:
    """One row per step of each workout (its `row` kept, a missing series as nulls) with the
    step geometry and speed completed from positions (`with_step_columns`)."""
    return (
        workouts.select(
            "row",
            *(null_list_like(name, workouts.schema[name]) for name in SERIES),
            step=pl.int_ranges(pl.col("timestamp").list.len()),
            t0=pl.col("timestamp").list.first(),
        )
        .explode(*SERIES, "step")
        .pipe(with_step_columns, window)
    )


def with_completed_speed(workouts: pl.DataFrame, window: int = SPEED_WINDOW_STEPS) -> pl.DataFrame:
    """`workouts` with speed derived from positions where the source has none, exactly as the
    gates complete it for `workouts_clean` (prediction on a new file must see the same)."""
    steps = workout_steps(workouts.with_row_index("row"), window)
    speed = steps.group_by("row", maintain_order=True).agg("speed")
    return workouts.with_columns(speed=speed["speed"])
