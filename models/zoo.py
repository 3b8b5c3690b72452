"""The model zoo: the network models (models.base has the contract they keep, and the
registry; models.physiology_model the physiological one; models.hybrid the ODE with per-runner
parameters from an embedding). Importing this module registers every model, so `build_model`
knows them all."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from models import hybrid, physiology_model  # noqa: F401  (register "hybrid", "physiological")
from models.attention import Encoder, sinusoidal_encoding
from models.base import (
    HR_PRIOR,
    HR_SCALE,
    MODELS,
    N_FEATURES,
    UNKNOWN_USER,
    BpmHead,
    ZooModel,
    build_model,
    hide_users,
    parameter_count,
    register,
    user_rows,
)

__all__ = [
    "HR_PRIOR",
    "HR_SCALE",
    "MODELS",
    "UNKNOWN_USER",
    "build_model",
    "hide_users",
    "parameter_count",
    "user_rows",
]


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


@register
class PatchTSTModel(ZooModel):
    """PatchTST-style: the window cut into patches of `patch` steps (the last zero-padded, zero
    being the scaled mean), each patch's patch x 14 values projected to one token, sinusoidal
    positions, pre-norm encoder blocks, final norm, and a head giving the patch's `patch` heart
    rates.

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
class TransformerModel(PatchTSTModel):
    """Lag-Llama-inspired encoder over steps: input projection, sinusoidal positions, pre-norm
    blocks, final norm, a head per step; the patch model with one step per token, so
    causal=True (default) means step t attends to steps <= t. Takes PatchTSTModel's encoder
    arguments (d_model, heads, layers, dropout, causal) and their defaults."""

    name = "transformer"

    def __init__(self, n_users: int, **encoder):
        super().__init__(n_users, patch=1, **encoder)
        del self.config["patch"]  # fixed, not a choice: rebuilding must not pass it
