"""Realism benchmark: does the simulator's FitRec output look like the published Endomondo data,
and do its runs look like real runs recorded by real devices?

Generates a file (default 20,000 workouts) in a temp dir, reads it back with pulselake's own
ingestion and compares pooled statistics with the published figures. Exits 1 if any figure is
outside its tolerance (these, and that every workout has 500 points, make target_met).

Then, where the real runs are (`--runs`, default `../shared/realruns` from the project's root,
never copied into the repository), the same running statistics on simulated and on real runs,
side by side, each with a tolerance (bench/realruns_stats.py says how each is measured): level,
heart rate against speed, response time, drift, pauses, sampling and altitude. Runner statistics
come from the FitRec file's runs; the recording ones (sampling, altitude) from the simulator's
device files (`write_activity_files`), read with the same reader as the real files. The count of
statistics outside their tolerance is reported as `real_outside` and does not change target_met
(the simulator's recalibration against them is a follow-up). The last line is a machine-readable
BENCH summary.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import realruns_stats
import realruns_summary
import realruns_timeline

from assets.sources.fitrec.reader import FitrecPass
from simulator import write_fitrec
from simulator.activity_files import write_activity_files

WITHIN = {True: "yes", False: "NO", None: "n/a"}  # n/a: a side has too little to measure it
REAL_RUNS = Path(__file__).resolve().parents[1] / ".." / "shared" / "realruns"

# name: (published value, low, high, description)
TARGETS = {
    "hr_mean": (149.0, 144.0, 154.0, "running HR mean, bpm (pooled samples)"),
    "hr_std": (17.6, 13.6, 21.6, "running HR std, bpm (pooled samples)"),
    "speed_mean": (11.5, 10.5, 12.5, "running speed mean, km/h (pooled samples)"),
    "speed_std": (2.7, 1.9, 3.5, "running speed std, km/h (pooled samples)"),
    "r": (0.3, 0.20, 0.40, "pooled speed-HR Pearson r, running"),
    "step_mean": (8.0, 7.0, 9.0, "mean sampling step, s (all workouts)"),
    "running_share": (0.42, 0.38, 0.48, "share of lines that are running"),
    "speed_absent": (0.84, 0.75, 0.90, "share of running lines without 'speed'"),
    "out_of_range_share": (0.01, 0.005, 0.02, "running workouts with HR outside 40-220"),
}


def read_back(path: Path, truth_dir: Path) -> tuple[dict[str, float], bool, pl.DataFrame]:
    """Pooled statistics of the file as pulselake's own ingestion reads it, whether every workout
    has 500 points, and the runs as read (the file's own columns, for the real-runs section).

    Running speed is the written `speed` where the key is present, else the truth sidecar's.
    """
    fitrec = FitrecPass(path)
    series = ("timestamp", "heart_rate", "speed", "altitude", "latitude", "longitude")
    workouts = fitrec.workouts.select("workout_id", "user_id", "sport", *series)
    truth = pl.scan_parquet(truth_dir / "latent_hr.parquet").select("workout_id", "speed_kmh")
    frame = workouts.join(truth, on="workout_id", how="left").collect()
    runs = frame.filter(pl.col("sport") == "run")
    pooled = runs.select(
        hr=pl.col("heart_rate").explode(),
        speed=pl.coalesce("speed", "speed_kmh").explode(),
    ).select(
        hr_mean=pl.mean("hr"),
        hr_std=pl.col("hr").std(ddof=0),
        speed_mean=pl.mean("speed"),
        speed_std=pl.col("speed").std(ddof=0),
        r=pl.corr("speed", "hr"),
    )
    hr = pl.col("heart_rate")
    per_workout = runs.select(
        speed_absent=pl.col("speed").is_null().mean(),
        out_of_range_share=((hr.list.min() < 40) | (hr.list.max() > 220)).mean(),
    )
    stats = {
        **pooled.row(0, named=True),
        **per_workout.row(0, named=True),
        "step_mean": frame.select(pl.col("timestamp").list.diff().explode().mean()).item(),
        "running_share": runs.height / fitrec.stats.lines,
    }
    full_length = frame.select((pl.col("timestamp", "heart_rate").list.len() == 500).all()).row(
        0
    ) == (True, True)
    print(f"read back {fitrec.stats.lines} lines, {fitrec.stats.quarantined} quarantined")
    figures = {name: float(value) for name, value in stats.items()}
    return figures, full_length, runs.select("workout_id", "user_id", *series)


def device_runs(folder: Path, runs: int, seed: int) -> list[realruns_summary.Summary]:
    """The simulator's device files (a few seconds a sample, as its activity-files source
    writes them) for `runs` runs of runs // 4 runners, read like the real files."""
    write_activity_files(folder, max(runs // 4, 1), 4, others_per_runner=0, seed=seed)
    found, *_ = realruns_timeline.read_runs(folder)  # its one corrupt file is set aside
    return realruns_summary.summarise_all(found)[0]


def real_section(
    runs: pl.DataFrame, folder: Path, work: Path, sim_runs: int, dev_runs: int, seed: int
) -> tuple[int, int] | None:
    """Print the simulated-against-real table; (real runs measured, statistics outside their
    tolerance), or None when the real runs are not there."""
    if not folder.is_dir():
        print(f"\nreal runs: {folder} not found, section skipped")
        return None
    start = time.perf_counter()
    real, skipped, split, messages = realruns_timeline.read_runs(folder)
    real_summaries, no_speed = realruns_summary.summarise_all(real)
    runs = runs.sort("workout_id")  # the streamed read's order varies; the sample must not
    sample = runs.sample(min(sim_runs, runs.height), seed=seed) if sim_runs else runs
    simulated = realruns_summary.summarise_all(realruns_timeline.runs_from_frame(sample))[0]
    device = device_runs(work / "devices", dev_runs, seed)
    rows = realruns_stats.compare(simulated, device, real_summaries, seed)
    seconds = time.perf_counter() - start
    runners = len({s.runner for s in real_summaries})
    print(f"\nreal runs: {len(real_summaries)} runs of {runners} runners from {folder.resolve()}")
    print("  split: " + ", ".join(f"{n} {why}" for why, n in split.items()))
    print("  set aside: " + ", ".join(f"{n} {why}" for why, n in skipped.items()))
    for message in messages:
        print(f"  not read: {message}")
    if no_speed:
        print(f"  {no_speed} runs without speed or positions: level and recording figures only")
    print(
        f"simulated: {len(simulated)} FitRec runs of {len({s.runner for s in simulated})} users "
        f"(runner figures), {len(device)} device-file runs (recording figures); {seconds:.0f} s"
    )
    print("tolerance: max(floor, 2 x combined SE), each side's SE from a bootstrap over runners")
    print(f"{'statistic':<22}{'simulated':>10}{'real':>9}{'tolerance':>11}  within  from    what")
    for row in rows:
        print(
            f"{row.name:<22}{row.simulated:>10.2f}{row.real:>9.2f}{row.tolerance:>11.2f}  "
            f"{WITHIN[row.within]:<6}  {row.source:<6}  {row.what}"
        )
    outside = [row for row in rows if row.within is False]
    for row in outside:
        gap = row.simulated - row.real
        print(f"outside: {row.name} simulated - real = {gap:+.2f} (tolerance {row.tolerance:.2f})")
    return len(real_summaries), len(outside)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workouts", type=int, default=20_000, help="total workouts (>= 20000)")
    parser.add_argument("--workouts-per-user", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=Path, default=REAL_RUNS, help="the real runs' folder")
    parser.add_argument(
        "--sim-runs", type=int, default=3000, help="simulated FitRec runs measured (0: all)"
    )
    parser.add_argument("--device-runs", type=int, default=96, help="simulated device-file runs")
    args = parser.parse_args(argv)
    users = math.ceil(args.workouts / args.workouts_per_user)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = write_fitrec(Path(tmp) / "bench.json", users, args.workouts_per_user, args.seed)
        seconds = time.perf_counter() - start
        gen_mb_s = summary.bytes / 1e6 / seconds
        print(f"generated {summary.lines} workouts, {summary.bytes / 1e6:.0f} MB "
              f"in {seconds:.1f} s = {gen_mb_s:.1f} MB/s")  # fmt: skip
        stats, full_length, runs = read_back(summary.path, summary.truth_dir)

    print("speed: written 'speed' where present, truth sidecar speed_kmh where the key is absent")
    print(f"every workout has 500 points: {full_length}")
    print(f"{'figure':<20}{'simulated':>11}{'real':>8}{'tolerance':>16}  ok")
    met = full_length
    for name, (real, low, high, what) in TARGETS.items():
        ok = low <= stats[name] <= high
        met &= ok
        band = f"{low:g}..{high:g}"
        print(
            f"{name:<20}{stats[name]:>11.4f}{real:>8g}{band:>16}  {'yes' if ok else 'NO'}  {what}"
        )
    print(f"{'gen_mb_s':<20}{gen_mb_s:>11.1f}  (throughput, for information)")
    with tempfile.TemporaryDirectory() as tmp:
        found = real_section(runs, args.runs, Path(tmp), args.sim_runs, args.device_runs, args.seed)
    figures = " ".join(f"{name}={stats[name]:.4f}" for name in TARGETS)
    real = (
        "real_runs=0 real_outside=na"
        if found is None
        else (f"real_runs={found[0]} real_outside={found[1]}")
    )
    print(
        f"BENCH simulator_realism {figures} gen_mb_s={gen_mb_s:.1f} {real} "
        f"target_met={str(met).lower()}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
