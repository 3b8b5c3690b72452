"""What each model family can adapt for one new runner, tried in turn on the runner's earlier
workouts and kept only when it beats the base model on the runner's own validation workouts.

A model meets a new runner as the unknown user, so fitting the unknown user's row of a family's
per-runner parameters (its embedding, its ODE parameters, its level) fits the runner with the
rest of the network frozen: seconds on a CPU, and nothing the population taught is lost. Every
family may then be fine-tuned whole, at a rate picked on validation (the old fixed 1e-4 for 10
epochs moved nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from models.base import HR_SCALE
from models.checkpoint import load_checkpoint, save_checkpoint
from models.tensors import load_split

# Parameters holding each family's per-runner rows (the unknown runner's is the last one).
RUNNER_ROWS = {
    "physiological": ["physiology.raw"],
    "hybrid": ["embedding"],
    "lstm_embedding": ["embedding"],
}
ROW_FIT = {"learning_rate": 0.05, "epochs": 30}  # few parameters: a fast rate, more epochs
FINE_TUNING_RATES = (1e-3, 3e-3)


@dataclass
class Finetuning:
    learning_rate: float = 1e-3
    epochs: int = 10
    batch_size: int = 16
    trainable: list[str] = field(default_factory=list)  # parameter prefixes; empty: all


@dataclass
class Attempt:
    """One way to adapt the base: a closed form (`runner_mean`) or a training run."""

    name: str
    tune: Finetuning | None = None


def attempts(family: str, epochs: int) -> list[Attempt]:
    """The adaptations worth trying for a family, cheapest first."""
    if family == "user_mean":
        return [Attempt("runner_mean")]
    rows = RUNNER_ROWS.get(family)
    found = [Attempt("runner_row", Finetuning(**ROW_FIT, trainable=rows))] if rows else []
    return found + [
        Attempt(f"fine_tune_{rate:g}", Finetuning(learning_rate=rate, epochs=epochs))
        for rate in FINE_TUNING_RATES
    ]


def runner_mean(tensors: Path) -> float:
    """The runner's mean heart rate over the measured steps of their training workouts."""
    split = load_split(tensors, "train")
    mask = np.asarray(split.mask)
    return float(np.asarray(split.heart_rate)[mask].mean())


def with_runner_mean(base: Path, tensors: Path, out: Path) -> None:
    """user_mean personalised: the unknown runner's level set to the runner's own mean."""
    model, saved = load_checkpoint(base)
    with torch.no_grad():
        model.level.weight[-1, 0] = runner_mean(tensors) / HR_SCALE
    save_checkpoint(out, model, saved)
