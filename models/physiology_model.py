"""The differentiable physiology behind the zoo's `physiological` model: running oxygen demand
(ACSM equation, as the exercise_intensity feature uses it), the fraction of heart-rate reserve it
takes, first-order heart-rate kinetics with separate on/off time constants, and cardiac drift.
Per-user parameters live in one embedding table whose raw values map through softplus with a
floor, so every physical quantity stays in range however gradient descent moves it. torch only.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

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
