"""The training data on the device and what is measured on it: a split's windows as tensors
(standardised inputs, target, mask, user rows), the masked loss and the pooled MAE. Shared by
training and personalisation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models.tensors import TensorSplit, load_split
from models.zoo import UNKNOWN_USER

LOSSES = ("mse", "mae", "huber")


def masked_loss(prediction, target, mask, kind: str = "mse") -> torch.Tensor:
    """Mean of the per-step loss over masked-in steps only; padding and missing heart rate
    contribute nothing (the research code averaged over padding too)."""
    error = (prediction.float() - target) * mask
    if kind == "mse":
        per_step = error.square()
    elif kind == "mae":
        per_step = error.abs()
    else:
        per_step = torch.nn.functional.huber_loss(error, torch.zeros_like(error), reduction="none")
    return per_step.sum() / mask.sum().clamp(min=1)


@dataclass
class Batches:
    """A split on the training device: standardised inputs, target, mask, user rows."""

    inputs: torch.Tensor
    target: torch.Tensor
    mask: torch.Tensor
    user: torch.Tensor

    @classmethod
    def from_split(
        cls, split: TensorSplit, keys: np.ndarray, rows: np.ndarray, vocabulary: list[str], device
    ) -> Batches:
        """The windows `rows` of `split`; `keys` holds every window's user key, `vocabulary`
        the model's users (others become UNKNOWN_USER)."""
        index = {key: row for row, key in enumerate(vocabulary)}
        users = [index.get(key, UNKNOWN_USER) for key in keys[rows]]
        return cls(
            torch.from_numpy(split.inputs(rows)).to(device),
            torch.from_numpy(np.array(split.heart_rate[rows])).to(device),
            torch.from_numpy(np.asarray(split.mask[rows], dtype=np.float32)).to(device),
            torch.tensor(users, dtype=torch.int64, device=device),
        )

    def __len__(self) -> int:
        return len(self.user)

    def cut(self, length: int) -> Batches:
        """Each window as consecutive sequences of `length` steps (a sweep dimension); those
        without a measured step are dropped."""
        steps = self.target.shape[1]
        if length in (0, steps):
            return self
        if steps % length:
            raise ValueError(f"sequence_length {length} does not divide the windows' {steps}")
        parts = steps // length
        cut = Batches(
            self.inputs.reshape(-1, length, self.inputs.shape[2]),
            self.target.reshape(-1, length),
            self.mask.reshape(-1, length),
            self.user.repeat_interleave(parts),
        )
        keep = cut.mask.sum(dim=1) > 0
        return Batches(cut.inputs[keep], cut.target[keep], cut.mask[keep], cut.user[keep])

    def slices(self, size: int, order: torch.Tensor | None = None):
        index = order if order is not None else torch.arange(len(self), device=self.user.device)
        for start in range(0, len(self), size):
            rows = index[start : start + size]
            yield self.inputs[rows], self.target[rows], self.mask[rows], self.user[rows]


def user_keys(split: TensorSplit, meta: dict) -> np.ndarray:
    """ "<source>/<user_id>" of every window."""
    return np.asarray(meta["users"])[split.user_index]


def chosen_windows(keys: np.ndarray, users: list[str]) -> np.ndarray:
    """Rows whose user key, or whose source, is in `users` (all rows when it is empty)."""
    if not users:
        return np.arange(len(keys))
    sources = np.char.partition(keys.astype(str), "/")[:, 0]
    return np.flatnonzero(np.isin(keys, users) | np.isin(sources, users))


def load_batches(
    tensors, split_name: str, meta: dict, users: list[str], vocabulary: list[str] | None, device
) -> tuple[Batches, list[str]]:
    """A split's chosen windows on `device`, and the vocabulary (the chosen training users when
    none is given)."""
    split = load_split(tensors, split_name)
    keys = user_keys(split, meta)
    rows = chosen_windows(keys, users)
    if not split.mask[rows].any():
        raise ValueError(f"{tensors}: no {split_name} step with a heart rate for users {users}")
    vocabulary = sorted(set(keys[rows].tolist())) if vocabulary is None else vocabulary
    return Batches.from_split(split, keys, rows, vocabulary, device), vocabulary


@torch.no_grad()
def evaluate_mae(model, batches: Batches, batch_size: int, autocast) -> float:
    """Pooled MAE over every masked-in step (not a mean of per-window means)."""
    model.eval()
    total, count = 0.0, 0.0
    for inputs, target, mask, user in batches.slices(batch_size):
        with autocast():
            prediction = model(inputs, user)
        total += float(((prediction.float() - target).abs() * mask).sum())
        count += float(mask.sum())
    return total / max(count, 1.0)
