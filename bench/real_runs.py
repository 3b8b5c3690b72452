"""Real runs benchmark: the trained models and simple baselines on activity files from real devices.

Reads every activity file under --runs (default ../shared/realruns from the project's root: one
folder per runner, never copied into the repository) the way `pulselake predict` does (its
`read_runs`: every running activity of a file, then `predict_activity` on each checkpoint's own
grid), and scores per run the MAE over the steps with a measured heart rate after the first
minute:

- cold start: the production model and each family's latest user_disjoint checkpoint, the runner
  an unknown user;
- baselines on the production model's grid (assets/evaluation/baselines.py): a constant 150 bpm,
  the population's level (median of the other runners' run means), the run's own mean (a cheat),
  a heart-rate kinetics model fitted on the other runners' runs; and for runs with at least
  MIN_EARLIER earlier runs of the same runner (runner = folder, order = start time) the kinetics
  model fitted on those earlier runs and their mean level;
- with --personalize, the production model fine-tuned on the runner's earlier runs as they come
  in (assets/personalize/runner.py, the code of `pulselake personalize`), one fine-tuning per
  scored run. Where `personalize_workouts` cannot fine-tune (too few earlier runs pass the
  gates, or the run itself does not and so leaves nothing to score on) the run gets the
  production model's prediction, what the runner would get from pulselake that day.

A file or run that cannot be read or predicted is refused with its reason; an activity that is
not a run (a multisport file's ride) or a second recording of a run already counted (two watches
on one run) is left out with its reason; the bench never stops on one file. Writes
<out>/runs.csv (one row per run), <out>/refused.csv and <out>/curves.png (best, median and worst
run of the production model), prints a table and ends with one BENCH line. The targets:
production median <= COLD_TARGET and below the constant, the population level and the cold
kinetics model; personalised median <= PERSONAL_TARGET and below the personal kinetics model.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from assets.evaluation import baselines as bl

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RUNS = ROOT.parent / "shared" / "realruns"
DEFAULT_OUT = ROOT / "bench" / "out" / "real_runs"
MIN_EARLIER = 3  # earlier runs of the same runner before a personal baseline is fitted
COLD_TARGET = 10.5
PERSONAL_TARGET = 7.0
WITHIN_BPM = (5, 10)
SUSPECT_COVERAGE = 0.5  # scored share of a run's steps below which its read is listed as suspect
# Two recordings of one run (two watches, or a file exported twice): same runner, and their time
# spans overlap by more than this share of the shorter one.
DUPLICATE_OVERLAP = 0.5
# Families' checkpoint folders under <lake>/models that are not a family's training runs.
NOT_FAMILIES = {"production", "sweep", "personal"}
BASELINES = ("const", "population", "own_mean", "kinetics_cold")
PERSONAL_BASELINES = ("kinetics_personal", "personal_level")


@dataclass
class Run:
    """One activity of one file: what was read, and what each model and baseline scored."""

    id: str  # the file relative to --runs, "#k" appended when the file held several activities
    runner: str
    activity: object  # assets.sources.activity_files.readers.Activity
    minutes: float = math.nan
    steps: int = 0  # scored steps on the production grid
    coverage: float = math.nan  # share of the grid's steps after the first minute that score
    mae: dict[str, float] = field(default_factory=dict)
    earlier: list[Run] = field(default_factory=list)  # the runner's runs that started before

    @property
    def start(self) -> datetime:
        return self.activity.start_time

    @property
    def span(self) -> tuple[int, int]:
        stamps = self.activity.series["timestamp"]
        return int(stamps.min()), int(stamps.max())


@dataclass
class Grid:
    """One run on the production model's grid, as the baselines need it."""

    elapsed_s: np.ndarray
    speed: np.ndarray
    grade: np.ndarray
    heart_rate: np.ndarray
    scored: np.ndarray


