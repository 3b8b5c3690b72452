"""The zoo's `physiological` model and the differentiable physiology behind it: running
oxygen demand (ACSM equation, as the exercise_intensity feature uses it), the fraction of
heart-rate reserve it takes, first-order heart-rate kinetics with separate on/off time
constants, and cardiac drift. Per-user parameters live in one embedding table whose raw values
map through softplus with a floor, so every physical quantity stays in range however gradient
descent moves it. torch only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from models.base import ELAPSED, GRADE, INTENSITY, N_FEATURES, SPEED, ZooModel, register, user_rows

RESTING_VO2 = 3.5  # ml/kg/min, one MET (the same constant as the exercise_intensity feature)
MAX_FRACTION = 0.999  # fraction of reserve is clipped to [0, MAX_FRACTION]: [0, 1)
# Population-typical starting values, the initial parameters of every user row.
POPULATION = {
    "rest": 60.0,  # bpm
    "max": 190.0,  # bpm
    "vo2max": 50.0,  # ml/kg/min
    "tau_on": 30.0,  # s, heart rate rising
    "tau_off": 60.0,  # s, heart rate falling
    "drift": 5.0,  # bpm per hour of elapsed time
}
# value = floor + scale * softplus(raw) (positive quantities) or scale * raw (drift, any sign).
# `max` is parametrised as rest + reserve, so max > rest + 40 always.
_FLOOR_SCALE = {
    "rest": (30.0, 10.0),
    "reserve": (40.0, 10.0),
    "vo2max": (20.0, 10.0),
    "tau_on": (5.0, 10.0),
    "tau_off": (5.0, 10.0),
}
_DRIFT_SCALE = 5.0
_COLUMNS = ("rest", "reserve", "vo2max", "tau_on", "tau_off", "drift")


def _inverse_softplus(y: float) -> float:
    return y + math.log(-math.expm1(-y))


class PhysiologyParameters(nn.Module):
    """An [n_rows, 6] table of raw parameters; `forward(rows)` gives each in physical units."""

    def __init__(self, n_rows: int):
        super().__init__()
        self.raw = nn.Embedding(n_rows, len(_COLUMNS))
        start = {
            "rest": POPULATION["rest"],
            "reserve": POPULATION["max"] - POPULATION["rest"],
            "vo2max": POPULATION["vo2max"],
            "tau_on": POPULATION["tau_on"],
            "tau_off": POPULATION["tau_off"],
        }
        initial = [
            _inverse_softplus((start[name] - _FLOOR_SCALE[name][0]) / _FLOOR_SCALE[name][1])
            for name in _COLUMNS[:-1]
        ] + [POPULATION["drift"] / _DRIFT_SCALE]
        with torch.no_grad():
            self.raw.weight.copy_(torch.tensor(initial).expand(n_rows, -1))

    def forward(self, rows: Tensor) -> dict[str, Tensor]:
        raw = self.raw(rows).float()
        values = {}
        for column, name in enumerate(_COLUMNS[:-1]):
            floor, scale = _FLOOR_SCALE[name]
            values[name] = floor + scale * F.softplus(raw[:, column])
        values["max"] = values["rest"] + values.pop("reserve")
        values["drift"] = _DRIFT_SCALE * raw[:, -1]
        return values


def oxygen_demand(speed_kmh: Tensor, grade: Tensor) -> Tensor:
    """Net running VO2 above rest, ml/kg/min: 0.2 v + 0.9 v grade with v in m/min and descents
    (grade < 0) counting half."""
    v = speed_kmh.clamp(min=0.0) * (1000.0 / 60.0)
    climb = torch.where(grade < 0, 0.5 * grade, grade)
    return v * (0.2 + 0.9 * climb)


def steady_state_hr(demand: Tensor, rest: Tensor, maximum: Tensor, vo2max: Tensor, economy=1.0):
    """[B, T] heart rate the demand would settle at: rest + fraction of reserve * (max - rest),
    the fraction demand * economy / (vo2max - 3.5) clipped to [0, 1). Parameters are [B]."""
    fraction = demand * economy / (vo2max - RESTING_VO2)[:, None]
    fraction = fraction.clamp(0.0, MAX_FRACTION)
    return rest[:, None] + fraction * (maximum - rest)[:, None]


def heart_rate_kinetics(
    steady: Tensor, start: Tensor, tau_on: Tensor, tau_off: Tensor, step_seconds: float
) -> Tensor:
    """[B, T]: HR_t = HR_{t-1} + (1 - exp(-dt / tau)) (steady_t - HR_{t-1}) from HR_{-1} = start,
    tau = tau_on while heart rate rises and tau_off while it falls. Causal by construction; a
    Python loop over T (500 steps: fine; torch.compile would unroll it)."""
    rise = -torch.expm1(-step_seconds / tau_on)
    fall = -torch.expm1(-step_seconds / tau_off)
    heart_rate, out = start, []
    for t in range(steady.shape[1]):
        target = steady[:, t]
        rate = torch.where(target > heart_rate, rise, fall)
        heart_rate = heart_rate + rate * (target - heart_rate)
        out.append(heart_rate)
    return torch.stack(out, dim=1)


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
