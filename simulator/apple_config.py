"""Apple Health export knobs: watch generations, places, workout mix and record densities.

Densities follow what real exports show: early watches (Series 3 era) sampled all-day heart rate
every few minutes and workouts every 20 s to 2 min; later ones sample every few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from simulator.config import RUN, SportSpec


@dataclass(frozen=True)
class WatchEra:
    """A watch worn from `start` on: its hardware id and heart-rate records per minute."""

    start: date
    hardware: str
    allday_per_min: tuple[float, float]  # each day draws its rate in this range
    workout_per_min: tuple[float, float]  # each workout draws its rate in this range


@dataclass(frozen=True)
class Place:
    zone: str  # IANA name, written as HKTimeZone
    lat: float
    lon: float
    alt: float  # m


@dataclass(frozen=True)
class Activity:
    """A workout kind: its HKWorkoutActivityType suffix and how core.simulate loads the body.

    `sport.share` is unused here; `share` is the kind's part of all workouts.
    """

    name: str
    sport: SportSpec
    share: float
    has_route: bool  # outdoor workouts of this kind record a GPX route
    met_per_hrr: float  # METs at full heart-rate reserve, for the energy statistic


ERAS = (
    WatchEra(date(2015, 4, 24), "Watch3,4", (0.4, 1.0), (0.5, 3.0)),
    WatchEra(date(2021, 1, 1), "Watch6,2", (5.0, 12.0), (12.5, 15.0)),
    WatchEra(date(2023, 10, 1), "Watch7,4", (5.0, 12.0), (12.5, 15.0)),
)
PHONES = (
    (date(2015, 1, 1), "iPhone10,4"),
    (date(2021, 3, 1), "iPhone13,2"),
    (date(2024, 2, 1), "iPhone16,1"),
)
HOMES = (
    Place("Europe/Berlin", 52.520, 13.405, 35),
    Place("America/New_York", 40.713, -74.006, 10),
    Place("Australia/Sydney", -33.869, 151.209, 20),
    Place("Europe/London", 51.507, -0.128, 15),
    Place("America/Chicago", 41.878, -87.630, 180),
)
TRIPS = (
    Place("America/Denver", 39.739, -104.990, 1610),
    Place("Asia/Tokyo", 35.676, 139.650, 40),
    Place("Europe/Lisbon", 38.722, -9.139, 50),
    Place("America/Los_Angeles", 34.052, -118.244, 90),
    Place("Asia/Singapore", 1.352, 103.820, 15),
    Place("Europe/Athens", 37.984, 23.728, 70),
)
_RUN = SportSpec(RUN, 1, (6, 20), (0.6, 0.9), (25, 140), 0.07, 3.0, True)
_WALK = SportSpec("walk", 1, (3.5, 6.5), (0.2, 0.4), (25, 80), 0.06, 3.0, True)
_BIKE = SportSpec("bike", 1, (15, 32), (0.45, 0.8), (40, 120), 0.06, 8.0, False)
_HIIT = SportSpec("hiit", 1, (0.5, 3), (0.6, 0.9), (20, 40), 0.0, 0.0, False)
_GYM = SportSpec("strength", 1, (0.2, 1), (0.3, 0.6), (30, 60), 0.0, 0.0, False)
ACTIVITIES = (
    Activity("Running", _RUN, 0.76, True, 16),
    Activity("Walking", _WALK, 0.10, True, 10),
    Activity("Cycling", _BIKE, 0.06, True, 14),
    Activity("HighIntensityIntervalTraining", _HIIT, 0.04, False, 14),
    Activity("TraditionalStrengthTraining", _GYM, 0.04, False, 8),
)
FEMALE_NAMES = ("Anna", "Laura", "Sofia", "Emma", "Julia", "Mia")
MALE_NAMES = ("Jonas", "David", "Lukas", "Tom", "Ben", "Felix")
OTHER_NAMES = ("Alex", "Sam", "Robin")


@dataclass(frozen=True)
class AppleConfig:
    eras: tuple[WatchEra, ...] = ERAS
    phones: tuple[tuple[date, str], ...] = PHONES
    homes: tuple[Place, ...] = HOMES
    trips: tuple[Place, ...] = TRIPS
    activities: tuple[Activity, ...] = ACTIVITIES
    trip_days: tuple[int, int] = (7, 21)
    indoor_run_share: float = 0.10  # treadmill: no route, HKIndoorWorkout=1
    routeless_share: float = 0.06  # outdoor workouts whose route was not recorded
    auto_pause_share: float = 0.4  # outdoor workouts that pause at stops (no GPS points then)
    hrr_from: date = date(2022, 9, 12)  # cardio recovery records arrived with watchOS 9
    optical_noise_sd: float = 3.0  # bpm, wrist sensor during workouts
    # Moderate densities for the look-alike and unrelated record types (per day, per source).
    steps_per_day: float = 3.0
    energy_per_day: float = 4.0
    hrv_per_day: float = 0.5
    blood_pressure_per_year: float = 6.0
    group: int = 128  # workouts simulated together at 1 Hz; bounds memory


APPLE_SAMPLE_PRESET = {"users": 2, "runs_per_week": 0.15, "background_scale": 0.0005}
