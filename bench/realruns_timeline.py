"""Real and simulated runs as `Run`s, and a run's heart rate and distance on a 1 s timeline.

Real files are read with the project's own reader (`read_activities`); what cannot be used is
counted with its reason. An activity is cut at gaps of more than 10 minutes (a clock jump, a
second session in the same recording) and pieces under 10 minutes are dropped; a recording of a
runner that overlaps another of theirs by over half is the same run on a second watch and is
dropped. Simulated runs come from the unified table's list columns through the same path.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

GAP_SPLIT_S = 600  # a gap this long ends a run: what follows is another session or a clock jump
DUPLICATE_OVERLAP = 0.5  # two recordings of one runner overlapping this much are one run
MIN_RUN_S = 600  # shorter pieces are not runs to measure
HR_GAP_S = 30  # heart rate is interpolated across gaps up to this long
HR_VALID = (40.0, 220.0)
EARTH_RADIUS_M = 6_371_008.8


@dataclass
class Run:
    """One run's samples, time in seconds from its start."""

    runner: str
    name: str
    t: np.ndarray  # float64 seconds, increasing
    hr: np.ndarray  # bpm, nan where absent
    speed: np.ndarray  # km/h, nan where absent
    altitude: np.ndarray  # m, nan where absent
    lat: np.ndarray
    lon: np.ndarray


def run_from_columns(runner: str, name: str, columns: dict[str, np.ndarray]) -> Run:
    """A run from sample columns (timestamp in s, heart_rate, speed km/h, altitude, latitude,
    longitude), sorted by time; heart rate outside 40-220 bpm is treated as absent."""
    t = np.asarray(columns["timestamp"], dtype=np.float64)
    order = np.argsort(t, kind="stable")
    hr = np.asarray(columns["heart_rate"], dtype=np.float64)[order]
    hr = np.where((hr >= HR_VALID[0]) & (hr <= HR_VALID[1]), hr, math.nan)
    pick = {k: np.asarray(columns[k], dtype=np.float64)[order] for k in ("speed", "altitude")}
    lat = np.asarray(columns["latitude"], dtype=np.float64)[order]
    lon = np.asarray(columns["longitude"], dtype=np.float64)[order]
    t = t[order]
    return Run(runner, name, t - t[0], hr, pick["speed"], pick["altitude"], lat, lon)


def split_at_gaps(run: Run) -> list[Run]:
    """Pieces of `run` between gaps longer than GAP_SPLIT_S, each restarting at time 0."""
    cuts = np.flatnonzero(np.diff(run.t) > GAP_SPLIT_S) + 1
    if not len(cuts):
        return [run]
    pieces = []
    for k, rows in enumerate(np.split(np.arange(len(run.t)), cuts)):
        t = run.t[rows]
        pieces.append(
            Run(
                run.runner,
                f"{run.name}#{k + 1}",
                t - t[0],
                run.hr[rows],
                run.speed[rows],
                run.altitude[rows],
                run.lat[rows],
                run.lon[rows],
            )
        )
    return pieces


