"""The model zoo: every heart-rate model behind one contract, and a registry to build them by name.

    model(features [B, T, 14] float32 standardised, user [B] int64) -> heart rate [B, T] float32 bpm

`user` is a row of the training user vocabulary, UNKNOWN_USER (-1) for anyone else; indices
>= n_users count as unknown too. Models with per-user parameters keep n_users + 1 rows, the last
one learned for unknown users: train with `hide_users` so that row sees data.

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

from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import Tensor, nn

from models.attention import Encoder, sinusoidal_encoding
from models.physiology_model import (
    RESTING_VO2,
    PhysiologyParameters,
    heart_rate_kinetics,
    oxygen_demand,
    steady_state_hr,
)
from models.tensors import FEATURE_NAMES

UNKNOWN_USER = -1
HR_PRIOR = 140.0  # bpm an untrained model predicts
HR_SCALE = 20.0  # bpm per unit of network output, about the spread of running heart rate
N_FEATURES = len(FEATURE_NAMES)
SPEED, GRADE = FEATURE_NAMES.index("speed"), FEATURE_NAMES.index("smoothed_grade")
ELAPSED, INTENSITY = FEATURE_NAMES.index("elapsed_time"), FEATURE_NAMES.index("exercise_intensity")

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


@register
class UserMeanModel(ZooModel):
    """Each user's own constant heart rate (the masked MSE drives it to the user's mean)."""

    name = "user_mean"

    def __init__(self, n_users: int):
        super().__init__(n_users)
        self.level = nn.Embedding(n_users + 1, 1)
        nn.init.constant_(self.level.weight, HR_PRIOR / HR_SCALE)

    def user_bpm(self, user: Tensor) -> Tensor:
        """[B] the constant each user's rows predict."""
        return HR_SCALE * self.level(user_rows(user, self.n_users))[:, 0].float()

    def forward(self, features: Tensor, user: Tensor) -> Tensor:
        return self.user_bpm(user)[:, None].expand(-1, features.shape[1]).contiguous()


@register
class LinearModel(ZooModel):
    """Heart rate as one linear function of the 14 features at the same step."""

    name = "linear"

    def __init__(self, n_users: int):
        super().__init__(n_users)
        self.head = BpmHead(N_FEATURES)

    def forward(self, features: Tensor, user: Tensor) -> Tensor:
        return self.head(features)[..., 0]


class Recurrent(ZooModel):
    """A recurrent network with a linear head per step. bidirectional=True also reads the
    future of the window: offline analysis only, it cannot run live and is not causal."""

    cell: ClassVar[type[nn.RNNBase]]

    def __init__(
        self,
        n_users: int,
        hidden: int = 64,
        layers: int = 2,
        dropout: float = 0.1,
        bidirectional: bool = False,
    ):
        super().__init__(
            n_users, hidden=hidden, layers=layers, dropout=dropout, bidirectional=bidirectional
        )
        self.rnn = self.cell(
            self.input_size(),
            hidden,
            num_layers=layers,
            dropout=dropout if layers > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
        )
        self.head = BpmHead(hidden * (2 if bidirectional else 1))

    def input_size(self) -> int:
        return N_FEATURES

    def inputs(self, features: Tensor, user: Tensor) -> Tensor:
        return features

    def forward(self, features: Tensor, user: Tensor) -> Tensor:
        hidden, _ = self.rnn(self.inputs(features, user))
        return self.head(hidden)[..., 0]


@register
class LSTMModel(Recurrent):
    name = "lstm"
    cell = nn.LSTM


@register
class GRUModel(Recurrent):
    name = "gru"
    cell = nn.GRU


@register
class LSTMEmbeddingModel(Recurrent):
    """LSTM reading the features and a learned user embedding repeated at every step; row
    n_users is the unknown user's (user -1 or any index >= n_users)."""

    name = "lstm_embedding"
    cell = nn.LSTM

    def __init__(
        self,
        n_users: int,
        hidden: int = 64,
        layers: int = 2,
        dropout: float = 0.1,
        embedding_dim: int = 8,
    ):
        self.embedding_dim = embedding_dim
        super().__init__(n_users, hidden=hidden, layers=layers, dropout=dropout)
        del self.config["bidirectional"]
        self.config["embedding_dim"] = embedding_dim
        self.embedding = nn.Embedding(n_users + 1, embedding_dim)
        nn.init.normal_(self.embedding.weight, std=0.1)

    def input_size(self) -> int:
        return N_FEATURES + self.embedding_dim

    def inputs(self, features: Tensor, user: Tensor) -> Tensor:
        embedded = self.embedding(user_rows(user, self.n_users)).to(features.dtype)
        embedded = embedded[:, None, :].expand(-1, features.shape[1], -1)
        return torch.cat([features, embedded], dim=-1)


