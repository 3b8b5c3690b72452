"""Routes at 1 Hz: terrain grade, speed on that terrain, altitude and GPS track.

Grade is a smooth function of distance (rolling hills); altitude is then integrated from grade
and the final speed, so altitude, speed and position stay mutually consistent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METERS_PER_DEG = 111_320.0


@dataclass(frozen=True)
class Route:
    speed_kmh: np.ndarray  # [W, T] float32, after slowing on climbs
    grade: np.ndarray  # [W, T] float32, rise over run
    altitude: np.ndarray  # [W, T] float32, m
    north_m: np.ndarray  # [W, T] float32, displacement from the start point
    east_m: np.ndarray  # [W, T] float32
    start_lat: np.ndarray  # [W]
    start_lon: np.ndarray  # [W]

    def latlon(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Float64 degrees at time indices [W, n]; only sampled points are converted."""
        north = np.take_along_axis(self.north_m, index, axis=1).astype(np.float64)
        east = np.take_along_axis(self.east_m, index, axis=1).astype(np.float64)
        lat = self.start_lat[:, None] + north / METERS_PER_DEG
        cos_lat = np.cos(np.radians(self.start_lat))[:, None]
        return lat, self.start_lon[:, None] + east / (METERS_PER_DEG * cos_lat)


def terrain_grade(
    rng: np.random.Generator, distance_m: np.ndarray, max_grade: np.ndarray
) -> np.ndarray:
    """Two superposed hill waves per workout; wavelengths keep |grade| <= max_grade."""
    w = len(max_grade)
    grade = np.zeros(distance_m.shape, dtype=np.float32)
    for amp_range, wave_range in (((0.3, 1.0), (600, 3000)), ((0.1, 0.4), (150, 500))):
        k = _col(2 * np.pi / rng.uniform(*wave_range, w))
        slope = _col(rng.uniform(*amp_range, w) * max_grade)  # peak grade of this wave
        grade += slope * np.cos(k * distance_m + _col(rng.uniform(0, 2 * np.pi, w)))
    limit = _col(max_grade)
    return np.clip(grade, -limit, limit)


def _col(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)[:, None]


def make_route(
    rng: np.random.Generator,
    plan_kmh: np.ndarray,
    max_grade: np.ndarray,
    slowdown: np.ndarray,
    start_lat: np.ndarray,
    start_lon: np.ndarray,
    base_alt: np.ndarray,
) -> Route:
    """Lay a route under a planned speed [W, T]; climbs slow the athlete by `slowdown`*grade."""
    w, n_steps = plan_kmh.shape
    planned_m = np.cumsum(plan_kmh, axis=1) / np.float32(3.6)
    grade = terrain_grade(rng, planned_m, max_grade)
    uphill, slow = np.maximum(grade, 0), _col(slowdown)
    factor = 1 / (1 + slow * uphill) - np.float32(0.3) * slow * (grade - uphill)
    speed = plan_kmh * np.clip(factor, np.float32(0.4), np.float32(1.3))
    step_m = speed / 3.6
    climb = step_m * grade
    altitude = base_alt[:, None].astype(np.float32) + np.cumsum(climb, axis=1) - climb[:, :1]

    t = np.arange(n_steps, dtype=np.float32)[None, :]
    heading = rng.uniform(0, 2 * np.pi, (w, 1)).astype(np.float32)
    for amp, period in (((0.5, 2.5), (300, 1500)), ((0.2, 0.8), (60, 240))):
        a, k = _col(rng.uniform(*amp, w)), _col(2 * np.pi / rng.uniform(*period, w))
        heading = heading + a * np.sin(k * t + _col(rng.uniform(0, 7, w)))
    north = np.cumsum(step_m * np.cos(heading), axis=1)
    east = np.cumsum(step_m * np.sin(heading), axis=1)
    return Route(speed, grade, altitude, north, east, start_lat, start_lon)
