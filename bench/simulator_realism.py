"""Realism benchmark: does the simulator's FitRec output look like the published Endomondo data?

Generates a file (default 20,000 workouts) in a temp dir, reads it back like a consumer would
and compares pooled statistics with the published figures. Exits 1 if any figure is outside
its tolerance; the last line is a machine-readable BENCH summary.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

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
    """Pooled statistics from the written file; true speed fills lines without `speed`."""
    hr, speed, steps, missing_speed_ids = [], [], [], []
    lines = running = absent = outside = 0
    full_length = True
    with open(path, encoding="ascii") as handle:
        for line in handle:
            record = json.loads(line.replace("'", '"'))  # values never contain quotes
            lines += 1
            ts = np.asarray(record["timestamp"])
            steps.append(np.diff(ts))
            full_length &= len(ts) == 500 and len(record["heart_rate"]) == 500
            if record["sport"] != "run":
                continue
            running += 1
            beats = np.asarray(record["heart_rate"], dtype=np.float64)
            hr.append(beats)
            outside += bool(np.any((beats < 40) | (beats > 220)))
            if "speed" in record:
                speed.append(np.asarray(record["speed"], dtype=np.float64))
            else:
                absent += 1
                missing_speed_ids.append(record["id"])
                speed.append(None)
    truth = pl.read_parquet(truth_dir / "latent_hr.parquet", columns=["workout_id", "speed_kmh"])
    true_speed = dict(zip(truth["workout_id"].to_list(), truth["speed_kmh"].to_list(), strict=True))
    missing = iter(missing_speed_ids)
    speed = [np.asarray(true_speed[next(missing)]) if s is None else s for s in speed]
    hr_all, speed_all = np.concatenate(hr), np.concatenate(speed)
    stats = {
        "hr_mean": float(hr_all.mean()),
        "hr_std": float(hr_all.std()),
        "speed_mean": float(speed_all.mean()),
        "speed_std": float(speed_all.std()),
        "r": float(np.corrcoef(speed_all, hr_all)[0, 1]),
        "step_mean": float(np.concatenate(steps).mean()),
        "running_share": running / lines,
        "speed_absent": absent / running,
        "out_of_range_share": outside / running,
    }
    return stats, full_length


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
    met = full_length and gen_mb_s >= 20.0
    for name, (real, low, high, what) in TARGETS.items():
        ok = low <= stats[name] <= high
        met &= ok
        band = f"{low:g}..{high:g}"
        print(
            f"{name:<20}{stats[name]:>11.4f}{real:>8g}{band:>16}  {'yes' if ok else 'NO'}  {what}"
        )
    fast = gen_mb_s >= 20.0
    print(f"{'gen_mb_s':<20}{gen_mb_s:>11.1f}{'':>8}{'>= 20':>16}  {'yes' if fast else 'NO'}")
    figures = " ".join(f"{name}={stats[name]:.4f}" for name in TARGETS)
    print(
        f"BENCH simulator_realism {figures} gen_mb_s={gen_mb_s:.1f} target_met={str(met).lower()}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
