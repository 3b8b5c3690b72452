"""Simple heart-rate predictions a model has to beat, scored on the same grid steps as the models.

A learnt model is only worth its cost if it does better than what needs no learning: a constant,
the level of other people's runs, and a textbook heart-rate kinetics model with four numbers.
The run's own mean is the cheat that bounds every level-only guess from below: it knows the
answer's level, so a model below it has learnt the shape of the curve, not just its height.

All functions take plain numpy arrays of one run on its grid (speed in km/h, smoothed grade as
rise over run, heart rate in bpm with NaN where it was not measured) and are pure, so the bench
and the tests call them the same way. scipy is not a dependency: the kinetics model's three
linear parameters are fitted by exact linear least squares for each time constant on a grid,
and the best time constant kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# The first minute is left out of every score: heart rate lags the first strides by tens of
# seconds and where it starts says more about the warm-up than about the model.
WARMUP_S = 60.0
# A typical running heart rate: what one would guess knowing nothing of the runner or the run.
CONSTANT_BPM = 150.0
# Heart-rate time constants found in running (seconds): on- and off-kinetics of 10 s to a few
# minutes. Log-spaced, so the fit is as fine at 20 s as at 200 s.
TAU_GRID_S = (10, 15, 20, 30, 45, 60, 90, 120, 150, 180, 240, 300)


def scored_steps(elapsed_s: np.ndarray, heart_rate: np.ndarray) -> np.ndarray:
    """The steps every model and baseline is scored on: a measured heart rate, after the first
    minute."""
    return np.isfinite(heart_rate) & (np.asarray(elapsed_s, dtype=float) >= WARMUP_S)


def mae(predicted: np.ndarray, heart_rate: np.ndarray, scored: np.ndarray) -> float:
    """Mean absolute error over the scored steps; NaN when there are none."""
    if not scored.any():
        return float("nan")
    return float(np.mean(np.abs(np.asarray(predicted, float)[scored] - heart_rate[scored])))


def constant(steps: int, bpm: float = CONSTANT_BPM) -> np.ndarray:
    """The same guess at every step: knows nothing."""
    return np.full(steps, bpm, dtype=float)


def run_mean(heart_rate: np.ndarray, scored: np.ndarray) -> float:
    """The run's own mean over its scored steps. As a prediction it is a cheat (it needs the
    answer); as a run's summary it is what population and personal levels are made of."""
    return float(np.mean(heart_rate[scored])) if scored.any() else float("nan")


def population_level(run_means: Mapping[str, Sequence[float]], runner: str) -> float:
    """Median run mean over the OTHER runners' runs (`run_means`: runner -> their run means):
    what the population's level says about a stranger, without a look at their own runs."""
    others = [m for who, means in run_means.items() if who != runner for m in means]
    others = [m for m in others if np.isfinite(m)]
    return float(np.median(others)) if others else float("nan")


def personal_level(earlier_run_means: Sequence[float]) -> float:
    """The runner's level from their earlier runs: the mean of those runs' means (every run
    weighs the same, however long)."""
    means = [m for m in earlier_run_means if np.isfinite(m)]
    return float(np.mean(means)) if means else float("nan")


def kinetics_drive(speed: np.ndarray, grade: np.ndarray) -> np.ndarray:
    """[n, 3] columns (1, speed, speed * grade): steady-state heart rate is their dot product
    with (a, b, c), linear in speed with a climbing cost that grows with speed."""
    speed = np.asarray(speed, dtype=float)
    return np.column_stack([np.ones_like(speed), speed, speed * np.asarray(grade, dtype=float)])


