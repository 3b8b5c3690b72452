"""Workouts at 1 Hz (core.simulate) and what the Watch records of them.

From the latent physiology: heart-rate samples at the era's density plus optical noise, auto-pause
at stops (no GPS fixes while paused), GPS fixes with noise scaled to their stated accuracy, the
Workout statistics, and truth rows (latent HR on the GPS clock). Workouts are simulated in
time-ordered groups so routes and truth come out in time order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import polars as pl

from simulator.apple_config import AppleConfig, WatchEra
from simulator.apple_gpx import Fixes, gpx_documents
from simulator.apple_plan import UserPlan
from simulator.apple_time import midnight_utc, route_names
from simulator.config import RUN, SimulatorConfig
from simulator.core import Trajectory, simulate
from simulator.plans import Schedule
from simulator.route import METERS_PER_DEG

MIN_PAUSE_S = 6  # a stop this long triggers auto-pause


@dataclass(frozen=True)
class WorkoutLog:
    """Per-workout results in plan order, plus every workout HR sample in time order."""

    end: np.ndarray  # epoch s
    paused_s: np.ndarray
    pauses: list[np.ndarray]  # [k, 2] pause and resume epochs
    splits: list[np.ndarray]  # [k, 2] kilometre segment start epoch and seconds
    distance_km: np.ndarray
    energy_kcal: np.ndarray
    elevation_cm: np.ndarray
    mets: np.ndarray
    hr_avg: np.ndarray
    hr_min: np.ndarray
    hr_max: np.ndarray
    hr_per_min: np.ndarray
    hrr: np.ndarray  # bpm drop in the minute after; -1 when none was recorded
    temperature_f: np.ndarray
    humidity: np.ndarray  # percent
    route_file: list[str | None]
    route_start: np.ndarray
    route_end: np.ndarray
    hr_time: np.ndarray
    hr_value: np.ndarray
    hr_context: np.ndarray  # motion context; -1 = no MetadataEntry


def era_at(config: AppleConfig, epoch: int) -> WatchEra:
    day = datetime.fromtimestamp(int(epoch), UTC).date()
    return [e for e in config.eras if e.start <= day][-1]


def correlated(rng: np.random.Generator, n: int, corr: float) -> np.ndarray:
    """Unit-variance noise correlated over ~`corr` samples (exponential kernel)."""
    kernel = np.exp(-np.arange(int(4 * corr) + 1) / corr)
    white = rng.standard_normal(n + len(kernel) - 1)
    return np.convolve(white, kernel / np.sqrt(np.sum(kernel**2)), mode="valid")


def _pauses(speed_kmh: np.ndarray, enabled: bool) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) second indices of stops long enough to auto-pause."""
    if not enabled:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    edges = np.diff(np.concatenate([[0], (speed_kmh < 1.0).astype(np.int8), [0]]))
    start, end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = (end - start >= MIN_PAUSE_S) & (start > 0) & (end < len(speed_kmh))
    return start[keep], end[keep]


