"""1 Hz ground truth for a batch of workouts, independent of any output format.

Writers (FitRec now, Apple Health later) sample these arrays at their own record times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.config import RUN, SimulatorConfig
from simulator.physiology import heart_rate_from_demand, running_demand, step_cadence
from simulator.plans import WORKOUT_TYPES, Schedule, effort_profile
from simulator.population import Users
from simulator.route import Route, make_route


@dataclass(frozen=True)
class Trajectory:
    """Noise-free 1 Hz series [W, T] (zero speed after each workout's `duration`)."""

    duration: np.ndarray  # s
    route: Route
    latent_hr: np.ndarray  # bpm
    cadence: np.ndarray  # spm, only meaningful for on-foot sports
    vo2max: np.ndarray  # fitness on the day
    day_offset: np.ndarray  # bpm


def simulate(
    rng: np.random.Generator,
    users: Users,
    sched: Schedule,
    duration: np.ndarray,
    config: SimulatorConfig,
) -> Trajectory:
    """Speed plan -> route -> demand -> latent HR for the workouts in `sched`."""
    w, n_steps = len(sched), int(duration.max()) + 1
    sports = config.sports
    is_run = sched.sport == config.sport_names.index(RUN)
    u = sched.user
    effort, moving = effort_profile(rng, sched.wtype, duration, n_steps)

    vo2max = users.vo2max_at(u, sched.start, config.era_start)
    economy = users.economy[u]
    v_max = (vo2max - 3.5) / (0.2 * economy) * 0.06  # km/h at VO2max on the flat
    lo, hi = (_col(np.array([s.speed_kmh[i] for s in sports])[sched.sport]) for i in (0, 1))
    plan = moving * np.where(_col(is_run) > 0, effort * _col(v_max), lo + effort * (hi - lo))

    hills = sched.wtype == WORKOUT_TYPES.index("hills")
    max_grade = np.array([s.max_grade for s in sports])[sched.sport] * rng.uniform(0.5, 1.5, w)
    max_grade = np.where(hills, rng.uniform(0.08, 0.14, w), max_grade)
    slowdown = np.array([s.grade_slowdown for s in sports])[sched.sport]
    route = make_route(
        rng,
        plan,
        max_grade,
        slowdown,
        users.home_lat[u] + rng.normal(0, 0.01, w),
        users.home_lon[u] + rng.normal(0, 0.015, w),
        users.base_alt[u] + rng.normal(0, 5, w),
    )

    frac_lo, frac_hi = (
        _col(np.array([s.hrr_frac[i] for s in sports])[sched.sport]) for i in (0, 1)
    )
    climb = 3 * np.maximum(route.grade, 0)
    other = moving * (frac_lo + effort * (frac_hi - frac_lo) + climb)
    running = running_demand(route.speed_kmh, route.grade, vo2max, economy) * _col(users.hr_gain[u])
    demand = np.where(_col(is_run) > 0, running, other)
    hr_rest, hr_max = users.hr_rest[u], users.hr_max[u]
    day_offset = rng.normal(0, 5, w)
    latent = heart_rate_from_demand(
        demand,
        1.0,
        hr_rest,
        hr_max,
        users.tau_on[u],
        users.tau_off[u],
        drift_rate=users.drift_rate[u],
        day_offset=day_offset,
        hr_start=hr_rest + rng.uniform(0.1, 0.3, w) * (hr_max - hr_rest),
    )
    cadence = step_cadence(route.speed_kmh, rng.normal(0, 4, w))
    return Trajectory(duration, route, latent, cadence, vo2max, day_offset)


def _col(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)[:, None]
