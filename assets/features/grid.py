"""Every workout onto one uniform time grid: step k sits at `k * step_seconds` after the first fix.

Inputs (speed, altitude) at step k are the mean of the samples in (t_k - step, t_k]: trailing, so a
grid value never sees a sample from after its own time; a step with no sample carries the last
sample forward. Heart rate at step k is interpolated linearly between the two consecutive samples
around t_k when both measured it and they are at most `grid_hr_max_gap_s` apart, else null:
across gaps and masked artifacts the target stays missing instead of being invented.

All workouts share one sorted time axis (`at` = workout number * span + seconds), so the samples
around every grid step of every workout come from one as-of join, not a window per workout.
"""

import polars as pl

# FitRec's 500 points span ~70 min (seed_behaviour.md 1.1): about 8 s a point. A grid at the
# same step keeps FitRec at its native resolution and brings 1 Hz Apple Watch data to the same
# physiology per step, so T=500 covers ~67 min for both sources.
DEFAULT_STEP_SECONDS = 8.0
# FitRec samples every 5-20 s (99th percentile of the spacing); longer silences are gaps.
DEFAULT_GRID_HR_MAX_GAP_S = 20.0
GRID_COLUMNS = ("row", "step", "speed", "altitude", "heart_rate")
INPUTS = ("speed", "altitude")


def grid_length(step_seconds: float) -> pl.Expr:
    """Grid steps per workout: t_0 .. t_K with t_K at or before the last fix."""
    span = pl.col("timestamp").list.last() - pl.col("timestamp").list.first()
    return (span / step_seconds).floor().cast(pl.Int32) + 1


def _axis(row: pl.Expr, seconds: pl.Expr, span: float) -> pl.Expr:
    return row.cast(pl.Float64) * span + seconds.cast(pl.Float64)


def samples(workouts: pl.DataFrame, span: float) -> pl.DataFrame:
    """One row per sample, sorted on the shared axis `at`, with running sums of the inputs and
    the next sample's time, workout and heart rate beside it."""
    # A missing input carries its last value forward. Before a workout's first value (speed
    # derived from positions has none at the first fix) speed is 0, a runner at the start line,
    # and altitude is the first fix's: where the run starts, not how it goes on.
    filled = [
        pl.col("speed").list.eval(pl.element().forward_fill().fill_null(0.0)),
        pl.col("altitude").list.eval(pl.element().forward_fill().backward_fill()),
    ]
    long = (
        workouts.select("timestamp", *filled, "heart_rate", first=pl.col("timestamp").list.first())
        .with_row_index("row")
        .explode("timestamp", *INPUTS, "heart_rate")
    )
    at = _axis(pl.col("row"), pl.col("timestamp") - pl.col("first"), span)
    return long.select(
        "row",
        pl.int_range(pl.len(), dtype=pl.Int64).alias("index"),
        at=at,
        **{name: pl.col(name).cast(pl.Float64) for name in (*INPUTS, "heart_rate")},
        **{f"{name}_sum": pl.col(name).cast(pl.Float64).cum_sum() for name in INPUTS},
    ).with_columns(
        next_at=pl.col("at").shift(-1),
        next_row=pl.col("row").shift(-1),
        next_heart_rate=pl.col("heart_rate").shift(-1),
    )


def _trailing_input(name: str) -> pl.Expr:
    """Mean over the samples since the previous grid step; the last sample when there are none."""
    step, index = pl.col("step"), pl.col("index")
    count = index - index.shift(1)
    total = pl.col(f"{name}_sum") - pl.col(f"{name}_sum").shift(1)
    return pl.when((step > 0) & (count > 0)).then(total / count).otherwise(pl.col(name))


def _heart_rate(max_gap: float) -> pl.Expr:
    exact = pl.col("at") == pl.col("grid_at")
    left, right = pl.col("heart_rate"), pl.col("next_heart_rate")
    t0, t1 = pl.col("at"), pl.col("next_at")
    bridged = (pl.col("next_row") == pl.col("row")) & (t1 - t0 <= max_gap)
    between = left + (right - left) * (pl.col("grid_at") - t0) / (t1 - t0)
    return pl.when(exact).then(left).when(bridged).then(between)


def to_grid(
    workouts: pl.DataFrame,
    step_seconds: float = DEFAULT_STEP_SECONDS,
    grid_hr_max_gap_s: float = DEFAULT_GRID_HR_MAX_GAP_S,
) -> pl.DataFrame:
    """Columns GRID_COLUMNS, sorted by (row, step), one row per grid step of every workout."""
    lengths = workouts.select(length=grid_length(step_seconds))
    span = (float(lengths["length"].max() or 0) + 2) * step_seconds
    long = samples(workouts, span)
    grid = (
        lengths.with_row_index("row")
        .select(pl.col("row").cast(pl.UInt32), step=pl.int_ranges(0, "length", dtype=pl.Int32))
        .explode("step")
        .with_columns(grid_at=_axis(pl.col("row"), pl.col("step") * step_seconds, span))
    )
    return grid.join_asof(
        long.drop("row"), left_on="grid_at", right_on="at", strategy="backward"
    ).select(
        "row",
        "step",
        *(_trailing_input(name).cast(pl.Float32).alias(name) for name in INPUTS),
        _heart_rate(grid_hr_max_gap_s).cast(pl.Float32).alias("heart_rate"),
    )
