"""What the statistics need of one run, read off its 1 s timeline (bench/realruns_stats.py
says what each quantity is): mean heart rate, the steady points of heart rate against speed,
the within-run slope and drift, response times around changes of pace, pauses, recording."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from realruns_timeline import MIN_RUN_S, Run, distance_per_second, hr_per_second

PAUSE_KMH = 2.5
PAUSE_MIN_S = 10
PAUSE_MERGE_S = 10  # pauses closer than this are one pause
EDGE_S = 60  # pauses in the first and last minute are starting and stopping the watch
STEADY_FROM_S = 300
STEADY_WINDOW_S = 120
STEADY_RANGE_KMH = 2.0
STEADY_SPEED_KMH = (6.0, 18.0)
FLAT_GRADE = 0.02
POINT_EVERY_S = 30
DRIFT_FROM_S = 600
DRIFT_SPAN_S = 1200
STEP_KMH = 2.0
STEP_BEFORE_S, STEP_SKIP_S, STEP_AFTER_S = 60, 20, 100  # steady before, acceleration, steady after
FIT_S = 120
TAU_GRID = np.geomspace(3.0, 300.0, 80)
MIN_RESPONSE_BPM = 5.0


@dataclass
class Summary:
    """What the statistics need of one run."""

    runner: str
    mean_hr: float
    steady_v: np.ndarray = field(default_factory=lambda: np.empty(0))
    steady_hr: np.ndarray = field(default_factory=lambda: np.empty(0))
    within_slope: float = math.nan  # bpm per km/h, controlling for time
    drift: float = math.nan  # bpm per hour, controlling for speed
    taus_up: list[float] = field(default_factory=list)
    taus_down: list[float] = field(default_factory=list)
    pauses: list[float] = field(default_factory=list)  # seconds each
    median_dt: float = math.nan
    has_altitude: bool = False
    has_speed: bool = False  # speed or positions: the figures beyond level and recording


def _trailing(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of x over [i - window + 1, i], nan where fewer than half the values are finite."""
    valid = np.isfinite(x)
    total = np.concatenate([[0.0], np.cumsum(np.where(valid, x, 0.0))])
    count = np.concatenate([[0], np.cumsum(valid)])
    hi = np.arange(1, len(x) + 1)
    lo = np.maximum(hi - window, 0)
    n = count[hi] - count[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n * 2 >= np.minimum(window, hi), (total[hi] - total[lo]) / n, math.nan)


def _shift(x: np.ndarray, by: int) -> np.ndarray:
    """x moved `by` places later in time (x[i - by] at i); nan where it falls outside."""
    out = np.full_like(x, math.nan)
    if by >= 0:
        out[by:] = x[: len(x) - by]
    else:
        out[:by] = x[-by:]
    return out


def _trailing_range(x: np.ndarray, window: int) -> np.ndarray:
    """max - min of x over [i - window + 1, i]; nan if any value there is nan or outside."""
    if len(x) < window:
        return np.full_like(x, math.nan)
    view = np.lib.stride_tricks.sliding_window_view(x, window)
    out = np.full_like(x, math.nan)
    out[window - 1 :] = view.max(axis=1) - view.min(axis=1)  # nan propagates
    return out


def _runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each stretch where mask is true."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _pauses(paused: np.ndarray) -> list[float]:
    spans = _runs_of(paused)
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] < PAUSE_MERGE_S:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    last = len(paused)
    return [
        float(end - start)
        for start, end in merged
        if end - start >= PAUSE_MIN_S and start >= EDGE_S and end <= last - EDGE_S
    ]


def fit_tau(hr: np.ndarray) -> tuple[float, float]:
    """Best tau on TAU_GRID for h(s) = h_inf + c exp(-s / tau), s = 0, 1, ...; returns (tau, c).
    For each tau the two linear parameters are least squares; nan where too few values."""
    s = np.arange(len(hr), dtype=np.float64)
    ok = np.isfinite(hr)
    if ok.mean() < 0.8:
        return math.nan, math.nan
    s, y = s[ok], hr[ok]
    e = np.exp(-s[None, :] / TAU_GRID[:, None])  # [taus, samples]
    n = len(s)
    se, see, sy, sey = e.sum(1), (e * e).sum(1), y.sum(), (e * y).sum(1)
    det = n * see - se * se
    c = (n * sey - se * sy) / det
    h_inf = (sy - c * se) / n
    residual = ((h_inf[:, None] + c[:, None] * e - y[None, :]) ** 2).sum(1)
    best = int(np.argmin(residual))
    return float(TAU_GRID[best]) if 0 < best < len(TAU_GRID) - 1 else math.nan, float(c[best])


