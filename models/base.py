"""The contract every heart-rate model keeps, and the registry that builds them by name.

    model(features [B, T, F] float32 standardised, user [B] int64) -> heart rate [B, T] float32 bpm

F = N_FEATURES, the features of models.tensors.FEATURE_NAMES in that order (index them with
FEATURE_INDEX, never a number). `user` is a row of the training user vocabulary, UNKNOWN_USER
(-1) for anyone else; indices >= n_users count as unknown too. Models with per-user parameters
keep n_users + 1 rows, the last one learned for unknown users: train with `hide_users` so that
row sees data.

Each model keeps its constructor arguments in `model.config` (JSON-serialisable, with name and
n_users), so `build_model(**model.config)` rebuilds it for a checkpoint's state_dict. Models
whose `context_kwargs` is not empty need those arguments from the tensor set (scaler mean/std,
step seconds), not from the user. torch, numpy and the standard library only.

Outputs are computed as HR_SCALE * (network output + bias) with the bias starting at
HR_PRIOR / HR_SCALE: an untrained model predicts about HR_PRIOR, and the networks work in units
of about one heart-rate standard deviation, which suits Adam's usual learning rates. The head
runs in float32 outside autocast (bf16 cannot tell 140 from 140.5 bpm).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from models.tensors import FEATURE_INDEX, FEATURE_NAMES

UNKNOWN_USER = -1
HR_PRIOR = 140.0  # bpm an untrained model predicts
HR_SCALE = 20.0  # bpm per unit of network output, about the spread of running heart rate
N_FEATURES = len(FEATURE_NAMES)
SPEED, GRADE = FEATURE_INDEX["speed"], FEATURE_INDEX["smoothed_grade"]
ELAPSED, INTENSITY = FEATURE_INDEX["elapsed_time"], FEATURE_INDEX["exercise_intensity"]

MODELS: dict[str, type[ZooModel]] = {}


def register(cls: type[ZooModel]) -> type[ZooModel]:
    MODELS[cls.name] = cls
    return cls


def build_model(name: str, n_users: int, **hyper) -> ZooModel:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; the zoo has {sorted(MODELS)}")
    return MODELS[name](n_users, **hyper)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def user_rows(user: Tensor, n_users: int) -> Tensor:
    """Embedding rows: a known user's own index, row n_users for -1 or any index >= n_users."""
    unknown = (user < 0) | (user >= n_users)
    return torch.where(unknown, torch.full_like(user, n_users), user)


def hide_users(user: Tensor, fraction: float, generator: torch.Generator | None = None) -> Tensor:
    """Training-time user dropout: a random `fraction` of the batch becomes UNKNOWN_USER, so the
    unknown row learns the population instead of staying at its initial value."""
    draw = torch.rand(user.shape, generator=generator).to(user.device)
    return torch.where(draw < fraction, torch.full_like(user, UNKNOWN_USER), user)


class BpmHead(nn.Module):
    """Linear map to `outputs` bpm values per position: HR_SCALE * (W h + bias), in float32."""

    def __init__(self, in_features: int, outputs: int = 1):
        super().__init__()
        self.proj = nn.Linear(in_features, outputs, bias=False)
        with torch.no_grad():
            self.proj.weight.mul_(0.1)  # start near the prior, not at +-10 bpm of noise
        self.bias = nn.Parameter(torch.tensor(HR_PRIOR / HR_SCALE))

    def forward(self, hidden: Tensor) -> Tensor:
        with torch.autocast(hidden.device.type, enabled=False):
            out = nn.functional.linear(hidden.float(), self.proj.weight.float()) + self.bias
            return HR_SCALE * out


class ZooModel(nn.Module):
    name: ClassVar[str]
    context_kwargs: ClassVar[tuple[str, ...]] = ()  # arguments that come from the tensor set

    def __init__(self, n_users: int, **hyper):
        super().__init__()
        self.n_users = int(n_users)
        self.config = {"name": self.name, "n_users": self.n_users, **hyper}

    def forward(self, features: Tensor, user: Tensor) -> Tensor:
        raise NotImplementedError
