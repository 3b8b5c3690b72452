"""Real runs benchmark: the trained models and simple baselines on activity files from real devices.

Reads every activity file under --runs (default ../shared/realruns from the project's root: one
folder per runner, never copied into the repository) the way `pulselake predict` does (every
running activity of a file, then `predict_activity` on each checkpoint's own grid), and scores
per run the MAE over the steps with a measured heart rate after the first minute:

- cold start: the production model and each family's latest user_disjoint checkpoint, the runner
  an unknown user;
- baselines on the production model's grid (assets/evaluation/baselines.py): a constant 150 bpm,
  the population's level (median of the other runners' run means), the run's own mean (a cheat),
  a heart-rate kinetics model fitted on the other runners' runs; and for runs with at least
  MIN_EARLIER earlier runs of the same runner (runner = folder, order = start time) the kinetics
  model fitted on those earlier runs and their mean level;
- with --personalize, the production model adapted to the runner's earlier runs as they come
  in (assets/personalize/runner.py, the code of `pulselake personalize`: the family's attempts,
  the best on the runner's validation runs, the base included). Where `personalize_workouts`
  cannot adapt (too few earlier runs pass the gates, or the run itself does not and so leaves
  nothing to score on) the run gets the production model's prediction, what the runner would
  get from pulselake that day.

A file or run that cannot be read or predicted is refused with its reason; an activity that is
not a run (a multisport file's ride) or a second recording of a run already counted (two watches
on one run) is left out with its reason; the bench never stops on one file. Writes
<out>/runs.csv (one row per run), <out>/refused.csv and <out>/curves.png (best, median and worst
run of the production model), prints a table and ends with one BENCH line. The targets:
production median <= COLD_TARGET and below the constant, the population level and the cold
kinetics model; personalised median <= PERSONAL_TARGET and below the personal kinetics model.

The scoring is the `reality_check` asset's (assets/reality/, figures in
assets/evaluation/reality_check.py); this script prints and writes what it finds.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from pathlib import Path

import polars as pl

from assets.evaluation import reality_check as rc

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RUNS = ROOT.parent / "shared" / "realruns"
DEFAULT_OUT = ROOT / "bench" / "out" / "real_runs"


def write_csv(path: Path, table: pl.DataFrame, names: list[str]) -> None:
    """runs.csv: one row per run, MAEs to 0.01 bpm (empty where not scored)."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["file", "runner", "start", "minutes", "scored_steps", "coverage", *names, "notes"]
        )
        for run in table.iter_rows(named=True):
            maes = [run[name] for name in names]
            writer.writerow(
                [run["file"], run["runner"], run["start"].isoformat(), f"{run['minutes']:.1f}"]
                + [run["scored_steps"], f"{run['coverage']:.2f}"]
                + ["" if math.isnan(v) else f"{v:.2f}" for v in maes]
                + [run["notes"]]
            )


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
    from assets.reality.runs import checkpoints
    from assets.reality.scoring import check

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
    outcome = check(
        args.runs,
        bundles,
        models["production"],
        args.personalize,
        args.epochs,
        lambda line: print(line, flush=True),
    )
    table = outcome.table()

    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "runs.csv", table, outcome.names)
    with (args.out / "refused.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(
            [("file", "reason", "kind")]
            + [(*row, "refused") for row in outcome.refused]
            + [(*row, "left out") for row in outcome.left_out]
        )
    plot = rc.plot_curves(table, outcome.curves)
    if plot is not None:
        (args.out / "curves.png").write_bytes(plot)

    personal_runs = rc.personal_runs(table)
    for line in rc.text_table(
        f"Cold start: {table.height} runs of {table['runner'].n_unique()} runners, MAE per run "
        f"over steps with measured heart rate after the first minute",
        rc.summarise(table, rc.cold_names(table)),
    ) + rc.text_table(
        f"Personal: {personal_runs.height} runs with at least {rc.MIN_EARLIER} earlier runs of "
        "their runner",
        rc.summarise(personal_runs, rc.personal_names(table)),
    ):
        print(line)
    for note in outcome.notes:
        print(f"  {note}")
    print(f"\nrefused {len(outcome.refused)} (could not be read or predicted):")
    for file, reason in outcome.refused:
        print(f"  {file}: {reason}")
    print(f"left out {len(outcome.left_out)} (not a run, or a run already counted):")
    for file, reason in outcome.left_out:
        print(f"  {file}: {reason}")
    suspect = table.filter(pl.col("coverage") < rc.SUSPECT_COVERAGE)
    print(
        f"\nsuspect reads {suspect.height} (scored, but under {rc.SUSPECT_COVERAGE:.0%} of the "
        "grid's steps after the first minute have a heart rate: merged sessions, a clock jump, a "
        "long stop or heart rate in records of its own):"
    )
    for run in suspect.iter_rows(named=True):
        print(
            f"  {run['file']}: {run['minutes']:.0f} min on the grid, {run['coverage']:.0%} scored"
        )
    if everyone := outcome.everyone:
        print(
            f"\nkinetics fitted on all runs: hr_ss = {everyone.a:.1f} + {everyone.b:.2f} * speed "
            f"+ {everyone.c:.1f} * speed * grade, tau {everyone.tau_s:g} s"
        )
    print(f"wrote {os.fspath(args.out)}/runs.csv, refused.csv, curves.png")

    figures = rc.headline(table, len(outcome.refused))
    print(
        "BENCH real_runs "
        + " ".join(f"{key}={fmt(figures[key])}" for key in list(figures)[:5])
        + f" refused={figures['refused']} target_met={str(figures['target_met']).lower()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
