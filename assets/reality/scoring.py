"""Scoring real runs: every model on its own grid, the baselines on the production model's grid,
and optionally the production model personalised as the runner's runs come in.

A run's MAE is over the steps with a measured heart rate after the first minute
(`assets/evaluation/baselines.py: scored_steps`), whoever predicts it. Cold start: each model
sees the runner as an unknown user, the baselines are fitted on the other runners. Personal:
for a run with at least MIN_EARLIER earlier runs of its runner (runner = folder, order = start
time), the kinetics model and the level fitted on those earlier runs, and with `personalize` the
production model fine-tuned on them (`assets/personalize/runner.py`, the code of `pulselake
personalize`), what the runner would have got from pulselake the day before.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from assets.evaluation import baselines as bl
from assets.evaluation.reality_check import (
    BASELINES,
    MIN_EARLIER,
    PERSONAL,
    PERSONAL_BASELINES,
    RUN_SCHEMA,
)
from assets.personalize.runner import personalize_workouts
from assets.prediction.predict_file import Bundle, grid_features, load_bundle, predict_activity
from assets.reality.runs import Labelled, Run, drop_duplicates, read_runs, reason
from assets.sources.activity_files.folder import activity_sport, unified_row
from assets.sources.activity_files.readers import ActivityFileError


@dataclass
class Grid:
    """One run on the production model's grid, as the baselines need it."""

    elapsed_s: np.ndarray
    speed: np.ndarray
    grade: np.ndarray
    heart_rate: np.ndarray
    scored: np.ndarray


