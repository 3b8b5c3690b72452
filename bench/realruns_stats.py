"""The same running statistics on simulated runs and on real device files (issue 21, part 3).

Every run, simulated or real, goes through one path: its samples are laid on a 1 s timeline
(heart rate interpolated across gaps of up to 30 s; distance from positions where the run has
them, else integrated from its recorded speed, and speed taken from that distance over 10 s), and
the statistics are read off that timeline:

- level: each run's mean heart rate after its first minute; the spread of the runners' means
  across runners and of one runner's run means from day to day;
- heart rate against speed at steady pace: points 30 s apart, after the first 5 minutes, where
  the 30 s speed has stayed within 2 km/h for 2 minutes without a pause, at 6-18 km/h and, where
  the run has altitude, on less than 2% grade (heart rate: the 30 s mean; speed: the 2-minute
  mean). A pooled regression (each run weighs the same) gives the slope and the level at 8, 10
  and 12 km/h; a regression within each run of heart rate on speed and time (after 10 minutes,
  runs whose steady points span 20 minutes) gives the slope within a run and the drift per hour;
- response time: around each change of pace of 2 km/h or more between a steady minute before and
  a steady 100 s after, a first-order response h_inf + (h_0 - h_inf) exp(-t / tau) fitted to the
  heart rate of the 120 s after the change (tau on a grid of 3-300 s, kept when inside it and
  the response is >= 5 bpm);
- pauses: stretches of >= 10 s below 2.5 km/h (a device's auto-pause leaves a gap over which the
  distance does not grow, so it counts too), away from the first and last minute;
- recording: the median interval between heart-rate samples, and whether the run has altitude.

Real files are read with the project's own reader (`read_activities`, or `read_activity` where
it has no other); what cannot be used is counted with its reason. An activity is cut at gaps of
more than 10 minutes (a clock jump, a second session in the same recording) and pieces under 10
minutes are dropped; a recording of a runner that overlaps another of theirs by over half is the
same run on a second watch and is dropped.

Each figure gets a tolerance: twice the combined standard error of the two sides, each from a
bootstrap over runners (the real set has 27 runners, so its figures are uncertain), never less
than a floor of practical size.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

GAP_SPLIT_S = 600  # a gap this long ends a run: what follows is another session or a clock jump
DUPLICATE_OVERLAP = 0.5  # two recordings of one runner overlapping this much are one run
MIN_RUN_S = 600  # shorter pieces are not runs to measure
HR_GAP_S = 30  # heart rate is interpolated across gaps up to this long
HR_VALID = (40.0, 220.0)
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
LEVEL_SPEEDS = (8.0, 10.0, 12.0)
BOOTSTRAP = 200
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


# ---------------------------------------------------------------------------------------------
# Reading


def _column(series: pl.DataFrame, name: str) -> np.ndarray:
    return series[name].cast(pl.Float64).fill_null(math.nan).to_numpy()


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
    Counters of reasons); and one line per file that could not be read. Uses the reader's
    `read_activities` (several activities in one file) where it has one, else
    `read_activity`."""
    from assets.sources.activity_files import readers
    from assets.sources.activity_files.folder import take_inventory, user_of

    read_all = getattr(readers, "read_activities", None) or (lambda p: [readers.read_activity(p)])
    inventory = take_inventory(folder)
    runs, skipped, split = [], Counter(), Counter()
    messages = [f"{file}: {reason}" for file, reason in inventory.problems]
    skipped["file refused before reading"] += len(inventory.problems)
    seen: dict[str, list[tuple[float, float]]] = {}
    for path in inventory.activity_files:
        name = path.relative_to(inventory.root).as_posix()
        try:
            activities = list(read_all(path))
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
            if getattr(activity, "altitude_missing", False):  # the reader's flat 0 m profile
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


# ---------------------------------------------------------------------------------------------
# One run


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


