"""Error metrics on masked steps only, pooled over every step (RMSE from the pooled squared
residuals, not a mean of batch RMSEs), with the research code's mistakes out: no padding, no
clipping of predictions, no averaging of per-batch figures.

Every function takes the evaluation step table (assets/evaluation/steps.py) and the name of the
prediction column to score ("predicted", "forecast", "persistence", "latent"); steps where that
column is null (forecast before the cut) do not count.
"""

from __future__ import annotations

import polars as pl

WITHIN_BPM = (5, 10, 15)
ELAPSED_EDGES_MIN = (10, 20, 40, 60)  # segment labels: "0-10 min" ... "60+ min"


def scored(steps: pl.DataFrame | pl.LazyFrame, prediction: str) -> pl.LazyFrame:
    """Masked steps with a value in `prediction`, with its error (prediction - measured)."""
    known = pl.col(prediction).is_not_null() & pl.col("measured").is_not_null()
    return (
        steps.lazy()
        .filter(pl.col("mask") & known)
        .with_columns(error=(pl.col(prediction) - pl.col("measured")).cast(pl.Float64))
    )


def _summary() -> list[pl.Expr]:
    error, measured = pl.col("error"), pl.col("measured").cast(pl.Float64)
    residual = (error**2).sum()
    return [
        error.abs().mean().alias("mae"),
        (error**2).mean().sqrt().alias("rmse"),
        error.mean().alias("bias"),
        (1 - residual / ((measured - measured.mean()) ** 2).sum()).alias("r2"),
        *((error.abs() <= b).mean().alias(f"within_{b}") for b in WITHIN_BPM),
        pl.len().alias("steps"),
        pl.col("workout").n_unique().alias("workouts"),
    ]


def pooled(steps: pl.DataFrame | pl.LazyFrame, prediction: str = "predicted") -> dict:
    """MAE, RMSE, bias, R2, shares within +-5/10/15 bpm, steps and workouts; the error figures
    are None when nothing is scored."""
    return scored(steps, prediction).select(_summary()).collect().row(0, named=True)


def per_workout(steps: pl.DataFrame | pl.LazyFrame, prediction: str = "predicted") -> pl.DataFrame:
    """(workout, mae, steps, abs_error, rank): rank 1 is the lowest MAE; ties keep table order."""
    return (
        scored(steps, prediction)
        .group_by("workout", maintain_order=True)
        .agg(abs_error=pl.col("error").abs().sum(), steps=pl.len())
        .with_columns(mae=pl.col("abs_error") / pl.col("steps"))
        .with_columns(rank=pl.col("mae").rank("ordinal").cast(pl.Int64))
        .select("workout", "mae", "steps", "abs_error", "rank")
        .sort("rank")
        .collect()
    )


def workout_spread(workouts: pl.DataFrame) -> dict:
    """The per-workout MAE distribution: median, 90th percentile and worst."""
    mae = workouts["mae"]
    return {
        "workout_mae_median": mae.median(),
        "workout_mae_p90": mae.quantile(0.9, "linear"),
        "workout_mae_worst": mae.max(),
    }


def elapsed_segment() -> pl.Expr:
    """ "0-10 min", "10-20 min", ... "60+ min" from elapsed_s."""
    minutes = pl.col("elapsed_s") / 60.0
    lows = (0, *ELAPSED_EDGES_MIN)
    segment = pl.when(minutes >= lows[-1]).then(pl.lit(f"{lows[-1]}+ min"))
    for low, high in zip(lows[-2::-1], ELAPSED_EDGES_MIN[::-1], strict=True):
        segment = segment.when(minutes >= low).then(pl.lit(f"{low}-{high} min"))
    return segment


def breakdown(
    steps: pl.DataFrame | pl.LazyFrame, by: str | pl.Expr, prediction: str = "predicted"
) -> pl.DataFrame:
    """The pooled summary per value of `by` (a column or a named expression), sorted by it."""
    key = pl.col(by) if isinstance(by, str) else by
    return (
        scored(steps, prediction)
        .group_by(key.alias("group"))
        .agg(_summary())
        .sort("group", nulls_last=True)
        .collect()
    )


def noise_floor(steps: pl.DataFrame | pl.LazyFrame, prediction: str = "predicted") -> dict:
    """How far the measured heart rate sits from the simulator's noise-free one (the best any
    model can do on average), and the model's MAE on exactly those steps; empty without truth."""
    both = scored(steps, prediction).filter(pl.col("latent").is_not_null())
    row = (
        both.select(
            noise_floor_mae=(pl.col("latent") - pl.col("measured")).abs().mean(),
            mae_on_floor_steps=pl.col("error").abs().mean(),
            floor_steps=pl.len(),
        )
        .collect()
        .row(0, named=True)
    )
    if not row["floor_steps"]:
        return {}
    return {**row, "mae_over_floor": row["mae_on_floor_steps"] / row["noise_floor_mae"]}
