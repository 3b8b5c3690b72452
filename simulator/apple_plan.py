"""Who each Apple user is and what they do: traits, home and trip, and the workout calendar.

At most one workout a day, never on travel days, so routes never overlap and route file names
(local minute of the route's end) are unique.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta

import numpy as np

from simulator.apple_config import FEMALE_NAMES, MALE_NAMES, OTHER_NAMES, AppleConfig, Place
from simulator.apple_time import DAY, Itinerary, local_to_utc, midnight_utc, zone_offsets
from simulator.config import RUN, SimulatorConfig
from simulator.plans import RUN_TYPES
from simulator.population import SEXES, Users, make_users


@dataclass(frozen=True)
class WorkoutPlan:
    """Workouts of one user in time order (arrays of equal length)."""

    start: np.ndarray  # epoch s, UTC
    activity: np.ndarray  # index into config.activities
    wtype: np.ndarray  # index into plans.WORKOUT_TYPES
    minutes: np.ndarray  # nominal length
    away: np.ndarray  # on the trip
    indoor: np.ndarray
    route: np.ndarray  # records a GPX route
    auto_pause: np.ndarray  # pauses at stops

    def __len__(self) -> int:
        return len(self.start)

    def take(self, rows: np.ndarray) -> WorkoutPlan:
        return WorkoutPlan(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})


@dataclass(frozen=True)
class UserPlan:
    slug: str
    first_name: str
    sex: str  # one of population.SEXES
    birth: date
    weight_kg: float
    people: Users  # row 0 at home, row 1 in the trip city: the same person
    home: Place
    trip: Place
    itinerary: Itinerary
    workouts: WorkoutPlan


def sim_config(start: date, end: date, config: AppleConfig) -> SimulatorConfig:
    """core.simulate settings: the Apple workout kinds, fitness drift spanning start..end."""
    sports = tuple(a.sport for a in config.activities)
    era_start, era_end = midnight_utc(start), midnight_utc(end) + DAY
    return SimulatorConfig(sports=sports, era_start=era_start, era_end=era_end)


def _person(users: Users, row: int, home: Place, trip: Place, rng: np.random.Generator) -> Users:
    pair = Users(**{f.name: getattr(users, f.name)[[row, row]] for f in fields(users)})
    return replace(
        pair,
        home_lat=np.array([home.lat, trip.lat]) + rng.normal(0, 0.03, 2),
        home_lon=np.array([home.lon, trip.lon]) + rng.normal(0, 0.05, 2),
        base_alt=np.clip(np.array([home.alt, trip.alt]) + rng.normal(0, 10, 2), 0, None),
    )


def _trip(
    rng: np.random.Generator, start: date, n_days: int, home: Place, config: AppleConfig
) -> tuple[int, int, Place]:
    """First day away (index), days away, and a destination whose clock differs from home's."""
    length = int(min(rng.integers(config.trip_days[0], config.trip_days[1] + 1), n_days // 4))
    length = max(length, 1)
    first = int(rng.integers(1, max(2, n_days - length - 1)))
    ends = midnight_utc(start) + np.array([first, first + length]) * DAY
    home_off = zone_offsets(ends, home.zone)
    options = [p for p in config.trips if (zone_offsets(ends, p.zone) != home_off).all()]
    return first, length, options[rng.integers(len(options))]


def _workouts(
    rng: np.random.Generator,
    start: date,
    n_days: int,
    blocked: tuple[int, int],
    itinerary: Itinerary,
    runs_per_week: float,
    config: AppleConfig,
) -> WorkoutPlan:
    acts = config.activities
    shares = np.array([a.share for a in acts])
    shares = shares / shares.sum()
    run_idx = [a.sport.name for a in acts].index(RUN)
    free = np.setdiff1d(np.arange(n_days), blocked)
    n = min(int(rng.poisson(n_days / 7 * runs_per_week / shares[run_idx])), len(free))
    day = np.sort(rng.choice(free, n, replace=False))
    activity = rng.choice(len(acts), n, p=shares)
    morning = rng.random(n) < 0.4
    clock = np.where(morning, rng.uniform(6, 9, n), rng.uniform(16, 20, n)) * 3600
    wall = midnight_utc(start) + day * DAY + clock.astype(np.int64)
    away = (day > blocked[0]) & (day < blocked[1])
    utc = np.empty(n, dtype=np.int64)
    for flag, zone in ((False, itinerary.home), (True, itinerary.trip)):
        utc[away == flag] = local_to_utc(wall[away == flag], zone)

    is_run = activity == run_idx
    run_p = np.array([t[1] for t in RUN_TYPES])
    run_type = rng.choice(len(RUN_TYPES), n, p=run_p / run_p.sum())
    wtype = np.where(is_run, run_type, len(RUN_TYPES))
    run_min = np.array([t[2] for t in RUN_TYPES], dtype=float)[run_type]
    other_min = np.array([a.sport.minutes for a in acts], dtype=float)[activity]
    bounds = np.where(is_run[:, None], run_min, other_min)
    minutes = bounds[:, 0] + rng.random(n) * (bounds[:, 1] - bounds[:, 0])
    gym = ~np.array([a.has_route for a in acts])[activity]
    indoor = gym | (is_run & (rng.random(n) < config.indoor_run_share))
    route = ~indoor & (rng.random(n) >= config.routeless_share)
    auto_pause = ~indoor & (rng.random(n) < config.auto_pause_share)
    return WorkoutPlan(utc, activity, wtype, minutes, away, indoor, route, auto_pause)


def make_plans(
    seed: int, n_users: int, start: date, end: date, runs_per_week: float, config: AppleConfig
) -> list[UserPlan]:
    """Users from SeedSequence(seed, (0,)); user u's life from SeedSequence(seed, (1, u))."""
    sim = sim_config(start, end, config)
    setup = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    users = make_users(setup, n_users, sim.era_start, sim.era_end)
    n_days = (end - start).days + 1
    plans = []
    for u in range(n_users):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, u)))
        home = config.homes[rng.integers(len(config.homes))]
        first, length, trip = _trip(rng, start, n_days, home, config)
        depart, back = start + timedelta(days=first), start + timedelta(days=first + length)
        itinerary = Itinerary(
            home.zone,
            trip.zone,
            int(local_to_utc(np.array([midnight_utc(depart) + 10 * 3600]), home.zone)[0]),
            int(local_to_utc(np.array([midnight_utc(back) + 10 * 3600]), trip.zone)[0]),
        )
        blocked = (first, first + length)
        workouts = _workouts(rng, start, n_days, blocked, itinerary, runs_per_week, config)
        sex = SEXES[users.sex[u]]
        names = {"female": FEMALE_NAMES, "male": MALE_NAMES}.get(sex, OTHER_NAMES)
        birth = date(start.year - int(users.age[u]), 1, 1) + timedelta(int(rng.integers(365)))
        weight = rng.uniform(55, 75) if sex == "female" else rng.uniform(65, 90)
        plans.append(
            UserPlan(
                slug=f"apple_user_{u + 1:02d}",
                first_name=names[rng.integers(len(names))],
                sex=sex,
                birth=birth,
                weight_kg=round(float(weight), 1),
                people=_person(users, u, home, trip, rng),
                home=home,
                trip=trip,
                itinerary=itinerary,
                workouts=workouts,
            )
        )
    return plans
