"""Workout schedule, speed plans and FitRec sampling times.

A plan is an effort fraction p(t) at 1 Hz. For running p is the fraction of the user's
velocity at VO2max (so HR reserve ~ p on the flat); for other sports it is the position within
the sport's speed range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.config import RUN, SimulatorConfig
from simulator.population import SECONDS_PER_YEAR, Users

# name, share of runs, minutes range, main effort range (fraction of vVO2max)
RUN_TYPES = (
    ("recovery", 0.15, (25, 45), (0.64, 0.72)),
    ("steady", 0.40, (35, 70), (0.72, 0.80)),
    ("tempo", 0.10, (40, 65), (0.80, 0.88)),
    ("intervals", 0.08, (45, 70), (0.95, 1.05)),
    ("hills", 0.08, (40, 70), (0.70, 0.78)),
    ("long", 0.19, (75, 140), (0.66, 0.74)),
)
OTHER_TYPE = "general"
WORKOUT_TYPES = (*[t[0] for t in RUN_TYPES], OTHER_TYPE)
MAX_STOPS = 4
PACE_JITTER, JITTER_S = 0.05, 10  # relative sd of pace, seconds each value holds


@dataclass(frozen=True)
class Schedule:
    """Every workout of the file, in file order (grouped by user, then by date)."""

    user: np.ndarray  # row in Users
    sport: np.ndarray  # index into config.sports
    wtype: np.ndarray  # index into WORKOUT_TYPES
    start: np.ndarray  # epoch seconds
    workout_id: np.ndarray
    minutes: np.ndarray  # nominal length

    def __len__(self) -> int:
        return len(self.user)

    def take(self, rows: slice) -> Schedule:
        return Schedule(**{k: v[rows] for k, v in self.__dict__.items()})


def _uniform(rng: np.random.Generator, bounds: np.ndarray) -> np.ndarray:
    return bounds[:, 0] + (bounds[:, 1] - bounds[:, 0]) * rng.random(len(bounds))


def make_schedule(
    rng: np.random.Generator, users: Users, per_user: int, config: SimulatorConfig
) -> Schedule:
    """Sports (users mostly stick to one), run types, dates and date-ordered 9-digit ids."""
    n_users, shares = len(users), np.array([s.share for s in config.sports])
    shares = shares / shares.sum()
    user = np.repeat(np.arange(n_users), per_user)
    primary = rng.choice(len(shares), size=n_users, p=shares)[user]
    sport = np.where(
        rng.random(len(user)) < 0.75, primary, rng.choice(len(shares), len(user), p=shares)
    )
    run_idx = config.sport_names.index(RUN)
    run_share = np.array([t[1] for t in RUN_TYPES])
    wtype = np.where(
        sport == run_idx,
        rng.choice(len(RUN_TYPES), size=len(user), p=run_share / run_share.sum()),
        len(RUN_TYPES),
    )
    type_minutes = np.array([t[2] for t in RUN_TYPES] + [(0, 0)], dtype=float)[wtype]
    sport_minutes = np.array([s.minutes for s in config.sports], dtype=float)[sport]
    minutes = _uniform(rng, np.where((sport == run_idx)[:, None], type_minutes, sport_minutes))

    era = config.era_end - config.era_start
    span = np.minimum(rng.uniform(0.2, 3.0, n_users) * SECONDS_PER_YEAR, era * 0.95)
    first = config.era_start + rng.random(n_users) * (era - span)
    day = np.sort(rng.random((n_users, per_user)), axis=1) * span[:, None] + first[:, None]
    day = (day // 86400 * 86400).ravel()
    hour = np.where(
        rng.random(len(user)) < 0.4, rng.uniform(6, 9, len(user)), rng.uniform(16, 20, len(user))
    )
    start = (day + hour * 3600 + rng.integers(0, 3600, len(user))).astype(np.int64)

    order = np.argsort(start, kind="stable")
    rank = np.empty(len(start), dtype=np.int64)
    rank[order] = np.arange(len(start))
    rate = 7.5e8 / era  # ids grow with date like Endomondo's, 1e8..~9e8 over the era
    workout_id = 100_000_000 + ((start - config.era_start) * rate).astype(np.int64) + rank
    return Schedule(user, sport, wtype, start, workout_id, minutes)


def mean_minutes(config: SimulatorConfig) -> float:
    """Expected nominal length over the configured mix (sets the absolute step size)."""
    shares = np.array([s.share for s in config.sports])
    mids = np.array([np.mean(s.minutes) for s in config.sports])
    run = np.array([t[1] for t in RUN_TYPES])
    run_mid = np.sum(run * np.array([np.mean(t[2]) for t in RUN_TYPES])) / run.sum()
    mids[config.sport_names.index(RUN)] = run_mid
    return float(np.sum(shares * mids) / shares.sum())


def record_offsets(
    rng: np.random.Generator, minutes: np.ndarray, config: SimulatorConfig
) -> np.ndarray:
    """FitRec record times (s from start), [W, n]: per-workout base step, jitter, rare gaps.

    A fixed point count means long workouts get sparse records; the base step is proportional
    to the nominal length and scaled so the mean over the mix is `config.mean_step_s`.
    """
    n = config.points_per_workout
    gap_p, gap_mean = 0.006, 50.0
    base = (config.mean_step_s - gap_p * gap_mean) * minutes / mean_minutes(config)
    steps = base[:, None] * rng.lognormal(-0.045, 0.3, (len(minutes), n - 1))
    gaps = np.where(rng.random(steps.shape) < gap_p, rng.uniform(20, 80, steps.shape), 0.0)
    steps = np.maximum(np.rint(steps + gaps), 1).astype(np.int64)
    return np.concatenate([np.zeros((len(minutes), 1), np.int64), np.cumsum(steps, 1)], axis=1)


def effort_profile(
    rng: np.random.Generator, wtype: np.ndarray, duration: np.ndarray, n_steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Effort fraction p [W, T] at 1 Hz and a moving factor [W, T] (0 at stops, after the end).

    Warm-up, main set (constant, progressive for tempo, on/off for intervals), cool-down, a slow
    wobble and occasional stops such as traffic lights.
    """
    w = len(wtype)
    t = np.arange(n_steps, dtype=np.float32)[None, :]
    main = _uniform(rng, np.array([t_[3] for t_ in RUN_TYPES] + [(0.25, 0.75)])[wtype])
    warm = np.where(wtype == WORKOUT_TYPES.index("recovery"), 120, rng.uniform(300, 900, w))
    warm = np.minimum(warm, 0.25 * duration)
    end_main = _col(duration - np.minimum(rng.uniform(120, 600, w), 0.2 * duration))

    p = np.broadcast_to(_col(main), (w, n_steps))
    progress = np.clip((t - _col(warm)) / (end_main - _col(warm)), 0, 1)
    tempo = _col(wtype == WORKOUT_TYPES.index("tempo")) > 0
    p = np.where(tempo, _col(main - 0.05) + 0.1 * progress, p)
    on, off = rng.uniform(60, 300, w), rng.uniform(60, 180, w)
    recovering = np.mod(t - _col(warm), _col(on + off)) >= _col(on)
    intervals = _col(wtype == WORKOUT_TYPES.index("intervals")) > 0
    p = np.where(intervals & recovering, _col(rng.uniform(0.55, 0.65, w)), p)
    p = np.where(t < _col(warm), _col(np.minimum(main, 0.72) * rng.uniform(0.85, 0.95, w)), p)
    p = np.where(t >= end_main, _col(np.minimum(main, 0.72) * rng.uniform(0.8, 0.92, w)), p)
    period, phase = _col(rng.uniform(180, 900, w)), _col(rng.uniform(0, 7, w))
    p = p * (1 + _col(rng.uniform(0.01, 0.04, w)) * np.sin(2 * np.pi * t / period + phase))
    # Pace jitter held for JITTER_S seconds: too fast for HR to follow, so it decorrelates
    # speed from HR as in real data.
    blocks = rng.standard_normal((w, n_steps // JITTER_S + 1), dtype=np.float32)
    p = p * (1 + PACE_JITTER * np.repeat(blocks, JITTER_S, axis=1)[:, :n_steps])

    n_stops = rng.poisson(1.2, w)
    stop_at = rng.uniform(0.05, 0.95, (w, MAX_STOPS)) * duration[:, None]
    stop_end = stop_at + rng.uniform(8, 60, (w, MAX_STOPS))
    moving = t < _col(duration)
    for k in range(MAX_STOPS):
        stopped = (t >= _col(stop_at[:, k])) & (t < _col(stop_end[:, k]))
        moving &= ~(_col(k < n_stops) > 0) | ~stopped
    return _smooth(p.astype(np.float32), 7), _smooth(moving.astype(np.float32), 7)


def _col(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)[:, None]


def _smooth(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average along time: runners accelerate over a few seconds."""
    c = np.cumsum(x, axis=1, dtype=np.float64)
    out = c.copy()
    out[:, window:] -= c[:, :-window]
    out /= np.minimum(np.arange(1, x.shape[1] + 1), window)
    return out.astype(np.float32)
