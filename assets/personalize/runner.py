"""Personalisation for any source: one runner's workouts (an activity folder, a Strava export,
or any user's rows of the unified table) fine-tune a base model, two-stage as in training.

Time decides everything: workouts before the cut date train (the latest VAL_SHARE of them
select the epoch), workouts from the cut date on are held out, and the base model and the
fine-tuned one are both scored on those later workouts only. The runner's workouts pass the
same seven gates as the pipeline's, and they are gridded on the base checkpoint's grid and
scaled with its scaler, so the fine-tuned weights see inputs exactly as the base model did.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from assets.features.tensor_store import WindowConfig, write_tensors
from assets.prediction.predict_file import checkpoint_grid
from assets.quality.gates import GateConfig, gate_batch
from models.checkpoint import load_checkpoint
from models.predict import split_mae
from models.tensors import Scaler
from models.train import TrainConfig, train

VAL_SHARE = 0.2  # of the workouts before the cut: the latest ones, for epoch selection
MIN_TRAIN_WORKOUTS = 3
CUT_QUANTILE = 0.75  # default cut: three quarters of the workouts before it


@dataclass
class Finetuning:
    learning_rate: float = 1e-4  # about a tenth of the pretraining rate
    epochs: int = 10
    batch_size: int = 16
    trainable: list[str] = field(default_factory=list)  # parameter prefixes; empty: all


def default_cut(workouts: pl.DataFrame) -> datetime:
    return workouts["start_time"].quantile(CUT_QUANTILE, "lower")


def assign_by_time(clean: pl.DataFrame, cut: datetime) -> pl.DataFrame:
    """(source, workout_id, split): test from the cut on; before it, the latest VAL_SHARE
    validate and the rest train."""
    before = clean.filter(pl.col("start_time") < cut).sort("start_time")
    n_val = max(1, round(VAL_SHARE * before.height))
    if before.height - n_val < MIN_TRAIN_WORKOUTS:
        raise ValueError(
            f"{before.height} usable workouts before {cut:%Y-%m-%d}; fine-tuning needs at least "
            f"{MIN_TRAIN_WORKOUTS + 1}"
        )
    if clean.filter(pl.col("start_time") >= cut).is_empty():
        raise ValueError(f"no usable workout on or after {cut:%Y-%m-%d} to score on")
    rank = pl.int_range(pl.len())
    return clean.sort("start_time").select(
        "source",
        "workout_id",
        split=pl.when(pl.col("start_time") >= cut)
        .then(pl.lit("test"))
        .when(rank >= before.height - n_val)
        .then(pl.lit("val"))
        .otherwise(pl.lit("train")),
    )


def personalize_workouts(
    workouts: pl.DataFrame,
    base: Path,
    out: Path,
    cut: datetime | None = None,
    tune: Finetuning | None = None,
) -> dict:
    """Fine-tune `base` on one runner's `workouts` (unified schema) into `out`; MAE of both
    on the workouts from the cut on."""
    tune = tune or Finetuning()
    # One chunk: callers concatenate one-row frames (a chunk per row), and the gated frame's
    # columns would be chunked unlike each other, which polars' pl.format cannot read.
    clean, rejected, _ = gate_batch(workouts.rechunk(), GateConfig())
    if clean.is_empty():
        raise ValueError(f"none of the {workouts.height} workouts passed the gates")
    cut = cut or default_cut(clean)
    assignment = assign_by_time(clean, cut)
    _, saved = load_checkpoint(base)
    config = TrainConfig(
        model=saved["model_config"]["name"],
        epochs=tune.epochs,
        batch_size=tune.batch_size,
        learning_rate=tune.learning_rate,
        trainable=tune.trainable,
        init_from=str(base),
        patience=tune.epochs,
    )
    with tempfile.TemporaryDirectory(prefix="pulselake-personal-") as work:
        tensors = Path(work, "tensors")
        scaler = Scaler.from_dict(saved["scaler"])
        window = WindowConfig(**checkpoint_grid(saved))  # the base's step and heart-rate gap
        write_tensors(clean.lazy(), assignment.lazy(), tensors, window, {}, scaler)
        before = split_mae(base, tensors, "test")
        train(tensors, out, config)
        after = split_mae(out, tensors, "test")
    counts = dict(assignment.group_by("split").len().iter_rows())
    return {
        "cut": cut.isoformat(),
        "train_workouts": counts.get("train", 0),
        "val_workouts": counts.get("val", 0),
        "later_workouts": counts.get("test", 0),
        "rejected_workouts": rejected.height,
        "base_mae": before,
        "personalised_mae": after,
        "checkpoint": str(out),
    }
