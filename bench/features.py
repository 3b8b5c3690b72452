"""Benchmark: silver workouts to tensors (grid, 14 features, split, windows, scaler) for a
FitRec-sized silver table of 250,000 workouts.

The simulator writes FitRec lines that go through ingestion and gating like real data; the
clean runs are then repeated under new workout and user ids up to the target count (simulating
650,000 raw lines would take longer than everything measured here; the work per workout is
the same). A fresh process then runs what the `user_disjoint_split` and `user_disjoint_tensors`
assets run, and reports its own wall time and peak RSS.
Targets (2 cores): under 2 minutes, peak RSS under 8 GB.
"""

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from benchlib import peak_rss_mb, run_child, simulated_silver

TARGET_SECONDS, TARGET_RSS_MB = 120.0, 8000.0
SIMULATED_LINES = 50_000


def child_tensors(clean: str, out_dir: str) -> dict:
    import polars as pl

    from assets.features.splits import SplitShares, assign_user_disjoint, user_disjoint_split
    from assets.features.tensor_store import WindowConfig, write_tensors

    start = time.perf_counter()
    workouts = pl.scan_parquet(clean)
    table = user_disjoint_split(workouts, SplitShares())
    folder = Path(out_dir, "user_disjoint")
    meta = write_tensors(
        workouts, assign_user_disjoint(workouts, table), folder, WindowConfig(), {"bench": True}
    )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "workouts": sum(c["workouts"] for c in meta["counts"].values()),
        "windows": sum(c["windows"] for c in meta["counts"].values()),
        "steps": meta["train_steps_fitted"],
        "gigabytes": sum(f.stat().st_size for f in folder.rglob("*.npy")) / 1e9,
        "peak_rss_mb": peak_rss_mb(),
    }


def silver(work: Path, workouts: int, seed: int) -> Path:
    """Simulate, ingest and gate FitRec lines, then repeat the clean runs up to `workouts`."""
    import polars as pl

    clean = simulated_silver(work, SIMULATED_LINES, seed)
    copies = -(-workouts // clean.height)
    repeated = pl.concat(
        clean.with_columns(pl.col("workout_id") + f"-{copy}", pl.col("user_id") + f"-{copy}")
        for copy in range(copies)
    ).head(workouts)
    path = work / "workouts_clean.parquet"
    repeated.write_parquet(path, row_group_size=1024, compression="zstd", compression_level=1)
    print(f"silver: {clean.height} clean runs simulated, repeated to {repeated.height}")
    return path


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workouts", type=int, default=250_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("CLEAN", "OUT_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_tensors(*args.child)))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-features-"))
    try:
        start = time.perf_counter()
        clean = silver(work, args.workouts, args.seed)
        print(f"prepared in {time.perf_counter() - start:.0f} s")
        done = run_child(__file__, str(clean), str(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"{done['workouts']} workouts -> {done['windows']} windows ({done['gigabytes']:.1f} GB of "
        f".npy) in {done['seconds']:.1f} s: {done['workouts'] / done['seconds']:.0f} workouts/s, "
        f"peak RSS {done['peak_rss_mb']:.0f} MB"
    )
    met = done["seconds"] < TARGET_SECONDS and done["peak_rss_mb"] < TARGET_RSS_MB
    print(
        f"BENCH features workouts={done['workouts']} windows={done['windows']} "
        f"seconds={done['seconds']:.1f} target_seconds={TARGET_SECONDS:.0f} "
        f"peak_rss_mb={done['peak_rss_mb']:.0f} target_rss_mb={TARGET_RSS_MB:.0f} "
        f"target_met={str(met).lower()}"
    )


if __name__ == "__main__":
    main()
