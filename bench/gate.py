"""Benchmark: quality gating of a FitRec-sized set (250,000 simulated workouts by default).

Generates the workouts with the simulator, ingests them to the bronze parquet table, then gates
them (all seven gates, speed derivation included) in a fresh process that reports its own wall
time and peak RSS, writing `workouts_clean` and `workouts_rejected` as the assets do.
Targets (2 cores): gating >= 5,000 workouts/s (under a minute for 250,000), peak RSS < 4 GB.
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from benchlib import fitrec_gates, peak_rss_mb, run_child, simulated_bronze

TARGET_PER_S, TARGET_RSS_MB = 5000.0, 4000.0


def child_gate(bronze: str, out_dir: str) -> dict:
    from assets.lake.io_manager import write_frame
    from assets.quality.defs import CLEAN_ROW_GROUP

    out = Path(out_dir)
    start = time.perf_counter()
    gates = fitrec_gates(bronze)
    write_frame(gates.clean, str(out / "workouts_clean.parquet"), CLEAN_ROW_GROUP)
    write_frame(gates.rejected, str(out / "workouts_rejected.parquet"))
    seconds = time.perf_counter() - start
    funnel = gates.funnel
    return {
        "seconds": seconds,
        "workouts": int(funnel["entering"][0]),
        "clean": int(funnel["leaving"][-1]),
        "runs": int(funnel["leaving"][0]),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workouts", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("BRONZE", "OUT_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_gate(*args.child)))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-gate-"))
    try:
        bronze = simulated_bronze(work, args.workouts, args.seed)
        gated = run_child(__file__, str(bronze), str(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per_s = gated["workouts"] / gated["seconds"]
    print(
        f"gated {gated['workouts']} workouts ({gated['runs']} runs, {gated['clean']} clean) in "
        f"{gated['seconds']:.1f} s: {per_s:.0f} workouts/s, peak RSS {gated['peak_rss_mb']:.0f} MB"
    )
    met = per_s >= TARGET_PER_S and gated["peak_rss_mb"] < TARGET_RSS_MB
    print(
        f"BENCH gate workouts={gated['workouts']} seconds={gated['seconds']:.1f} "
        f"workouts_per_s={per_s:.0f} runs={gated['runs']} clean={gated['clean']} "
        f"peak_rss_mb={gated['peak_rss_mb']:.0f} target_met={str(met).lower()}"
    )


if __name__ == "__main__":
    main()