def _haversine(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    a = (
        np.sin(np.diff(phi) / 2) ** 2
        + np.cos(phi[:-1]) * np.cos(phi[1:]) * np.sin(np.diff(lam) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _distance(run: Run, grid: np.ndarray) -> np.ndarray | None:
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


def _heart_rate(run: Run, grid: np.ndarray) -> np.ndarray:
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
    return float(np.isfinite(_heart_rate(run, np.arange(0.0, math.floor(run.t[-1]) + 1))).mean())


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
    hr = _heart_rate(run, grid)
    late_hr = hr[EDGE_S:][np.isfinite(hr[EDGE_S:])]
    summary = Summary(run.runner, float(late_hr.mean()) if len(late_hr) else math.nan)
    summary.median_dt, summary.has_altitude = median_dt, has_alt
    distance = _distance(run, grid)
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


# ---------------------------------------------------------------------------------------------
# Statistics over runs


def _runner_means(summaries: list[Summary]) -> dict[str, list[float]]:
    means: dict[str, list[float]] = {}
    for s in summaries:
        if np.isfinite(s.mean_hr):
            means.setdefault(s.runner, []).append(s.mean_hr)
    return means


def _pooled_line(summaries: list[Summary]) -> tuple[float, float]:
    """Weighted least squares of steady heart rate on speed, each run's points summing to 1."""
    parts = [(s.steady_v, s.steady_hr) for s in summaries if len(s.steady_v) >= 10]
    if len(parts) < 3:
        return math.nan, math.nan
    v = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    w = np.concatenate([np.full(len(p[0]), 1 / len(p[0])) for p in parts])
    vm, ym = np.average(v, weights=w), np.average(y, weights=w)
    slope = np.sum(w * (v - vm) * (y - ym)) / np.sum(w * (v - vm) ** 2)
    return float(slope), float(ym - slope * vm)


def _median(values: Iterable[float], least: int = 5) -> float:
    values = [v for v in values if np.isfinite(v)]
    return float(np.median(values)) if len(values) >= least else math.nan


def _sd_across(means: dict[str, list[float]]) -> float:
    runner = [np.mean(v) for v in means.values()]
    return float(np.std(runner, ddof=1)) if len(runner) >= 3 else math.nan


def _sd_within(means: dict[str, list[float]]) -> float:
    """Pooled SD of a runner's run means about that runner's mean (runners with >= 3 runs)."""
    groups = [np.asarray(v) for v in means.values() if len(v) >= 3]
    if len(groups) < 2:
        return math.nan
    squares = sum(float(np.sum((g - g.mean()) ** 2)) for g in groups)
    return math.sqrt(squares / sum(len(g) - 1 for g in groups))


def _share(values: list[bool]) -> float:
    return float(np.mean(values)) if values else math.nan


@dataclass(frozen=True)
class Statistic:
    name: str
    what: str
    floor: float  # the tolerance is never smaller than this
    compute: Callable[[list[Summary]], float]
    recording: bool = False  # a property of the device file rather than of the runner


def _level(speed: float) -> Callable[[list[Summary]], float]:
    def level(summaries: list[Summary]) -> float:
        slope, intercept = _pooled_line(summaries)
        return intercept + slope * speed

    return level


STATISTICS = (
    Statistic(
        "hr_run_mean",
        "mean over runs of a run's mean HR after 1 min, bpm",
        3.0,
        lambda s: float(np.nanmean([x.mean_hr for x in s])),
    ),
    Statistic(
        "hr_runner_sd",
        "SD across runners of a runner's mean HR, bpm",
        2.0,
        lambda s: _sd_across(_runner_means(s)),
    ),
    Statistic(
        "hr_day_sd",
        "SD of a runner's run means about the runner's mean (>= 3 runs), bpm",
        2.0,
        lambda s: _sd_within(_runner_means(s)),
    ),
    Statistic(
        "speed_steady_mean",
        "mean over runs of a run's mean steady speed (>= 10 points), km/h",
        0.5,
        lambda s: float(np.mean([x.steady_v.mean() for x in s if len(x.steady_v) >= 10])),
    ),
    Statistic(
        "hr_speed_slope",
        "pooled steady HR on speed (flat, after 5 min), bpm per km/h",
        1.0,
        lambda s: _pooled_line(s)[0],
    ),
    *(
        Statistic(
            f"hr_at_{v:g}_kmh",
            f"pooled steady HR at {v:g} km/h on the flat, bpm",
            3.0,
            _level(v),
        )
        for v in LEVEL_SPEEDS
    ),
    Statistic(
        "hr_speed_slope_in_run",
        "median within-run steady HR slope on speed (time held), bpm per km/h",
        1.0,
        lambda s: _median(x.within_slope for x in s),
    ),
    Statistic(
        "drift_bpm_per_h",
        "median within-run drift at steady pace (speed held), bpm per hour",
        2.0,
        lambda s: _median(x.drift for x in s),
    ),
    Statistic(
        "tau_up_s",
        "median time constant after a pace rise >= 2 km/h, s",
        10.0,
        lambda s: _median(t for x in s for t in x.taus_up),
    ),
    Statistic(
        "tau_down_s",
        "median time constant after a pace drop >= 2 km/h, s",
        10.0,
        lambda s: _median(t for x in s for t in x.taus_down),
    ),
    Statistic(
        "pause_share",
        "share of runs with a pause (>= 10 s under 2.5 km/h)",
        0.10,
        lambda s: _share([len(x.pauses) > 0 for x in s if x.has_speed]),
    ),
    Statistic(
        "pause_median_s",
        "median length of a pause, s",
        10.0,
        lambda s: _median(p for x in s for p in x.pauses),
    ),
    Statistic(
        "sampling_1s_share",
        "share of runs whose median HR sample interval is 1 s",
        0.10,
        lambda s: _share([x.median_dt <= 1 for x in s if np.isfinite(x.median_dt)]),
        recording=True,
    ),
    Statistic(
        "sampling_median_s",
        "median over runs of the median HR sample interval, s",
        1.0,
        lambda s: _median(x.median_dt for x in s),
        recording=True,
    ),
    Statistic(
        "altitude_share",
        "share of runs with altitude on >= half the samples",
        0.05,
        lambda s: _share([x.has_altitude for x in s]),
        recording=True,
    ),
)


def compute(summaries: list[Summary]) -> dict[str, float]:
    return {stat.name: stat.compute(summaries) for stat in STATISTICS}


def bootstrap_se(summaries: list[Summary], seed: int = 0) -> dict[str, float]:
    """Standard error of each statistic from resampling runners with replacement."""
    by_runner: dict[str, list[Summary]] = {}
    for s in summaries:
        by_runner.setdefault(s.runner, []).append(s)
    groups = list(by_runner.values())
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {stat.name: [] for stat in STATISTICS}
    for _ in range(BOOTSTRAP):
        sample = []
        for k, g in enumerate(rng.integers(0, len(groups), len(groups))):
            # each drawn runner is its own runner, even when drawn twice
            sample += [Summary(**{**vars(s), "runner": f"{k}"}) for s in groups[g]]
        for name, value in compute(sample).items():
            if np.isfinite(value):
                draws[name].append(value)
    return {
        name: float(np.std(v, ddof=1)) if len(v) >= BOOTSTRAP // 2 else math.nan
        for name, v in draws.items()
    }


def summarise_all(runs: list[Run]) -> tuple[list[Summary], int]:
    """Summaries of the runs, and how many had neither positions nor speed (level and
    recording figures only)."""
    summaries = [summarise(run) for run in runs]
    return summaries, sum(not s.has_speed for s in summaries)


@dataclass(frozen=True)
class Row:
    name: str
    what: str
    simulated: float
    real: float
    tolerance: float
    source: str

    @property
    def within(self) -> bool | None:
        """None when a side has too little to measure it."""
        if not (np.isfinite(self.simulated) and np.isfinite(self.real)):
            return None
        return bool(abs(self.simulated - self.real) <= self.tolerance)


def compare(
    physiology: list[Summary], recording: list[Summary], real: list[Summary], seed: int = 0
) -> list[Row]:
    """One row per statistic: simulated (runner statistics from `physiology`, recording ones
    from `recording`), real, and the tolerance max(floor, 2 * combined bootstrap SE)."""
    real_value, real_se = compute(real), bootstrap_se(real, seed)
    sides = {"fitrec": physiology, "device": recording}
    values = {k: (compute(v), bootstrap_se(v, seed)) for k, v in sides.items()}
    rows = []
    for stat in STATISTICS:
        source = "device" if stat.recording else "fitrec"
        sim_value, sim_se = values[source]
        se = math.hypot(np.nan_to_num(sim_se[stat.name]), np.nan_to_num(real_se[stat.name]))
        tolerance = max(stat.floor, 2 * se)
        rows.append(
            Row(
                stat.name, stat.what, sim_value[stat.name], real_value[stat.name], tolerance, source
            )
        )
    return rows
