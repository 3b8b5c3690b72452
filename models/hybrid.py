"""The zoo's `hybrid` model: a heart-rate ODE whose parameters a small network derives from a
runner embedding (after Nazaret et al. 2023), plus a small bounded neural correction. torch only.

Per step k of dt = step_seconds (speed v in km/h, grade g, both unscaled with the tensor set's
scaler; the demand pieces are models.physiology_model's):

    demand_k  = oxygen_demand(clamp(v_k, 0, MAX_SPEED_KMH), clamp(g_k, +-MAX_GRADE))
                (ACSM net running VO2 above rest, ml/kg/min: 0.2 v + 0.9 v g, v in m/min,
                 descents counting half)
    load_k    = exercise_intensity_k - 3.5      (the feature: trailing net load, tau 60 s)
    drift_k   = drift * min(elapsed_k, 6 h) / 1 h * clamp(load_k / DRIFT_LOAD, 0, 2)
    ss(d)_k   = clamp(level + gain * (d - d_ref) + drift_k, rest, MAX_HR)
    HR_0      = max(rest + warm * (level - rest), ss(load_0)_0)
    HR_k      = HR_{k-1} + (1 - exp(-dt / tau)) * (ss(demand_k)_k - HR_{k-1}),   k >= 1
                tau = tau_rise while ss_k > HR_{k-1} (heart rate rising), tau_fall otherwise
    out_k     = HR_k + CORRECTION_BPM * tanh(mlp(features_k))

d_ref is the demand at the tensor set's mean speed and grade (from the scaler), so `level` is the
runner's steady heart rate at the data's typical running demand and starts at HR_PRIOR: an
untrained model predicts about 140 bpm while running, like the network models. HR_0 is a warm
start (workouts are recorded from the moment running starts, rarely from rest) unless the trailing
load says the window was cut mid-workout, where the steady state of that load is the better start.
With constant ss and HR_0 the ODE gives exactly HR_k = ss + (HR_0 - ss) exp(-k dt / tau).

Per-runner parameters: row user_rows(user) of an [n_users + 1, embedding_dim] embedding (row
n_users is the learned population embedding, used for UNKNOWN_USER and any index >= n_users;
the training loop's hide_users trains it) through one linear head to seven raw values, each
mapped into its physiological range by lo + (hi - lo) * sigmoid(raw) (RANGES below). At
initialisation every row gives the POPULATION values.

The correction: the training loop (models.train) has no hook for an extra loss term, so instead
of a penalty its amplitude is bounded: tanh times `correction_bpm` (default 5 bpm), a per-step
MLP on the standardised features (which carry lags and trailing means; causal, like the ODE),
its last layer zero at the start so an untrained model is the pure ODE. AdamW's weight decay
keeps pulling it towards zero. correction_bpm=0 leaves the pure ODE (no MLP).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from models.base import ELAPSED, GRADE, HR_PRIOR, INTENSITY, SPEED, ZooModel, register, user_rows
from models.physiology_model import RESTING_VO2, _vector, heart_rate_kinetics, oxygen_demand
from models.tensors import FEATURE_NAMES

MAX_HR = 220.0  # bpm, the steady state's ceiling
MAX_GRADE = 0.3  # the grade feature's own clip (assets/features/features.py), enforced again
MAX_SPEED_KMH = 40.0  # faster than anyone runs: GPS spikes cannot drive the demand further
DRIFT_LOAD = 35.0  # ml/kg/min net (about 10.5 km/h on the flat): `drift` is bpm/hour at it
MAX_DRIFT_HOURS = 6.0
# name: (low, high, population value at initialisation); value = low + (high-low) sigmoid(raw)
RANGES = {
    "rest": (35.0, 100.0, 60.0),  # bpm, the floor of the steady state
    "level": (90.0, 200.0, HR_PRIOR),  # bpm, steady heart rate at the data's mean demand
    "gain": (0.1, 5.0, 1.5),  # bpm per ml/kg/min of demand
    "tau_rise": (5.0, 120.0, 30.0),  # s, heart rate rising
    "tau_fall": (10.0, 300.0, 60.0),  # s, heart rate falling
    "drift": (0.0, 40.0, 5.0),  # bpm per hour at DRIFT_LOAD
    "warm": (0.0, 1.0, 0.5),  # start: this fraction of the way from rest to level
}
PARAMETERS = tuple(RANGES)


def raw_value(name: str, value: float) -> float:
    """The raw (pre-sigmoid) value that maps to `value` of parameter `name`."""
    low, high, _ = RANGES[name]
    share = (value - low) / (high - low)
    if not 0.0 < share < 1.0:
        raise ValueError(f"{name}={value} is outside its range ({low}, {high})")
    return math.log(share / (1.0 - share))


def bounded(raw: Tensor) -> dict[str, Tensor]:
    """[B, 7] raw head outputs to each parameter in its range, [B] each."""
    values = {}
    for column, name in enumerate(PARAMETERS):
        low, high, _ = RANGES[name]
        values[name] = low + (high - low) * torch.sigmoid(raw[:, column])
    return values


def steady_state(
    demand: Tensor, drift: Tensor, p: dict[str, Tensor], reference_demand: float
) -> Tensor:
    """[B, T] steady heart rate of a demand [B, T] with its drift term [B, T] added, bounded to
    [rest, MAX_HR]."""
    level = p["level"][:, None] + p["gain"][:, None] * (demand - reference_demand) + drift
    return torch.minimum(torch.maximum(level, p["rest"][:, None]), torch.full_like(level, MAX_HR))


def ode_heart_rate(
    raw: Tensor, p: dict[str, Tensor], reference_demand: float, step_seconds: float
) -> Tensor:
    """[B, T] heart rate of the ODE (no correction) from unscaled features [B, T, F] and the
    parameters p ([B] each, in physical units)."""
    speed = raw[..., SPEED].clamp(0.0, MAX_SPEED_KMH)
    demand = oxygen_demand(speed, raw[..., GRADE].clamp(-MAX_GRADE, MAX_GRADE))
    load = raw[..., INTENSITY] - RESTING_VO2
    hours = raw[..., ELAPSED].clamp(0.0, MAX_DRIFT_HOURS * 3600.0) / 3600.0
    drift = p["drift"][:, None] * hours * (load / DRIFT_LOAD).clamp(0.0, 2.0)
    target = steady_state(demand, drift, p, reference_demand)
    warm = p["rest"] + p["warm"] * (p["level"] - p["rest"])
    start = torch.maximum(warm, steady_state(load[:, :1], drift[:, :1], p, reference_demand)[:, 0])
    if raw.shape[1] == 1:
        return start[:, None]
    later = heart_rate_kinetics(target[:, 1:], start, p["tau_rise"], p["tau_fall"], step_seconds)
    return torch.cat([start[:, None], later], dim=1)


@register
class HybridModel(ZooModel):
    """Physiological ODE with per-runner parameters from an embedding and a small bounded neural
    correction (module docstring). feature_mean/feature_std default to 0/1 (raw inputs): pass
    the scaler's for standardised ones."""

    name = "hybrid"
    context_kwargs = ("feature_mean", "feature_std", "step_seconds")

    def __init__(
        self,
        n_users: int,
        feature_mean: Sequence[float] | None = None,
        feature_std: Sequence[float] | None = None,
        step_seconds: float = 8.0,
        embedding_dim: int = 4,
        correction_hidden: int = 16,
        correction_bpm: float = 5.0,
    ):
        mean, std = _vector(feature_mean, 0.0), _vector(feature_std, 1.0)
        step_seconds, correction_bpm = float(step_seconds), float(correction_bpm)
        super().__init__(
            n_users,
            feature_mean=mean,
            feature_std=std,
            step_seconds=step_seconds,
            embedding_dim=embedding_dim,
            correction_hidden=correction_hidden,
            correction_bpm=correction_bpm,
        )
        self.step_seconds, self.correction_bpm = step_seconds, correction_bpm
        # Not in the state_dict: the config is their one source.
        self.register_buffer("feature_mean", torch.tensor(mean), persistent=False)
        self.register_buffer("feature_std", torch.tensor(std), persistent=False)
        self.reference_demand = float(
            oxygen_demand(
                torch.tensor(mean[SPEED]).clamp(0.0, MAX_SPEED_KMH),
                torch.tensor(mean[GRADE]).clamp(-MAX_GRADE, MAX_GRADE),
            )
        )
        self.embedding = nn.Embedding(n_users + 1, embedding_dim)
        nn.init.normal_(self.embedding.weight, std=0.1)
        self.head = nn.Linear(embedding_dim, len(PARAMETERS))
        with torch.no_grad():
            self.head.weight.mul_(0.1)  # every row starts near the population values
            self.head.bias.copy_(torch.tensor([raw_value(n, RANGES[n][2]) for n in PARAMETERS]))
        self.correction = None
        if correction_bpm > 0:
            self.correction = nn.Sequential(
                nn.Linear(len(FEATURE_NAMES), correction_hidden),
                nn.Tanh(),
                nn.Linear(correction_hidden, 1),
            )
            nn.init.zeros_(self.correction[2].weight)
            nn.init.zeros_(self.correction[2].bias)

    def user_parameters(self, user: Tensor) -> dict[str, Tensor]:
        """Each user's ODE parameters in physical units, [B] each (module docstring's RANGES)."""
        with torch.autocast(user.device.type, enabled=False):
            return bounded(self.head(self.embedding(user_rows(user, self.n_users)).float()))

    def forward(self, features: Tensor, user: Tensor) -> Tensor:
        # float32 throughout: bf16 cannot tell 140 from 140.5 bpm, and the loop is elementwise.
        with torch.autocast(features.device.type, enabled=False):
            scaled = features.float()
            raw = scaled * self.feature_std + self.feature_mean
            p = self.user_parameters(user)
            heart_rate = ode_heart_rate(raw, p, self.reference_demand, self.step_seconds)
            if self.correction is not None:
                bump = torch.tanh(self.correction(scaled)[..., 0])
                heart_rate = heart_rate + self.correction_bpm * bump
            return heart_rate