def summarise(run: Run) -> Summary:
    """The per-run quantities the statistics are made of (only level and recording for a run
    with neither speed nor positions)."""
    grid = np.arange(0.0, math.floor(run.t[-1]) + 1)
    n = len(grid)
    hr_times = np.unique(run.t[np.isfinite(run.hr)])
    median_dt = float(np.median(np.diff(hr_times))) if len(hr_times) > 1 else math.nan
    has_alt = bool(np.isfinite(run.altitude).mean() >= 0.5)
    hr = hr_per_second(run, grid)
    late_hr = hr[EDGE_S:][np.isfinite(hr[EDGE_S:])]
    summary = Summary(run.runner, float(late_hr.mean()) if len(late_hr) else math.nan)
    summary.median_dt, summary.has_altitude = median_dt, has_alt
    distance = distance_per_second(run, grid)
    if distance is None or n < MIN_RUN_S:
        return summary
    summary.has_speed = True
    idx = np.arange(n)
    ahead, behind = np.minimum(idx + 5, n - 1), np.maximum(idx - 5, 0)
    speed = (distance[ahead] - distance[behind]) / (ahead - behind) * 3.6
    paused = speed < PAUSE_KMH
    summary.pauses = _pauses(paused)

    s30 = _shift(_trailing(speed, 30), -15)  # centred 30 s mean
    moving = np.where(paused, math.nan, s30)  # a pause breaks steadiness
    hr30 = _trailing(hr, 30)
    v120 = _trailing(speed, STEADY_WINDOW_S)
    calm = _trailing_range(moving, STEADY_WINDOW_S + 1) <= STEADY_RANGE_KMH
    flat = np.ones(n, dtype=bool)
    if has_alt:
        ok = np.isfinite(run.altitude)
        altitude = np.interp(grid, run.t[ok], run.altitude[ok])
        rise = altitude - _shift(altitude, STEADY_WINDOW_S)
        run_m = distance - _shift(distance, STEADY_WINDOW_S)
        with np.errstate(invalid="ignore", divide="ignore"):
            flat = np.abs(rise / np.maximum(run_m, 1.0)) <= FLAT_GRADE
    steady = (
        (grid >= STEADY_FROM_S)
        & calm
        & flat
        & (v120 >= STEADY_SPEED_KMH[0])
        & (v120 <= STEADY_SPEED_KMH[1])
        & np.isfinite(hr30)
        & (grid % POINT_EVERY_S == 0)
    )
    summary.steady_v, summary.steady_hr = v120[steady], hr30[steady]
    late = steady & (grid >= DRIFT_FROM_S)
    if late.sum() >= DRIFT_SPAN_S // POINT_EVERY_S and np.ptp(grid[late]) >= DRIFT_SPAN_S:
        design = np.column_stack([np.ones(late.sum()), v120[late], grid[late] / 3600])
        coef, *_ = np.linalg.lstsq(design, hr30[late], rcond=None)
        summary.within_slope, summary.drift = float(coef[1]), float(coef[2])

    # Changes of pace: a steady minute before i, a steady 100 s after i + 20 s.
    before = _trailing(moving, STEP_BEFORE_S)
    before_range = _trailing_range(moving, STEP_BEFORE_S)
    after = _shift(_trailing(moving, STEP_AFTER_S), -(STEP_SKIP_S + STEP_AFTER_S - 1))
    after_range = _shift(_trailing_range(moving, STEP_AFTER_S), -(STEP_SKIP_S + STEP_AFTER_S - 1))
    change = after - before
    candidate = (
        (np.abs(change) >= STEP_KMH)
        & (before_range <= STEADY_RANGE_KMH)
        & (after_range <= STEADY_RANGE_KMH)
        & (grid >= STEP_BEFORE_S)
    )
    taken: list[int] = []
    for i in sorted(np.flatnonzero(candidate), key=lambda k: -abs(change[k])):
        if any(abs(i - j) < STEP_BEFORE_S + STEP_AFTER_S for j in taken):
            continue
        taken.append(i)
        mid = (before[i] + after[i]) / 2
        window = speed[i : i + STEP_SKIP_S + 1]
        crossed = np.flatnonzero((window - mid) * np.sign(change[i]) >= 0)
        t0 = i + (int(crossed[0]) if len(crossed) else 0)
        tau, c = fit_tau(hr[t0 : t0 + FIT_S + 1])
        if np.isfinite(tau) and abs(c) >= MIN_RESPONSE_BPM and np.sign(-c) == np.sign(change[i]):
            (summary.taus_up if change[i] > 0 else summary.taus_down).append(tau)
    return summary


def summarise_all(runs: list[Run]) -> tuple[list[Summary], int]:
    """Summaries of the runs, and how many had neither positions nor speed (level and
    recording figures only)."""
    summaries = [summarise(run) for run in runs]
    return summaries, sum(not s.has_speed for s in summaries)
