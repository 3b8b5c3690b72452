"""Synthetic users.

Between-person spread in fitness, resting HR and HRmax is what keeps the pooled speed-HR
correlation low in real data: fit people run faster at the same heart rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEXES = ("male", "female", "unknown")
SECONDS_PER_YEAR = 365.25 * 86400
SECONDS_PER_MONTH = SECONDS_PER_YEAR / 12

# (latitude, longitude, altitude m, weight): mostly lowland Endomondo strongholds, a few high.
CITIES = np.array(
    [
        (55.676, 12.568, 15, 6),  # Copenhagen
        (56.157, 10.211, 50, 3),  # Aarhus
        (59.913, 10.752, 40, 3),  # Oslo
        (59.329, 18.069, 25, 3),  # Stockholm
        (60.170, 24.938, 20, 2),  # Helsinki
        (52.520, 13.405, 35, 3),  # Berlin
        (48.137, 11.576, 520, 2),  # Munich
        (40.417, -3.704, 660, 3),  # Madrid
        (41.389, 2.159, 30, 3),  # Barcelona
        (41.903, 12.496, 40, 2),  # Rome
        (52.370, 4.895, 2, 2),  # Amsterdam
        (52.230, 21.011, 100, 2),  # Warsaw
        (50.076, 14.438, 250, 2),  # Prague
        (47.377, 8.540, 410, 1),  # Zurich
        (40.713, -74.006, 10, 3),  # New York
        (41.878, -87.630, 180, 2),  # Chicago
        (39.739, -104.990, 1610, 1),  # Denver
        (-23.551, -46.633, 760, 1),  # Sao Paulo
        (19.433, -99.133, 2240, 1),  # Mexico City
        (-33.869, 151.209, 20, 2),  # Sydney
    ]
)


@dataclass(frozen=True)
class Users:
    """Per-user traits as parallel arrays (index = user row)."""

    user_id: np.ndarray
    sex: np.ndarray  # index into SEXES
    age: np.ndarray
    hr_rest: np.ndarray
    hr_max: np.ndarray
    vo2max: np.ndarray  # ml/kg/min at the start of the era
    vo2max_trend: np.ndarray  # ml/kg/min per year
    fitness_walk: np.ndarray  # [users, months] random-walk offset to vo2max
    economy: np.ndarray  # running O2 cost relative to the ACSM equation
    hr_gain: np.ndarray  # individual %HRR per %VO2R (Swain's relation has person-level scatter)
    tau_on: np.ndarray  # s, HR rise time constant
    tau_off: np.ndarray  # s, HR fall time constant (slower than rise)
    drift_rate: np.ndarray  # bpm per hour at full effort (cardiac drift)
    noise_sd: np.ndarray  # bpm, chest-strap quality
    home_lat: np.ndarray
    home_lon: np.ndarray
    base_alt: np.ndarray

    def __len__(self) -> int:
        return len(self.user_id)

    def vo2max_at(self, user: np.ndarray, epoch: np.ndarray, era_start: int) -> np.ndarray:
        """Fitness on a date: trend plus monthly random walk, so time splits see drift."""
        years = (epoch - era_start) / SECONDS_PER_YEAR
        month = np.clip(((epoch - era_start) // SECONDS_PER_MONTH).astype(np.int64), 0, None)
        month = np.minimum(month, self.fitness_walk.shape[1] - 1)
        value = self.vo2max[user] + self.vo2max_trend[user] * years
        return np.clip(value + self.fitness_walk[user, month], 28.0, 80.0)

    def table(self) -> dict[str, np.ndarray]:
        """Columns for users.parquet (the walk is summarised by its final value)."""
        return {
            "user_id": self.user_id,
            "sex": np.array(SEXES, dtype=object)[self.sex],
            "age": self.age,
            "hr_rest": self.hr_rest,
            "hr_max": self.hr_max,
            "vo2max": self.vo2max,
            "vo2max_trend_per_year": self.vo2max_trend,
            "vo2max_walk_end": self.fitness_walk[:, -1],
            "economy": self.economy,
            "hr_gain": self.hr_gain,
            "tau_on_s": self.tau_on,
            "tau_off_s": self.tau_off,
            "drift_bpm_per_h": self.drift_rate,
            "sensor_noise_sd": self.noise_sd,
            "home_lat": self.home_lat,
            "home_lon": self.home_lon,
            "base_alt_m": self.base_alt,
        }


def make_users(rng: np.random.Generator, n: int, era_start: int, era_end: int) -> Users:
    """Draw `n` users; ids are unique 7-8 digit ints in ascending order (file order)."""
    ids = np.sort(rng.choice(19_000_000, size=n, replace=False)) + 1_000_000
    sex = rng.choice(3, size=n, p=[0.62, 0.34, 0.04])
    female = sex == 1
    age = np.round(18 + 47 * rng.beta(2.0, 3.2, n)).astype(np.int64)
    hr_max = np.clip(208 - 0.7 * age + rng.normal(0, 7, n), 150, 215).round(1)
    hr_rest = np.clip(rng.normal(58, 7, n) + 3 * female, 42, 85).round(1)
    vo2 = rng.normal(55, 5, n) - 5 * female - 0.2 * np.clip(age - 30, 0, None)
    months = int((era_end - era_start) // SECONDS_PER_MONTH) + 2
    walk = np.cumsum(rng.normal(0, 0.35, (n, months)), axis=1)
    tau_on = rng.uniform(20, 45, n)
    city = rng.choice(len(CITIES), size=n, p=CITIES[:, 3] / CITIES[:, 3].sum())
    return Users(
        user_id=ids,
        sex=sex,
        age=age,
        hr_rest=hr_rest,
        hr_max=hr_max,
        vo2max=np.clip(vo2, 34, 72),
        vo2max_trend=rng.normal(0.3, 1.2, n),
        fitness_walk=walk,
        economy=np.clip(rng.normal(0.86, 0.06, n), 0.65, 1.1),
        hr_gain=np.clip(rng.normal(1.0, 0.09, n), 0.75, 1.25),
        tau_on=tau_on,
        tau_off=np.clip(tau_on * rng.uniform(1.5, 2.5, n), 40, 90),
        drift_rate=rng.uniform(4, 16, n),
        noise_sd=rng.lognormal(np.log(2.0), 0.4, n),
        home_lat=CITIES[city, 0] + rng.normal(0, 0.05, n),
        home_lon=CITIES[city, 1] + rng.normal(0, 0.08, n),
        base_alt=np.clip(CITIES[city, 2] + rng.normal(0, 40, n), 0, None),
    )
