"""Personalisation for any source: one runner's workouts (an activity folder, a Strava export,
or any user's rows of the unified table) adapt a base model, in the ways its family allows
(`strategies.py`), keeping whichever does best on the runner's validation workouts, the base
itself included: personalisation never leaves a runner worse off on them.

Time decides everything: workouts before the cut date train (the latest VAL_SHARE of them
select the epoch and then the candidate, the base included, so the result is never worse on
them), workouts from the cut date on are held out, and the base model and the
fine-tuned one are both scored on those later workouts only. The runner's workouts pass the
same seven gates as the pipeline's, and they are gridded on the base checkpoint's grid and
scaled with its scaler, so the fine-tuned weights see inputs exactly as the base model did.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import polars as pl

from assets.features.tensor_store import WindowConfig, write_tensors
from assets.personalize.strategies import Attempt, Finetuning, attempts, with_runner_mean
from assets.prediction.predict_file import checkpoint_grid
from assets.quality.gates import GateConfig, gate_batch
from assets.sources.source import WATCH_GATES
from models.checkpoint import load_checkpoint
from models.predict import split_mae
from models.tensors import Scaler
from models.train import TrainConfig, train

VAL_SHARE = 0.2  # of the workouts before the cut: the latest ones, for epoch selection
MIN_TRAIN_WORKOUTS = 3
CUT_QUANTILE = 0.75  # default cut: three quarters of the workouts before it


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


def adapt(attempt: Attempt, base: Path, tensors: Path, out: Path, family: str) -> None:
    """One attempt's checkpoint at `out`: a closed form, or training from the base."""
    if attempt.tune is None:
        with_runner_mean(base, tensors, out)
        return
    tune = attempt.tune
    config = TrainConfig(
        model=family,
        epochs=tune.epochs,
        batch_size=tune.batch_size,
        learning_rate=tune.learning_rate,
        trainable=tune.trainable,
        init_from=str(base),
        patience=tune.epochs,
    )
    train(tensors, out, config)


def personalize_workouts(
    workouts: pl.DataFrame,
    base: Path,
    out: Path,
    cut: datetime | None = None,
    tune: Finetuning | None = None,
    epochs: int = Finetuning.epochs,
    gates: GateConfig | None = None,
) -> dict:
    """Adapt `base` to one runner's `workouts` (unified schema) into `out`: the family's
    attempts (or only `tune`, when given), each scored on the runner's validation workouts
    beside the base; the best is written. MAE of the base and of the result on the workouts
    from the cut on. The workouts are gated as a watch's are (`WATCH_GATES`: stops kept)
    unless `gates` says otherwise."""
    # One chunk: callers concatenate one-row frames (a chunk per row), and the gated frame's
    # columns would be chunked unlike each other, which polars' pl.format cannot read.
    gates = gates or dataclasses.replace(GateConfig(), **WATCH_GATES)
    clean, rejected, _ = gate_batch(workouts.rechunk(), gates)
    if clean.is_empty():
        raise ValueError(f"none of the {workouts.height} workouts passed the gates")
    cut = cut or default_cut(clean)
    assignment = assign_by_time(clean, cut)
    _, saved = load_checkpoint(base)
    family = saved["model_config"]["name"]
    tried = [Attempt("fine_tune", tune)] if tune else attempts(family, epochs)
    with tempfile.TemporaryDirectory(prefix="pulselake-personal-") as work:
        tensors = Path(work, "tensors")
        scaler = Scaler.from_dict(saved["scaler"])
        window = WindowConfig(**checkpoint_grid(saved))  # the base's step and heart-rate gap
        write_tensors(clean.lazy(), assignment.lazy(), tensors, window, {}, scaler)
        scored = [("base", base, split_mae(base, tensors, "val"))]
        for attempt in tried:
            path = Path(work, f"{attempt.name}.pt")
            adapt(attempt, base, tensors, path, family)
            scored.append((attempt.name, path, split_mae(path, tensors, "val")))
        # the lowest validation MAE (a NaN never wins); a tie keeps the base
        kept, best, val_mae = min(scored, key=lambda row: (math.isnan(row[2]), row[2]))
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(best, out)
        before = split_mae(base, tensors, "test")
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
        "kept": kept,
        "base_val_mae": scored[0][2],
        "val_mae": val_mae,
        "tried": "; ".join(f"{name} {mae:.2f}" for name, _, mae in scored),
        "checkpoint": str(out),
    }
