"""One model scored on one split scheme's test set, as pure functions: the step table with every
prediction mode and grouping column, its headline metrics under stable keys, and its breakdowns.
The test set is touched here only, after selection on validation is over."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from assets.evaluation import metrics
from assets.evaluation.forecast import with_forecasts
from assets.evaluation.plots import hr_band
from assets.evaluation.steps import step_table
from assets.evaluation.workout_categories import workout_categories
from models.checkpoint import load_checkpoint
from models.predict import predict_split
from models.train import pick_device

QUALITY = {"workout": pl.String, "quality_class": pl.String}
MODES = {"test": "predicted", "forecast": "forecast", "persistence": "persistence"}
BREAKDOWNS = {
    "source": pl.col("source"),
    "category": pl.col("category"),
    "hr_band": hr_band(pl.col("measured")),
    "quality_class": pl.col("quality_class"),
    "elapsed": metrics.elapsed_segment(),
}


def test_steps(
    checkpoint: Path,
    tensors: Path,
    latent: pl.DataFrame,
    quality: pl.DataFrame,
    device: str = "auto",
) -> pl.DataFrame:
    """Every real test step: inputs, measured, sequence-mode and forecast-mode predictions,
    category, noise-free truth (null without a sidecar) and Apple quality class."""
    model, saved = load_checkpoint(checkpoint, "cpu")
    split, users, predicted = predict_split(
        model, saved["users"], tensors, "test", pick_device(device)
    )
    steps = step_table(split, users, predicted)
    return with_forecasts(
        steps.join(workout_categories(steps), on="workout", how="left", maintain_order="left")
        .join(latent, on=["workout", "step"], how="left", maintain_order="left")
        .join(quality, on="workout", how="left", maintain_order="left")
    )


def headline(steps: pl.DataFrame, workouts: pl.DataFrame) -> dict[str, float | int]:
    """Stable metadata keys (plotted across retrainings in the UI): test_mae, test_rmse, ...,
    forecast_mae, persistence_mae, noise_floor_mae, test_mae_over_floor, workout_mae_* (from
    `workouts`, metrics.per_workout of the same steps)."""
    found: dict[str, float | int] = {}
    for mode, column in MODES.items():
        pooled = metrics.pooled(steps, column)
        found |= {f"{mode}_{name}": value for name, value in pooled.items() if value is not None}
    floor = metrics.noise_floor(steps)
    if floor:
        found |= {
            "noise_floor_mae": floor["noise_floor_mae"],
            "test_mae_over_floor": floor["mae_over_floor"],
            "noise_floor_steps": floor["floor_steps"],
        }
    return found | metrics.workout_spread(workouts)


def breakdowns(steps: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Sequence-mode metrics per source, category, heart-rate band, Apple quality class and
    elapsed-time segment (quality class only where there is one)."""
    tables = {name: metrics.breakdown(steps, by) for name, by in BREAKDOWNS.items()}
    tables["quality_class"] = tables["quality_class"].drop_nulls("group")
    return tables
