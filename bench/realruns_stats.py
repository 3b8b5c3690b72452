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

Each figure gets a tolerance: twice the combined standard error of the two sides, each from a
bootstrap over runners (the real set has 27 runners, so its figures are uncertain), never less
than a floor of practical size.

Reading (what is cut, dropped or counted once) and the 1 s timeline are in realruns_timeline.py,
the per-run quantities in realruns_summary.py; this module holds the statistics over runs and
their comparison, and re-exports the rest of what bench/simulator_realism.py calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from realruns_summary import Summary

LEVEL_SPEEDS = (8.0, 10.0, 12.0)
BOOTSTRAP = 200


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