def _hr_samples(
    rng: np.random.Generator, latent: np.ndarray, era: WatchEra, sd: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample offsets (s), integer bpm and motion context at the era's density."""
    gap = 60.0 / rng.uniform(*era.workout_per_min)
    jitter = 0.1 if gap < 10 else 0.5
    count = int(len(latent) / gap * 1.6) + 2
    steps = np.floor(gap * rng.uniform(1 - jitter, 1 + jitter, count) + rng.random(count))
    offsets = int(rng.integers(0, int(gap) + 1)) + np.cumsum(np.maximum(steps, 1)) - 1
    offsets = offsets[offsets < len(latent)].astype(np.int64)
    noise = correlated(rng, len(offsets), 2.0 if gap < 10 else 0.5) * sd
    values = np.clip(np.rint(latent[offsets] + noise), 40, 230).astype(np.int64)
    context = np.where(rng.random(len(offsets)) < 0.7, 2, -1)
    return offsets, values, context


def _fixes(
    rng: np.random.Generator, traj: Trajectory, w: int, n: int, paused: np.ndarray, t0: int
) -> tuple[Fixes, np.ndarray, np.ndarray]:
    """GPS fixes every second the workout is not paused, after a short lock-on delay."""
    route = traj.route
    idx = np.arange(int(rng.integers(0, 4)), n)
    idx = idx[~paused[idx]]
    k = len(idx)
    h_acc = np.clip(rng.uniform(2.5, 6) + 1.5 * correlated(rng, k, 20), 2, 10)
    v_acc = np.clip(rng.uniform(1.5, 4) + 1.0 * correlated(rng, k, 20), 1, 8)
    north = route.north_m[w, idx] + 0.5 * h_acc * correlated(rng, k, 8)
    east = route.east_m[w, idx] + 0.5 * h_acc * correlated(rng, k, 8)
    lat0, lon0 = route.start_lat[w], route.start_lon[w]
    lat = lat0 + north / METERS_PER_DEG
    lon = lon0 + east / (METERS_PER_DEG * np.cos(np.radians(lat0)))
    ele = route.altitude[w, idx] + 0.5 * v_acc * correlated(rng, k, 15)
    true_speed = route.speed_kmh[w, idx].astype(np.float64) / 3.6
    gain = 1 + 0.02 * rng.standard_normal(k)
    speed = np.maximum(true_speed * gain + 0.08 * rng.standard_normal(k), 0)
    d_north = np.diff(route.north_m[w, : n + 1].astype(np.float64))[np.minimum(idx, n - 1)]
    d_east = np.diff(route.east_m[w, : n + 1].astype(np.float64))[np.minimum(idx, n - 1)]
    course = (np.degrees(np.arctan2(d_east, d_north)) + 3 * rng.standard_normal(k)) % 360
    course = np.where(true_speed < 0.3, -1.0, course)
    fixes = Fixes(t0 + idx, lat, lon, ele, speed, course, h_acc, v_acc)
    return fixes, idx, true_speed


def _splits(speed_kmh: np.ndarray, active: np.ndarray, t0: int) -> np.ndarray:
    """Kilometre segments: start epoch and length (s) of each full kilometre."""
    km = np.cumsum(speed_kmh * active) / 3600
    marks = np.searchsorted(km, np.arange(1, int(km[-1]) + 1))
    starts = np.concatenate([[0], marks])[: len(marks)]
    return np.stack([t0 + starts, marks - starts], axis=1).astype(np.int64)


def _record(
    rng: np.random.Generator, plan: UserPlan, traj: Trajectory, w: int, row: int,
    config: AppleConfig, is_run: bool,
) -> dict:  # fmt: skip
    wp, people = plan.workouts, plan.people
    activity = config.activities[wp.activity[row]]
    t0, n = int(wp.start[row]), int(traj.duration[w])
    speed = traj.route.speed_kmh[w, :n].astype(np.float64)
    latent = traj.latent_hr[w, :n].astype(np.float64)
    a, b = _pauses(speed, bool(wp.auto_pause[row]))
    paused = np.zeros(n + 1, np.int64)
    np.add.at(paused, a, 1)
    np.add.at(paused, b, -1)
    paused = np.cumsum(paused[:n]) > 0
    u = int(wp.away[row])
    rest, top = people.hr_rest[u], people.hr_max[u]
    offsets, values, context = _hr_samples(
        rng, latent, era_at(config, t0), config.optical_noise_sd * people.noise_sd[u] / 2
    )
    hrr_frac = float(np.mean((latent[~paused] - rest) / (top - rest)))
    mets = 1 + activity.met_per_hrr * hrr_frac
    hours = (n - paused.sum()) / 3600
    climb = np.diff(traj.route.altitude[w, :n].astype(np.float64))
    outdoor = not wp.indoor[row]
    day_of_year = datetime.fromtimestamp(t0, UTC).timetuple().tm_yday
    season = -np.cos(2 * np.pi * (day_of_year - 20) / 365.25) * np.sign(people.home_lat[u])
    out = {
        "end": t0 + n,
        "paused_s": int(paused.sum()),
        "pauses": np.stack([t0 + a, t0 + b], axis=1),
        "splits": _splits(speed, ~paused, t0) if is_run and outdoor else np.zeros((0, 2), int),
        "distance_km": float(speed[~paused].sum() / 3600) if activity.has_route else 0.0,
        "energy_kcal": (mets - 1) * plan.weight_kg * hours,
        "elevation_cm": round(100 * climb[(climb > 0) & ~paused[1:]].sum()) if outdoor else -1,
        "mets": mets,
        "hr_avg": values.mean(),
        "hr_min": values.min(),
        "hr_max": values.max(),
        "hr_per_min": len(values) / (n / 60),
        "hrr": -1,
        "temperature_f": (11 + 9 * season + rng.normal(0, 4)) * 9 / 5 + 32 if outdoor else np.nan,
        "humidity": rng.uniform(35, 95) if outdoor else np.nan,
        "hr": (t0 + offsets, values, context),
        "fixes": None,
        "route_start": -1,
        "route_end": -1,
    }
    recovery = activity.sport.on_foot and outdoor and t0 >= midnight_utc(config.hrr_from)
    if recovery and rng.random() < 0.85:
        out["hrr"] = int(rng.uniform(12, 35))
    if wp.route[row]:
        fixes, idx, true_speed = _fixes(rng, traj, w, n, paused, t0)
        out.update(fixes=fixes, route_start=fixes.time[0], route_end=fixes.time[-1])
        if is_run:
            out["truth"] = (np.full(len(idx), t0), fixes.time, latent[idx], true_speed)
    return out


def simulate_workouts(
    plan: UserPlan,
    config: AppleConfig,
    sim: SimulatorConfig,
    seed: tuple[int, int],
    exported: str,
    on_route: Callable[[str, bytes], None],
    on_truth: Callable[[pl.DataFrame], None],
) -> WorkoutLog:
    """Simulate every workout of `plan`; GPX files go to `on_route`, truth rows to `on_truth`.

    Group g draws from SeedSequence(seed[0], spawn_key=(2, seed[1], g)), seed[1] the user row.
    """
    wp = plan.workouts
    run_idx = [a.sport.name for a in config.activities].index(RUN)
    duration = np.rint(wp.minutes * 60).astype(np.int64)
    done: list[dict] = []
    for g, first in enumerate(range(0, len(wp), config.group)):
        rows = np.arange(first, min(first + config.group, len(wp)))
        rng = np.random.default_rng(np.random.SeedSequence(seed[0], spawn_key=(2, seed[1], g)))
        sched = Schedule(
            wp.away[rows].astype(np.int64), wp.activity[rows], wp.wtype[rows],
            wp.start[rows], rows, wp.minutes[rows],
        )  # fmt: skip
        traj = simulate(rng, plan.people, sched, duration[rows], sim)
        group = [
            _record(rng, plan, traj, i, row, config, wp.activity[row] == run_idx)
            for i, row in enumerate(rows)
        ]
        routed = [r for r in group if r["fixes"] is not None]
        ends = np.array([r["fixes"].time[-1] for r in routed], dtype=np.int64)
        files, titles = route_names(ends, plan.itinerary.offsets(ends))
        docs = gpx_documents([r["fixes"] for r in routed], titles, exported)
        for r, name, doc in zip(routed, files, docs, strict=True):
            r["route_file"] = name
            on_route(name, doc)
        truth = [r["truth"] for r in group if "truth" in r]
        if truth:
            on_truth(_truth_frame(truth))
        done.extend(group)
    return _log(done)


def _truth_frame(truth: list[tuple[np.ndarray, ...]]) -> pl.DataFrame:
    """Latent HR and true speed at every GPS fix of the group's runs."""
    start, time, latent, speed = (np.concatenate(parts) for parts in zip(*truth, strict=True))
    us = pl.Datetime("us", "UTC")
    return pl.DataFrame(
        {
            "workout_start": pl.Series(start * 1_000_000).cast(us),
            "time": pl.Series(time * 1_000_000).cast(us),
            "latent_hr": pl.Series(latent, dtype=pl.Float32),
            "speed_mps": pl.Series(speed, dtype=pl.Float32),
        }
    )


def _log(done: list[dict]) -> WorkoutLog:
    def col(key: str, dtype: type = float) -> np.ndarray:
        return np.array([r[key] for r in done], dtype=dtype)

    def cat(k: int, dtype: type) -> np.ndarray:
        return np.concatenate([np.zeros(0, dtype)] + [r["hr"][k] for r in done]).astype(dtype)

    return WorkoutLog(
        end=col("end", np.int64),
        paused_s=col("paused_s", np.int64),
        pauses=[r["pauses"] for r in done],
        splits=[r["splits"] for r in done],
        distance_km=col("distance_km"),
        energy_kcal=col("energy_kcal"),
        elevation_cm=col("elevation_cm", np.int64),
        mets=col("mets"),
        hr_avg=col("hr_avg"),
        hr_min=col("hr_min", np.int64),
        hr_max=col("hr_max", np.int64),
        hr_per_min=col("hr_per_min"),
        hrr=col("hrr", np.int64),
        temperature_f=col("temperature_f"),
        humidity=col("humidity"),
        route_file=[r.get("route_file") for r in done],
        route_start=col("route_start", np.int64),
        route_end=col("route_end", np.int64),
        hr_time=cat(0, np.int64),
        hr_value=cat(1, np.int64),
        hr_context=cat(2, np.int64),
    )