def first_order(drive: np.ndarray, step_seconds: float, tau_s: float | np.ndarray) -> np.ndarray:
    """Response of one first-order lag with time constant `tau_s` to `drive` ([n] or [n, m]),
    exactly discretised for a drive held over each step:
        y[0] = drive[0]  (the run starts at its steady state)
        y[k] = y[k-1] + (1 - exp(-dt / tau)) * (drive[k-1] - y[k-1])
    `tau_s` may be an array [t]: the result is then [t, n, ...], one response per time constant.
    The filter is linear, so filtering the drive's columns filters their weighted sum."""
    drive = np.asarray(drive, dtype=float)
    taus = np.asarray(tau_s, dtype=float)
    columns = drive.reshape(drive.shape[0], -1)  # [n, m]
    keep = (1.0 - np.exp(-step_seconds / taus.reshape(-1)))[:, None]  # [t, 1]
    out = np.empty((keep.shape[0], *columns.shape))  # [t, n, m]
    if columns.shape[0]:
        out[:, 0] = columns[0]
    for k in range(1, columns.shape[0]):
        out[:, k] = out[:, k - 1] + keep * (columns[k - 1] - out[:, k - 1])
    return out.reshape(taus.shape + drive.shape)


@dataclass(frozen=True)
class Kinetics:
    """Heart rate follows hr_ss = a + b * speed + c * speed * grade with one time constant."""

    a: float
    b: float
    c: float
    tau_s: float

    def steady_state(self, speed: np.ndarray, grade: np.ndarray) -> np.ndarray:
        return kinetics_drive(speed, grade) @ np.array([self.a, self.b, self.c])

    def predict(self, speed: np.ndarray, grade: np.ndarray, step_seconds: float) -> np.ndarray:
        return first_order(self.steady_state(speed, grade), step_seconds, self.tau_s)


@dataclass(frozen=True)
class KineticsSums:
    """One run's (or several runs', added) least-squares normal equations for every time
    constant of `taus`: fitting on a set of runs is adding their sums, so each run is filtered
    once and every held-out fit costs a few 3x3 solves."""

    taus: tuple[float, ...]
    gram: np.ndarray  # [t, 3, 3]: X'X of the filtered drive over the scored steps
    moment: np.ndarray  # [t, 3]: X'y
    square: float  # y'y
    count: int  # scored steps

    def __add__(self, other: KineticsSums) -> KineticsSums:
        if self.taus != other.taus:
            raise ValueError(f"time constants differ: {self.taus} and {other.taus}")
        return KineticsSums(
            self.taus,
            self.gram + other.gram,
            self.moment + other.moment,
            self.square + other.square,
            self.count + other.count,
        )


def kinetics_sums(
    speed: np.ndarray,
    grade: np.ndarray,
    heart_rate: np.ndarray,
    scored: np.ndarray,
    step_seconds: float,
    taus: Sequence[float] = TAU_GRID_S,
) -> KineticsSums:
    """The normal equations of one run, fitted on its scored steps."""
    filtered = first_order(kinetics_drive(speed, grade), step_seconds, np.asarray(taus, float))
    x = filtered[:, scored, :]  # [t, m, 3]
    y = np.asarray(heart_rate, dtype=float)[scored]
    return KineticsSums(
        tuple(float(t) for t in taus),
        np.einsum("tmi,tmj->tij", x, x),
        np.einsum("tmi,m->ti", x, y),
        float(y @ y),
        int(scored.sum()),
    )


def fit_kinetics(runs: Iterable[KineticsSums]) -> Kinetics | None:
    """Least-squares (a, b, c) for each time constant, and the time constant with the smallest
    squared error; None when the runs have no scored step."""
    runs = list(runs)
    if not runs:
        return None
    total = runs[0]
    for run in runs[1:]:
        total = total + run
    if total.count == 0:
        return None
    best, best_sse = None, np.inf
    for tau, gram, moment in zip(total.taus, total.gram, total.moment, strict=True):
        # lstsq: a run at one speed leaves the normal equations singular; any solution of
        # them has the same (least) squared error y'y - theta'X'y.
        theta = np.linalg.lstsq(gram, moment, rcond=None)[0]
        sse = total.square - float(theta @ moment)
        if sse < best_sse:
            best, best_sse = Kinetics(*(float(v) for v in theta), tau_s=tau), sse
    return best