def read_runs(root: Path) -> tuple[list[Run], list[tuple[str, str]], list[tuple[str, str]]]:
    """(every run under `root`, (file, reason) of what could not be read, (activity, why) of
    what was left out), read as `pulselake predict` reads its files: its `read_runs` where the
    CLI has it (only the running activities of a file holding several), else every activity the
    reader returns. The runner is the first folder below `root`."""
    from assets.sources.activity_files import readers
    from assets.sources.activity_files.folder import take_inventory

    try:
        from pipelines.cli.predict import read_runs as read_as_predict
    except ImportError:  # a CLI that reads one activity per file
        read_as_predict = None
    read_all = getattr(readers, "read_activities", None) or (lambda p: [readers.read_activity(p)])
    inventory = take_inventory(root)
    refused = [(str(file), str(reason)) for file, reason in inventory.problems]
    left_out, runs = [], []
    for path in inventory.activity_files:
        relative = path.relative_to(root)
        runner = relative.parts[0] if len(relative.parts) > 1 else root.name
        if read_as_predict is not None:
            found, errors, notes = read_as_predict([path])
            activities = [activity for _, activity in found]
            refused += [_labelled(error, path, relative) for error in errors]
            left_out += [_labelled(note, path, relative) for note in notes]
        else:
            try:
                activities = list(read_all(path))
            except readers.ActivityFileError as error:
                refused.append((relative.as_posix(), _reason(error, path)))
                continue
        for k, activity in enumerate(activities):
            part = getattr(activity, "part", None) or (k + 1 if len(activities) > 1 else None)
            runs.append(Run(relative.as_posix() + (f"#{part}" if part else ""), runner, activity))
    return runs, refused, left_out


def _reason(error: Exception, path: Path) -> str:
    """The error's message without the path it starts with (the table names the file)."""
    return str(error).removeprefix(f"{path}: ")


def _labelled(message: str, path: Path, relative: Path) -> tuple[str, str]:
    """("<file relative to --runs>[#k]", reason) of a CLI message "<path>[#k]: <reason>"."""
    text = message.removeprefix(str(path))
    part, _, reason = text.partition(": ") if text.startswith(("#", ":")) else ("", "", text)
    return relative.as_posix() + part.removeprefix(":"), reason or text


def drop_duplicates(runs: list[Run]) -> tuple[list[Run], list[tuple[str, str]]]:
    """One run recorded twice (two watches) counts once: the first in file order is kept."""
    kept: list[Run] = []
    refused = []
    for run in runs:
        start, end = run.span
        for other in kept:
            if other.runner != run.runner:
                continue
            o_start, o_end = other.span
            overlap = min(end, o_end) - max(start, o_start)
            shorter = max(min(end - start, o_end - o_start), 1)
            if overlap > DUPLICATE_OVERLAP * shorter:
                refused.append(
                    (
                        run.id,
                        f"duplicate: the same run as {other.id} ({overlap / 60:.0f} min "
                        "overlap), counted once",
                    )
                )
                break
        else:
            kept.append(run)
    return kept, refused


def checkpoints(lake: Path) -> dict[str, Path]:
    """The production model and each family's latest user_disjoint checkpoint (newest file)."""
    models = lake / "models"
    found = {}
    if (models / "production" / "model.pt").is_file():
        found["production"] = models / "production" / "model.pt"
    for family in sorted(p for p in models.iterdir() if p.is_dir()) if models.is_dir() else []:
        if family.name in NOT_FAMILIES:
            continue
        candidates = list(family.glob("user_disjoint/*/model.pt"))
        if candidates:
            found[family.name] = max(candidates, key=lambda p: p.stat().st_mtime)
    return found


