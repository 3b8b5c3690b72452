"""Realism benchmark: does the simulator's FitRec output look like the published Endomondo data?

Generates a file (default 20,000 workouts) in a temp dir, reads it back with pulselake's own
ingestion and compares pooled statistics with the published figures. Exits 1 if any figure is
outside its tolerance; the last line is a machine-readable BENCH summary.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from assets.sources.fitrec.reader import FitrecPass
from simulator import write_fitrec

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


def read_back(path: Path, truth_dir: Path) -> tuple[dict[str, float], bool]:
    """Pooled statistics of the file as pulselake's own ingestion reads it.

    Running speed is the written `speed` where the key is present, else the truth sidecar's.
    """
    fitrec = FitrecPass(path)
    workouts = fitrec.workouts.select("workout_id", "sport", "timestamp", "heart_rate", "speed")
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
    return {name: float(value) for name, value in stats.items()}, full_length


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workouts", type=int, default=20_000, help="total workouts (>= 20000)")
    parser.add_argument("--workouts-per-user", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    users = math.ceil(args.workouts / args.workouts_per_user)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = write_fitrec(Path(tmp) / "bench.json", users, args.workouts_per_user, args.seed)
        seconds = time.perf_counter() - start
        gen_mb_s = summary.bytes / 1e6 / seconds
        print(f"generated {summary.lines} workouts, {summary.bytes / 1e6:.0f} MB "
              f"in {seconds:.1f} s = {gen_mb_s:.1f} MB/s")  # fmt: skip
        stats, full_length = read_back(summary.path, summary.truth_dir)

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
    figures = " ".join(f"{name}={stats[name]:.4f}" for name in TARGETS)
    print(
        f"BENCH simulator_realism {figures} gen_mb_s={gen_mb_s:.1f} target_met={str(met).lower()}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