class PatchEncoder(ZooModel):
    """The attention models' shared body: the window cut into patches of `patch` steps (the
    last zero-padded, zero being the scaled mean), each patch's patch x 14 values projected to
    one token, sinusoidal positions, pre-norm encoder blocks, final norm, and a head giving the
    patch's `patch` heart rates. With patch=1 every step is a token."""

    def _build(self, patch, d_model, heads, layers, dropout, causal) -> None:
        self.patch = patch
        self.project = nn.Linear(patch * N_FEATURES, d_model)
        self.input_dropout = nn.Dropout(dropout)
        self.encoder = Encoder(d_model, heads, layers, dropout, causal)
        self.head = BpmHead(d_model, outputs=patch)

    def forward(self, features: Tensor, user: Tensor) -> Tensor:
        batch, steps, channels = features.shape
        patches = -(-steps // self.patch)
        padded = nn.functional.pad(features, (0, 0, 0, patches * self.patch - steps))
        x = self.project(padded.reshape(batch, patches, self.patch * channels))
        x = x + sinusoidal_encoding(patches, x.shape[2], x.device, x.dtype)
        heart_rate = self.head(self.encoder(self.input_dropout(x)))  # [B, patches, patch]
        return heart_rate.reshape(batch, patches * self.patch)[:, :steps]


@register
class TransformerModel(PatchEncoder):
    """Lag-Llama-inspired encoder over steps: input projection, sinusoidal positions, pre-norm
    blocks, final norm, a head per step. causal=True (default): step t attends to steps <= t."""

    name = "transformer"

    def __init__(
        self,
        n_users: int,
        d_model: int = 64,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.1,
        causal: bool = True,
    ):
        super().__init__(
            n_users, d_model=d_model, heads=heads, layers=layers, dropout=dropout, causal=causal
        )
        self._build(1, d_model, heads, layers, dropout, causal)


@register
class PatchTSTModel(PatchEncoder):
    """PatchTST-style: tokens are patches of `patch` steps over all 14 channels.

    Unlike the research code (channel-independent patches forecasting the inputs' own future,
    channels averaged), this regresses heart rate per step from all 14 channels together.
    causal=True is causal at patch granularity only: the output at step t depends on steps
    < (t // patch + 1) * patch, i.e. up to patch - 1 steps after t inside its own patch."""

    name = "patchtst"

    def __init__(
        self,
        n_users: int,
        patch: int = 16,
        d_model: int = 64,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.1,
        causal: bool = True,
    ):
        super().__init__(
            n_users,
            patch=patch,
            d_model=d_model,
            heads=heads,
            layers=layers,
            dropout=dropout,
            causal=causal,
        )
        self._build(patch, d_model, heads, layers, dropout, causal)


def _vector(values: Sequence[float] | None, default: float) -> list[float]:
    if values is None:
        return [default] * N_FEATURES
    values = [float(v) for v in values]
    if len(values) != N_FEATURES:
        raise ValueError(f"expected {N_FEATURES} per-feature values, got {len(values)}")
    return values


@register
class PhysiologicalModel(ZooModel):
    """Differentiable physiology (models.physiology_model): speed and grade, unscaled with
    feature_mean/feature_std, give an oxygen demand and a steady heart rate, which heart rate
    follows with tau_on / tau_off kinetics over step_seconds steps, plus drift_bpm_per_hour
    x elapsed time. The state before step 0 is the steady heart rate of the
    exercise_intensity feature (the load's trailing average), so a window cut mid-workout does
    not start at rest. Six parameters per user, row n_users the population's (unknown users).

    feature_mean/feature_std default to 0/1, i.e. raw inputs: pass the scaler's for standardised
    ones. No HR_PRIOR bias: an untrained model predicts from the population parameters."""

    name = "physiological"
    context_kwargs = ("feature_mean", "feature_std", "step_seconds")

    def __init__(
        self,
        n_users: int,
        feature_mean: Sequence[float] | None = None,
        feature_std: Sequence[float] | None = None,
        step_seconds: float = 8.0,
        economy: float = 1.0,
    ):
        mean, std = _vector(feature_mean, 0.0), _vector(feature_std, 1.0)
        step_seconds, economy = float(step_seconds), float(economy)
        super().__init__(
            n_users, feature_mean=mean, feature_std=std, step_seconds=step_seconds, economy=economy
        )
        self.step_seconds, self.economy = step_seconds, economy
        # Not in the state_dict: the config is their one source.
        self.register_buffer("feature_mean", torch.tensor(mean), persistent=False)
        self.register_buffer("feature_std", torch.tensor(std), persistent=False)
        self.physiology = PhysiologyParameters(n_users + 1)

    def user_parameters(self, user: Tensor) -> dict[str, Tensor]:
        """Each user's parameters in physical units (bpm, ml/kg/min, s, bpm/h), [B] each."""
        return self.physiology(user_rows(user, self.n_users))

    def forward(self, features: Tensor, user: Tensor) -> Tensor:
        raw = features.float() * self.feature_std + self.feature_mean
        p = self.user_parameters(user)

        def steady(demand: Tensor) -> Tensor:
            return steady_state_hr(demand, p["rest"], p["max"], p["vo2max"], self.economy)

        target = steady(oxygen_demand(raw[..., SPEED], raw[..., GRADE]))
        start = steady(raw[:, :1, INTENSITY] - RESTING_VO2)[:, 0]
        heart_rate = heart_rate_kinetics(
            target, start, p["tau_on"], p["tau_off"], self.step_seconds
        )
        return heart_rate + p["drift"][:, None] * raw[..., ELAPSED] / 3600.0
