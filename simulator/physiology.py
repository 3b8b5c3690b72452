"""Latent (noise-free) heart rate from metabolic demand.

speed + grade -> VO2 (ACSM running equation) -> fraction of VO2 reserve -> steady-state HR in
the heart-rate reserve (Swain: %HRR ~ %VO2R) -> first-order kinetics with separate rise/fall
time constants -> cardiac drift and day-to-day offset, clipped to [resting, max].
"""

from __future__ import annotations

import numpy as np

KNEE = 0.85  # above this fraction of reserve HR saturates smoothly instead of hitting HRmax


def running_demand(
    speed_kmh: np.ndarray, grade: np.ndarray, vo2max: np.ndarray, economy: np.ndarray | float = 1.0
) -> np.ndarray:
    """Fraction of VO2 reserve: VO2 = 3.5 + 0.2 v + 0.9 v grade (v in m/min).

    Downhill grades count half: the ACSM grade term is for climbing and would make steep
    descents nearly free.
    """
    v = _float(speed_kmh) * (1000.0 / 60.0)
    g = _float(grade)
    cost = 0.2 * v + 0.9 * v * np.where(g < 0, 0.5 * g, g)
    scale = _per_row(_float(economy) / (_float(vo2max) - 3.5), v.ndim, v.dtype)
    return cost * scale


def reserve_fraction(demand: np.ndarray) -> np.ndarray:
    """Clip at rest below, saturate softly above KNEE so the result is in [0, 1)."""
    f = np.maximum(_float(demand), 0.0)
    soft = KNEE + (1 - KNEE) * np.tanh((f - KNEE) / (1 - KNEE))
    return np.where(f > KNEE, soft, f)


def heart_rate_from_demand(
    demand: np.ndarray,
    dt_s: float,
    hr_rest: np.ndarray | float,
    hr_max: np.ndarray | float,
    tau_on: np.ndarray | float,
    tau_off: np.ndarray | float,
    *,
    drift_rate: np.ndarray | float = 0.0,
    day_offset: np.ndarray | float = 0.0,
    hr_start: np.ndarray | float | None = None,
) -> np.ndarray:
    """Latent HR [W, T] (or [T]) for a demand series sampled every `dt_s` seconds.

    Kinetics are exact for piecewise-constant input: each step closes 1 - exp(-dt/tau) of the
    gap to steady state, with tau_on when rising and tau_off when falling. `hr_start=None`
    starts at the first steady state. Drift (bpm per hour at full effort) accumulates with
    effort so easy jogs drift less than tempo runs.
    """
    demand = _float(demand)
    frac = np.atleast_2d(reserve_fraction(demand))
    w, dtype = len(frac), frac.dtype

    def row(x: np.ndarray | float) -> np.ndarray:
        return _per_row(x, 2, dtype)

    rest, top = row(hr_rest), row(hr_max)
    steady_t = np.ascontiguousarray((rest + frac * (top - rest)).T)
    a_on = np.broadcast_to(1 - np.exp(-dt_s / _float(tau_on)), w).astype(dtype)
    a_off = np.broadcast_to(1 - np.exp(-dt_s / _float(tau_off)), w).astype(dtype)
    out = np.empty_like(steady_t)
    start = steady_t[0] if hr_start is None else _float(hr_start)
    hr = np.broadcast_to(start, w).astype(dtype)
    gap, rising = np.empty_like(hr), np.empty(w, dtype=bool)
    for i in range(len(steady_t)):  # in-place ufuncs: this loop runs once per second of data
        np.subtract(steady_t[i], hr, out=gap)
        np.greater(gap, 0, out=rising)
        gap *= np.where(rising, a_on, a_off)
        hr = np.add(hr, gap, out=out[i])
    drift = row(drift_rate) * np.cumsum(frac, axis=1) * dtype.type(dt_s / 3600.0)
    latent = np.clip(out.T + drift + row(day_offset), rest, top)
    return latent.reshape(demand.shape)


def latent_heart_rate(
    speed_kmh: np.ndarray,
    grade: np.ndarray,
    dt_s: float,
    hr_rest: np.ndarray | float,
    hr_max: np.ndarray | float,
    vo2max: np.ndarray | float,
    tau_on: np.ndarray | float,
    tau_off: np.ndarray | float,
    *,
    economy: np.ndarray | float = 1.0,
    drift_rate: np.ndarray | float = 0.0,
    day_offset: np.ndarray | float = 0.0,
    hr_start: np.ndarray | float | None = None,
) -> np.ndarray:
    """Running latent HR over a [W, T] (or [T]) speed/grade grid; traits are scalars or [W]."""
    demand = running_demand(speed_kmh, grade, vo2max, economy)
    return heart_rate_from_demand(
        demand,
        dt_s,
        hr_rest,
        hr_max,
        tau_on,
        tau_off,
        drift_rate=drift_rate,
        day_offset=day_offset,
        hr_start=hr_start,
    )


def step_cadence(speed_kmh: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Running cadence (spm) rises with speed within 150-185; what a locked strap reports."""
    return np.clip(150 + 3 * (speed_kmh - 8) + offset[:, None].astype(np.float32), 150, 185)


def _float(x: np.ndarray | float) -> np.ndarray:
    """float32 stays float32 (the simulator's grids); everything else becomes float64."""
    arr = np.asarray(x)
    return arr if arr.dtype == np.float32 else arr.astype(np.float64)


def _per_row(x: np.ndarray | float, ndim: int, dtype: np.dtype) -> np.ndarray:
    """Scalars stay scalars; per-workout vectors become columns against [W, T] grids."""
    arr = np.asarray(x, dtype=dtype)
    return arr[:, None] if arr.ndim == 1 and ndim == 2 else arr