@dataclass
class Outcome:
    """A folder checked: the scored runs, what was refused or left out (and why), the
    production model's predictions (for the figure), personalisation's notes, and the kinetics
    model fitted on every run (to show what the cold fits look like)."""

    models: list[str]
    runs: list[Run]
    refused: list[Labelled] = field(default_factory=list)
    left_out: list[Labelled] = field(default_factory=list)
    curves: dict[str, pl.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    everyone: bl.Kinetics | None = None
    personalised: bool = False

    @property
    def names(self) -> list[str]:
        """The table's MAE columns: models, baselines, personal baselines, `personal`."""
        tuned = [PERSONAL] if self.personalised else []
        return [*self.models, *BASELINES, *PERSONAL_BASELINES, *tuned]

    def table(self) -> pl.DataFrame:
        """One row per run (runner, then start order): RUN_SCHEMA, one MAE per name, notes."""
        schema = {**RUN_SCHEMA, **dict.fromkeys(self.names, pl.Float64), "notes": pl.String}
        rows = [
            (
                *(run.id, run.runner, run.start, run.minutes, run.steps, run.coverage),
                len(run.earlier),
                *(run.mae.get(name, math.nan) for name in self.names),
                "; ".join(run.activity.notes),
            )
            for run in sorted(self.runs, key=lambda r: (r.runner, r.start))
        ]
        return pl.DataFrame(rows, schema=schema, orient="row")


def check(
    folder: Path,
    bundles: dict[str, Bundle],
    production: Path,
    personalize: bool = False,
    epochs: int = 10,
    log: Callable[[str], None] = print,
) -> Outcome:
    """Read, deduplicate and score every run under `folder` with `bundles` ("production" among
    them, its checkpoint at `production`) and the baselines; `log` hears the progress."""
    started = time.perf_counter()
    runs, refused, left_out = read_runs(folder)
    log(f"read {len(runs)} activities in {time.perf_counter() - started:.0f} s")
    runs, duplicates = drop_duplicates(runs)
    step_s, gap_s = bundles["production"].step_seconds, bundles["production"].grid_hr_max_gap_s
    runs, unpredictable, curves = score_models(runs, bundles)
    grids = {run.id: production_grid(run, step_s, gap_s) for run in runs}
    everyone = score_baselines(runs, grids, step_s)
    log(f"scored {len(runs)} runs in {time.perf_counter() - started:.0f} s")
    notes = personalise(runs, production, epochs, log) if personalize else []
    return Outcome(
        list(bundles),
        runs,
        refused + unpredictable,
        left_out + duplicates,
        curves,
        notes,
        everyone,
        personalize,
    )


def production_grid(run: Run, step_seconds: float, gap_s: float) -> Grid:
    """The run on the production model's grid (ActivityFileError if it cannot be gridded)."""
    features = grid_features(run.activity, step_seconds, gap_s)
    elapsed = features["step"].cast(pl.Float64).to_numpy() * step_seconds
    heart_rate = features["heart_rate"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return Grid(
        elapsed,
        features["speed"].cast(pl.Float64).fill_null(0.0).to_numpy(),
        features["smoothed_grade"].cast(pl.Float64).fill_null(0.0).to_numpy(),
        heart_rate,
        bl.scored_steps(elapsed, heart_rate),
    )


def score(prediction: pl.DataFrame) -> float:
    """A `predict_activity` frame's MAE over the scored steps."""
    measured = prediction["measured_hr"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    scored = bl.scored_steps(prediction["elapsed_s"].to_numpy(), measured)
    return bl.mae(prediction["predicted_hr"].to_numpy(), measured, scored)


def score_models(
    runs: list[Run], bundles: dict[str, Bundle]
) -> tuple[list[Run], list[Labelled], dict[str, pl.DataFrame]]:
    """Every model's MAE on every run; a run the production model cannot predict is refused,
    another model's failure on it leaves that model's MAE missing (NaN). Returns the production
    model's predictions too, for the figure."""
    scored, refused, curves = [], [], {}
    for run in runs:
        failure = None
        for name, bundle in bundles.items():
            try:
                prediction = predict_activity(bundle, run.activity, None)
            except ActivityFileError as error:
                failure = failure or reason(error, run.activity.path)
                run.mae[name] = math.nan
                continue
            except Exception as error:  # one odd run never stops the others; named, with the bug
                failure = failure or f"prediction failed: {type(error).__name__}: {error}"
                run.mae[name] = math.nan
                continue
            run.mae[name] = score(prediction)
            if name == "production":
                curves[run.id] = prediction
                run.minutes = float(prediction["elapsed_s"][-1]) / 60
        if run.id not in curves:
            refused.append((run.id, failure))
            continue
        if all(math.isnan(v) for v in run.mae.values()):
            refused.append((run.id, "no measured heart rate after the first minute"))
            continue
        scored.append(run)
    return scored, refused, curves


def score_baselines(
    runs: list[Run], grids: dict[str, Grid], step_seconds: float
) -> bl.Kinetics | None:
    """The baselines' MAE on every run (`grids`: run id -> its production grid); returns the
    kinetics model fitted on all runs."""
    means: dict[str, list[float]] = defaultdict(list)
    sums = {}
    by_runner: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        grid = grids[run.id]
        means[run.runner].append(bl.run_mean(grid.heart_rate, grid.scored))
        sums[run.id] = bl.kinetics_sums(
            grid.speed, grid.grade, grid.heart_rate, grid.scored, step_seconds
        )
        by_runner[run.runner].append(run)
    cold = {
        runner: bl.fit_kinetics(sums[r.id] for r in runs if r.runner != runner)
        for runner in by_runner
    }
    for run in runs:
        grid = grids[run.id]
        n, hr, mask = len(grid.heart_rate), grid.heart_rate, grid.scored
        run.steps = int(mask.sum())
        run.coverage = run.steps / max(int((grid.elapsed_s >= bl.WARMUP_S).sum()), 1)
        run.mae["const"] = bl.mae(bl.constant(n), hr, mask)
        level = bl.population_level(means, run.runner)
        run.mae["population"] = bl.mae(bl.constant(n, level), hr, mask)
        run.mae["own_mean"] = bl.mae(bl.constant(n, bl.run_mean(hr, mask)), hr, mask)
        run.mae["kinetics_cold"] = kinetics_mae(cold[run.runner], grid, step_seconds)
        run.earlier = [r for r in by_runner[run.runner] if r.start < run.start]
        if len(run.earlier) >= MIN_EARLIER:
            fitted = bl.fit_kinetics(sums[r.id] for r in run.earlier)
            run.mae["kinetics_personal"] = kinetics_mae(fitted, grid, step_seconds)
            level = bl.personal_level(
                [bl.run_mean(grids[r.id].heart_rate, grids[r.id].scored) for r in run.earlier]
            )
            run.mae["personal_level"] = bl.mae(bl.constant(n, level), hr, mask)
    return bl.fit_kinetics(sums.values())


def kinetics_mae(fitted: bl.Kinetics | None, grid: Grid, step_seconds: float) -> float:
    if fitted is None:
        return math.nan
    predicted = fitted.predict(grid.speed, grid.grade, step_seconds)
    return bl.mae(predicted, grid.heart_rate, grid.scored)


def personalise(
    runs: list[Run], base: Path, epochs: int, log: Callable[[str], None] = print
) -> list[str]:
    """The production model (`base`) fine-tuned on each personal run's earlier runs, then asked
    for the run itself. Where fine-tuning is impossible (too few earlier runs pass the gates,
    or the run itself does not and leaves nothing to score on) the run gets the production
    model's prediction, and a note says why."""
    notes = []
    for run in runs:
        if len(run.earlier) < MIN_EARLIER:
            continue
        started = time.perf_counter()
        # The runner's runs as read_folder makes them for `pulselake personalize`, in one chunk
        # (polars 2.1 panics, "i < self.len()", on a gated frame of one-row chunks).
        workouts = pl.concat(
            [
                unified_row(r.activity, r.id, r.runner, activity_sport(r.activity))
                for r in [*run.earlier, run]
            ],
            rechunk=True,
        )
        with tempfile.TemporaryDirectory(prefix="reality-check-") as work:
            out = Path(work, "model.pt")
            try:
                personalize_workouts(workouts, base, out, run.start, epochs=epochs)
            except Exception as error:  # ValueError: too few runs; anything else is named
                run.mae[PERSONAL] = run.mae["production"]
                kind = "" if isinstance(error, ValueError) else f"{type(error).__name__}: "
                notes.append(f"{run.id}: production model used: {kind}{error}")
                continue
            prediction = predict_activity(load_bundle(out), run.activity, None)
        run.mae[PERSONAL] = score(prediction)
        log(
            f"  personalised {run.id} on {len(run.earlier)} earlier runs: "
            f"{run.mae['production']:.1f} -> {run.mae[PERSONAL]:.1f} bpm "
            f"({time.perf_counter() - started:.0f} s)"
        )
    return notes