def _haversine(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    a = (
        np.sin(np.diff(phi) / 2) ** 2
        + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(np.diff(lam) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def distance_per_second(run: Run, grid: np.ndarray) -> np.ndarray | None:
    """Metres covered at each second: from positions where at least a fifth of the samples have
    them, else from the recorded speed (nothing counted over gaps > 15 s: auto-pause)."""
    has = np.isfinite(run.lat) & np.isfinite(run.lon)
    if has.sum() >= max(2, 0.2 * len(run.t)):
        t = run.t[has]
        d = np.concatenate([[0.0], np.cumsum(_haversine(run.lat[has], run.lon[has]))])
        return np.interp(grid, t, d)
    speed = run.speed
    if np.isfinite(speed).mean() < 0.5:
        return None
    dt = np.diff(run.t)
    step = np.where(dt <= 15, np.nan_to_num(speed[1:]) / 3.6 * dt, 0.0)
    return np.interp(grid, run.t, np.concatenate([[0.0], np.cumsum(step)]))


def hr_per_second(run: Run, grid: np.ndarray) -> np.ndarray:
    """Heart rate at each second, interpolated across gaps up to HR_GAP_S, else nan."""
    ok = np.isfinite(run.hr)
    t, hr = run.t[ok], run.hr[ok]
    t, first = np.unique(t, return_index=True)
    hr = hr[first]
    out = np.interp(grid, t, hr)
    right = np.clip(np.searchsorted(t, grid, side="right"), 1, len(t) - 1)
    gap = t[right] - t[right - 1]
    exact = np.isin(grid, t)
    bad = ((gap > HR_GAP_S) & ~exact) | (grid < t[0]) | (grid > t[-1])
    return np.where(bad, math.nan, out)


def hr_coverage(run: Run) -> float:
    """Share of the run's seconds that have a heart rate (gaps up to HR_GAP_S bridged)."""
    if np.unique(run.t[np.isfinite(run.hr)]).size < 2:
        return 0.0
    return float(np.isfinite(hr_per_second(run, np.arange(0.0, math.floor(run.t[-1]) + 1))).mean())


def _column(series: pl.DataFrame, name: str) -> np.ndarray:
    return series[name].cast(pl.Float64).fill_null(math.nan).to_numpy()


def _overlaps(run: Run, start: float, others: list[tuple[float, float]]) -> bool:
    """Whether a run starting at epoch `start` shares over half of the shorter span with one of
    `others` (epoch start, end) of the same runner: two watches on one run."""
    end = start + run.t[-1]
    for o_start, o_end in others:
        shorter = max(min(end - start, o_end - o_start), 1.0)
        if min(end, o_end) - max(start, o_start) > DUPLICATE_OVERLAP * shorter:
            return True
    return False


def read_runs(folder: Path) -> tuple[list[Run], Counter, Counter, list[str]]:
    """Every usable run in the activity files under `folder` (runner: the sub-folder below it,
    or the Strava export's folder); what was set aside and why, and what was split up (two
    Counters of reasons); and one line per file that could not be read."""
    from assets.sources.activity_files import readers
    from assets.sources.activity_files.folder import take_inventory, user_of

    inventory = take_inventory(folder)
    runs, skipped, split = [], Counter(), Counter()
    messages = [f"{file}: {reason}" for file, reason in inventory.problems]
    skipped["file refused before reading"] += len(inventory.problems)
    seen: dict[str, list[tuple[float, float]]] = {}
    for path in inventory.activity_files:
        name = path.relative_to(inventory.root).as_posix()
        try:
            activities = readers.read_activities(path)
        except readers.ActivityFileError as error:
            skipped["file not readable"] += 1
            messages.append(f"{name}: {str(error).removeprefix(f'{path}: ')}")
            continue
        except Exception as error:  # a reader's bug sets one file aside, not the whole bench
            skipped["reader crashed"] += 1
            messages.append(f"{name}: reader crashed: {type(error).__name__}: {error}")
            continue
        runner = user_of(path, inventory)
        if len(activities) > 1:
            split[f"file holding {len(activities)} activities"] += 1
        for k, activity in enumerate(activities):
            series = activity.series
            columns = {column: _column(series, column) for column in series.columns}
            if activity.altitude_missing:  # the reader's flat 0 m profile
                columns["altitude"] = np.full(series.height, math.nan)
            label = name + (f"#{k + 1}" if len(activities) > 1 else "")
            whole = run_from_columns(runner, label, columns)
            first = float(columns["timestamp"].min())
            if _overlaps(whole, first, seen.get(runner, [])):
                skipped["same run recorded twice, counted once"] += 1
                continue
            seen.setdefault(runner, []).append((first, first + whole.t[-1]))
            pieces = split_at_gaps(whole)
            if len(pieces) > 1:
                split[f"activity cut at a gap > {GAP_SPLIT_S // 60} min"] += 1
            for piece in pieces:
                if piece.t[-1] < MIN_RUN_S:
                    skipped[f"piece under {MIN_RUN_S // 60} min dropped"] += 1
                elif hr_coverage(piece) < 0.5:
                    skipped["heart rate on under half the time"] += 1
                else:
                    runs.append(piece)
    return runs, +skipped, split, messages


def runs_from_frame(frame: pl.DataFrame, runner: str = "user_id") -> list[Run]:
    """Runs from a frame of the unified table's list columns, one workout a row."""
    names = ("timestamp", "heart_rate", "speed", "altitude", "latitude", "longitude")
    runs = []
    for row in frame.iter_rows(named=True):
        length = len(row["timestamp"])
        columns = {
            n: np.array(
                [math.nan if v is None else v for v in (row.get(n) or [None] * length)],
                dtype=np.float64,
            )
            for n in names
        }
        run = run_from_columns(str(row[runner]), str(row.get("workout_id", "")), columns)
        runs.extend(p for p in split_at_gaps(run) if p.t[-1] >= MIN_RUN_S)
    return runs
