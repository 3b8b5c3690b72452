"""What moves the weights and when training stops, apart from the loop in train.py: AdamW with
gradient clipping, the learning-rate schedule (warm-up + cosine per batch, or plateau halving
per epoch), and early stopping on validation MAE."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:  # train.py imports this module; the config is only an annotation here
    from models.train import TrainConfig


def warmup_cosine(warmup_steps: int, total_steps: int) -> Callable[[int], float]:
    """The learning-rate factor per batch: a linear warm-up while AdamW's moment estimates are
    still young, then a cosine decay to zero at the last batch."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return factor


@dataclass
class Optimisation:
    """What moves the weights: AdamW over the trainable parameters, gradient clipping and the
    learning-rate schedule, which runs on one of two clocks (warm-up + cosine every batch,
    plateau halving on each epoch's validation MAE)."""

    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau
    per_batch: bool
    clip_norm: float

    @classmethod
    def for_model(cls, model: torch.nn.Module, config: TrainConfig, windows: int) -> Optimisation:
        """The cosine schedule is laid out in batches, so it needs the training set's size."""
        optimizer = torch.optim.AdamW(
            [p for p in model.parameters() if p.requires_grad],
            lr=config.learning_rate,
            weight_decay=config.weight_decay,
        )
        per_batch = config.schedule == "cosine"
        if per_batch:
            steps_per_epoch = math.ceil(windows / config.batch_size)
            factor = warmup_cosine(
                config.warmup_epochs * steps_per_epoch, config.epochs * steps_per_epoch
            )
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        else:
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, factor=0.5, patience=2
            )
        return cls(optimizer, scheduler, per_batch, config.clip_norm)

    def step(self, loss: torch.Tensor, model: torch.nn.Module) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), self.clip_norm)
        self.optimizer.step()
        if self.per_batch:
            self.scheduler.step()

    def end_epoch(self, val_mae: float) -> None:
        if not self.per_batch:
            self.scheduler.step(val_mae)

    @property
    def learning_rate(self) -> float:
        return self.optimizer.param_groups[0]["lr"]


@dataclass
class EarlyStopping:
    """Model selection on validation MAE: the best epoch so far, and stopping once `patience`
    epochs in a row have not beaten it."""

    patience: int
    best: float = math.inf
    best_epoch: int = -1
    stale: int = 0

    def improved(self, val_mae: float, epoch: int) -> bool:
        if val_mae < self.best:
            self.best, self.best_epoch, self.stale = val_mae, epoch, 0
            return True
        self.stale += 1
        return False

    @property
    def exhausted(self) -> bool:
        return self.stale >= self.patience