def production_grid(run: Run, step_seconds: float, gap_s: float) -> Grid:
    """The run on the production model's grid (ActivityFileError if it cannot be gridded)."""
    from assets.prediction.predict_file import grid_features

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
    runs: list[Run], bundles: dict[str, object]
) -> tuple[list[Run], list[tuple[str, str]], dict[str, pl.DataFrame]]:
    """Every model's MAE on every run; the runs no model could predict are refused. Returns
    the production model's predictions too, for the figure."""
    from assets.prediction.predict_file import predict_activity
    from assets.sources.activity_files.readers import ActivityFileError

    scored, refused, curves = [], [], {}
    for run in runs:
        try:
            for name, bundle in bundles.items():
                prediction = predict_activity(bundle, run.activity, None)
                run.mae[name] = score(prediction)
                if name == "production":
                    curves[run.id] = prediction
                    run.minutes = float(prediction["elapsed_s"][-1]) / 60
        except ActivityFileError as error:
            refused.append((run.id, _reason(error, run.activity.path)))
            continue
        except Exception as error:  # one odd run never stops the others; named, with the bug
            refused.append((run.id, f"prediction failed: {type(error).__name__}: {error}"))
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
    kinetics model fitted on all runs, to show what the cold fits look like."""
    means: dict[str, list[float]] = defaultdict(list)
    sums = {}
    for run in runs:
        grid = grids[run.id]
        means[run.runner].append(bl.run_mean(grid.heart_rate, grid.scored))
        sums[run.id] = bl.kinetics_sums(
            grid.speed, grid.grade, grid.heart_rate, grid.scored, step_seconds
        )
    by_runner: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_runner[run.runner].append(run)
    cold = {
        runner: bl.fit_kinetics(sums[r.id] for r in runs if r.runner != runner)
        for runner in by_runner
    }
    for run in runs:
        grid = grids[run.id]
        n, hr, mask = len(grid.heart_rate), grid.heart_rate, grid.scored
        own = bl.run_mean(hr, mask)
        run.steps = int(mask.sum())
        run.coverage = run.steps / max(int((grid.elapsed_s >= bl.WARMUP_S).sum()), 1)
        run.mae["const"] = bl.mae(bl.constant(n), hr, mask)
        run.mae["population"] = bl.mae(
            bl.constant(n, bl.population_level(means, run.runner)), hr, mask
        )
        run.mae["own_mean"] = bl.mae(bl.constant(n, own), hr, mask)
        run.mae["kinetics_cold"] = _kinetics_mae(cold[run.runner], grid, step_seconds)
        run.earlier = [r for r in by_runner[run.runner] if r.start < run.start]
        if len(run.earlier) >= MIN_EARLIER:
            fitted = bl.fit_kinetics(sums[r.id] for r in run.earlier)
            run.mae["kinetics_personal"] = _kinetics_mae(fitted, grid, step_seconds)
            level = bl.personal_level(
                [bl.run_mean(grids[r.id].heart_rate, grids[r.id].scored) for r in run.earlier]
            )
            run.mae["personal_level"] = bl.mae(bl.constant(n, level), hr, mask)
    return bl.fit_kinetics(sums.values())


def _kinetics_mae(fitted: bl.Kinetics | None, grid: Grid, step_seconds: float) -> float:
    if fitted is None:
        return math.nan
    predicted = fitted.predict(grid.speed, grid.grade, step_seconds)
    return bl.mae(predicted, grid.heart_rate, grid.scored)


def personalise(runs: list[Run], base: Path, epochs: int) -> list[str]:
    """The production model fine-tuned on each personal run's earlier runs, then asked for the
    run itself, as `pulselake personalize` would have done the day before. Falls back to the
    production model (its reason noted) where fine-tuning is impossible."""
    from assets.personalize.runner import personalize_workouts
    from assets.prediction.predict_file import load_bundle, predict_activity
    from assets.sources.activity_files import folder

    def sport(run: Run) -> str | None:
        if hasattr(folder, "activity_sport"):  # the declared sport, or a runner's speed
            return folder.activity_sport(run.activity)
        return folder.gate_sport(run.activity.sport)

    notes = []
    for run in runs:
        if len(run.earlier) < MIN_EARLIER:
            continue
        started = time.perf_counter()
        # The runner's runs as read_folder makes them for `pulselake personalize`, in one chunk
        # (polars 2.1 panics, "i < self.len()", on a gated frame of one-row chunks).
        workouts = pl.concat(
            [folder.unified_row(r.activity, r.id, r.runner, sport(r)) for r in [*run.earlier, run]],
            rechunk=True,
        )
        with tempfile.TemporaryDirectory(prefix="real-runs-") as work:
            out = Path(work, "model.pt")
            try:
                personalize_workouts(workouts, base, out, run.start, epochs=epochs)
            except Exception as error:  # ValueError: too few runs; anything else is named
                run.mae["personal"] = run.mae["production"]
                kind = "" if isinstance(error, ValueError) else f"{type(error).__name__}: "
                notes.append(f"{run.id}: production model used: {kind}{error}")
                continue
            prediction = predict_activity(load_bundle(out), run.activity, None)
        run.mae["personal"] = score(prediction)
        print(
            f"  personalised {run.id} on {len(run.earlier)} earlier runs: "
            f"{run.mae['production']:.1f} -> {run.mae['personal']:.1f} bpm "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    return notes


def summary(runs: list[Run], name: str) -> dict[str, float]:
    values = np.array([r.mae.get(name, math.nan) for r in runs], dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return {"runs": 0, "median": math.nan, **{f"within_{b}": math.nan for b in WITHIN_BPM}}
    return {
        "runs": len(values),
        "median": float(np.median(values)),
        **{f"within_{b}": float(np.mean(values <= b)) for b in WITHIN_BPM},
    }


def print_table(title: str, runs: list[Run], names: list[str]) -> dict[str, dict]:
    rows = {name: summary(runs, name) for name in names}
    print(f"\n{title}")
    print(
        f"  {'model / baseline':<20} {'runs':>5} {'median MAE':>11} {'<=5 bpm':>8} {'<=10 bpm':>9}"
    )
    for name, row in rows.items():
        if row["runs"]:
            print(
                f"  {name:<20} {row['runs']:>5} {row['median']:>11.2f} "
                f"{row['within_5']:>8.0%} {row['within_10']:>9.0%}"
            )
        else:
            print(f"  {name:<20} {0:>5} {'-':>11}")
    return rows


def write_csv(path: Path, runs: list[Run], names: list[str]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["file", "runner", "start", "minutes", "scored_steps", "coverage", *names, "notes"]
        )
        for run in sorted(runs, key=lambda r: (r.runner, r.start)):
            maes = [run.mae.get(name, math.nan) for name in names]
            writer.writerow(
                [run.id, run.runner, run.start.isoformat(), f"{run.minutes:.1f}", run.steps]
                + [f"{run.coverage:.2f}"]
                + ["" if math.isnan(v) else f"{v:.2f}" for v in maes]
                + ["; ".join(getattr(run.activity, "notes", ()))]
            )


def plot_curves(path: Path, runs: list[Run], curves: dict[str, pl.DataFrame]) -> None:
    """Measured and predicted heart rate of the production model's best, median, worst run."""
    from assets.lake.figures import plt, png

    ranked = sorted(
        (r for r in runs if math.isfinite(r.mae.get("production", math.nan))),
        key=lambda r: r.mae["production"],
    )
    if not ranked:
        return
    picks = {"best": ranked[0], "median": ranked[len(ranked) // 2], "worst": ranked[-1]}
    figure, axes = plt.subplots(len(picks), 1, figsize=(10, 8), squeeze=False)
    for axis, (label, run) in zip(axes[:, 0], picks.items(), strict=True):
        frame = curves[run.id]
        minutes = frame["elapsed_s"].to_numpy() / 60
        measured = frame["measured_hr"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        axis.plot(minutes, measured, color="black", linewidth=1, label="measured")
        axis.plot(minutes, frame["predicted_hr"].to_numpy(), color="crimson", label="production")
        axis.axvline(bl.WARMUP_S / 60, color="grey", linewidth=0.5, linestyle=":")
        axis.set(
            ylabel="heart rate (bpm)",
            title=f"{label}: {run.id} (MAE {run.mae['production']:.1f} bpm)",
        )
        axis.legend(loc="lower right")
    axes[-1, 0].set(xlabel="minutes")
    figure.tight_layout()
    path.write_bytes(png(figure))


def fmt(value: float) -> str:
    return "nan" if not math.isfinite(value) else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=Path, default=DEFAULT_RUNS)
    parser.add_argument(
        "--lake", type=Path, default=Path(os.environ.get("PULSELAKE_LAKE", "data_lake"))
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--personalize",
        action="store_true",
        help="fine-tune the production model per run on the runner's earlier runs (slow)",
    )
    parser.add_argument("--epochs", type=int, default=10, help="fine-tuning epochs per run")
    args = parser.parse_args(argv)
    from assets.prediction.predict_file import load_bundle

    if not args.runs.is_dir():
        print(f"error: {args.runs}: no such folder of real runs", file=sys.stderr)
        return 2
    models = checkpoints(args.lake)
    if "production" not in models:
        print(
            f"error: no production model under {args.lake}/models: run `make run`", file=sys.stderr
        )
        return 2
    bundles = {name: load_bundle(path) for name, path in models.items()}
    for name, path in models.items():
        grid = f"{bundles[name].step_seconds:g} s grid"
        print(f"model {name:<16} {grid:<10} {path.relative_to(args.lake)}")
    started = time.perf_counter()
    runs, refused, left_out = read_runs(args.runs)
    print(f"read {len(runs)} activities in {time.perf_counter() - started:.0f} s", flush=True)
    runs, duplicates = drop_duplicates(runs)
    left_out += duplicates
    production = bundles["production"]
    step_s, gap_s = production.step_seconds, production.grid_hr_max_gap_s
    runs, unpredictable, curves = score_models(runs, bundles)
    refused += unpredictable
    grids = {run.id: production_grid(run, step_s, gap_s) for run in runs}
    everyone = score_baselines(runs, grids, step_s)
    print(f"scored {len(runs)} runs in {time.perf_counter() - started:.0f} s", flush=True)
    notes = personalise(runs, models["production"], args.epochs) if args.personalize else []

    names = [*models, *BASELINES, *PERSONAL_BASELINES] + (["personal"] if args.personalize else [])
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "runs.csv", runs, names)
    with (args.out / "refused.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(
            [("file", "reason", "kind")]
            + [(*row, "refused") for row in refused]
            + [(*row, "left out") for row in left_out]
        )
    plot_curves(args.out / "curves.png", runs, curves)

    cold = print_table(
        f"Cold start: {len(runs)} runs of {len({r.runner for r in runs})} runners, MAE per run "
        f"over steps with measured heart rate after the first minute",
        runs,
        [*models, *BASELINES],
    )
    personal_runs = [r for r in runs if len(r.earlier) >= MIN_EARLIER]
    personal = print_table(
        f"Personal: {len(personal_runs)} runs with at least {MIN_EARLIER} earlier runs of their "
        "runner",
        personal_runs,
        [
            "production",
            *(["personal"] if args.personalize else []),
            *PERSONAL_BASELINES,
            "const",
            "own_mean",
        ],
    )
    for note in notes:
        print(f"  {note}")
    print(f"\nrefused {len(refused)} (could not be read or predicted):")
    for file, reason in refused:
        print(f"  {file}: {reason}")
    print(f"left out {len(left_out)} (not a run, or a run already counted):")
    for file, reason in left_out:
        print(f"  {file}: {reason}")
    suspect = [r for r in runs if r.coverage < SUSPECT_COVERAGE]
    print(
        f"\nsuspect reads {len(suspect)} (scored, but under {SUSPECT_COVERAGE:.0%} of the grid's "
        "steps after the first minute have a heart rate: merged sessions, a clock jump, a long "
        "stop or heart rate in records of its own):"
    )
    for run in suspect:
        print(f"  {run.id}: {run.minutes:.0f} min on the grid, {run.coverage:.0%} scored")
    if everyone:
        print(
            f"\nkinetics fitted on all runs: hr_ss = {everyone.a:.1f} + {everyone.b:.2f} * speed "
            f"+ {everyone.c:.1f} * speed * grade, tau {everyone.tau_s:g} s"
        )
    print(f"wrote {os.fspath(args.out)}/runs.csv, refused.csv, curves.png")

    cold_median = cold["production"]["median"]
    personal_median = personal["personal"]["median"] if args.personalize else math.nan
    kinetics_personal = personal["kinetics_personal"]["median"]
    met = (
        cold_median <= COLD_TARGET
        and all(cold_median < cold[b]["median"] for b in ("const", "population", "kinetics_cold"))
        and personal_median <= PERSONAL_TARGET
        and personal_median < kinetics_personal
    )
    print(
        f"BENCH real_runs cold_median={fmt(cold_median)} personal_median={fmt(personal_median)} "
        f"const_median={fmt(cold['const']['median'])} "
        f"kinetics_cold={fmt(cold['kinetics_cold']['median'])} "
        f"kinetics_personal={fmt(kinetics_personal)} refused={len(refused)} "
        f"target_met={str(bool(met)).lower()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
