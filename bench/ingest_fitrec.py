"""Benchmark: FitRec ingestion end to end vs the research code's per-line `ast.literal_eval`.

Generates a >= 400 MB FitRec file with the simulator, then times (a) `ast.literal_eval` of every
line (parse only) and (b) `ingest_fitrec_file` from raw file to the parquet bronze tables, each (b)
in a fresh process so its peak RSS is its own, best of --repeat runs; (b) runs again on a 4x file
(the file repeated) to show memory does not grow with input size. The load average is reported:
above the core count, other work shares the machine and every figure is low.
Targets (2 cores): (b) >= 250 MB/s, >= 25x (a), peak RSS <= 1.5 GB and flat at 4x.
"""

import argparse
import ast
import contextlib
import json
import shutil
import tempfile
import time
from pathlib import Path

from benchlib import MB, fastest_child, load_average, peak_rss_mb, run_child

TARGET_MB_S, TARGET_RATIO, TARGET_RSS_MB, RSS_GROWTH_TOLERANCE = 250.0, 25.0, 1500.0, 1.15


def generate(path: Path, min_mb: float, seed: int) -> None:
    from simulator import write_fitrec

    probe = write_fitrec(path, users=10, workouts_per_user=10, seed=seed)
    bytes_per_workout = probe.bytes / probe.lines
    users = int(min_mb * MB / bytes_per_workout / 40) + 1
    write_fitrec(path, users=users, workouts_per_user=40, seed=seed)


def literal_eval_mb_s(path: Path) -> float:
    start, size = time.perf_counter(), 0
    with open(path, "rb") as lines:
        for line in lines:
            with contextlib.suppress(SyntaxError, ValueError):  # the research code skipped these
                ast.literal_eval(line.decode())
            size += len(line)
    return size / MB / (time.perf_counter() - start)


def child_ingest(source: str, out_dir: str) -> None:
    """Run in a fresh process: ingest and report throughput and this process's peak RSS."""
    from assets.sources.fitrec.reader import ingest_fitrec_file

    # A folder of its own: replacing an earlier run's file would add ext4's flush of the new
    # data on close (~0.1 s idle), timing the replacement of a table rather than the ingest.
    out = Path(tempfile.mkdtemp(dir=out_dir))
    start = time.perf_counter()
    stats = ingest_fitrec_file(Path(source), out / "workouts.parquet", out / "quarantine.parquet")
    seconds = time.perf_counter() - start
    shutil.rmtree(out)
    print(
        json.dumps(
            {
                "mb_s": stats.bytes_read / MB / seconds,
                "seconds": seconds,
                "lines": stats.lines,
                "workouts": stats.workouts,
                "quarantined": stats.quarantined,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-mb", type=float, default=400.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="(b) on the file: best of N runs")
    parser.add_argument("--child", nargs=2, metavar=("SOURCE", "OUT_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_ingest(*args.child)
        return

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        source = work / "endomondo.json"
        start = time.perf_counter()
        generate(source, args.min_mb, args.seed)
        size_mb = source.stat().st_size / MB
        print(f"generated {size_mb:.0f} MB in {time.perf_counter() - start:.0f} s")
        load = load_average()

        baseline = literal_eval_mb_s(source)
        print(f"(a) ast.literal_eval per line, parse only: {baseline:.1f} MB/s")
        single = fastest_child(__file__, args.repeat, str(source), str(work))
        print(
            f"(b) ingest to parquet: {single['mb_s']:.1f} MB/s ({single['seconds']:.1f} s, "
            f"{single['workouts']} workouts, {single['quarantined']} quarantined), "
            f"peak RSS {single['peak_rss_mb']:.0f} MB"
        )

        big = work / "endomondo_x4.json"
        with open(big, "wb") as out:
            for _ in range(4):
                with open(source, "rb") as part:
                    shutil.copyfileobj(part, out, 64 << 20)
        source.unlink()
        quadruple = run_child(__file__, str(big), str(work))
        print(
            f"(b) on the 4x file ({big.stat().st_size / MB:.0f} MB): {quadruple['mb_s']:.1f} MB/s, "
            f"peak RSS {quadruple['peak_rss_mb']:.0f} MB"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratio = single["mb_s"] / baseline
    met = (
        single["mb_s"] >= TARGET_MB_S
        and ratio >= TARGET_RATIO
        and max(single["peak_rss_mb"], quadruple["peak_rss_mb"]) <= TARGET_RSS_MB
        and quadruple["peak_rss_mb"] <= single["peak_rss_mb"] * RSS_GROWTH_TOLERANCE
    )
    print(
        f"BENCH ingest_fitrec file_mb={size_mb:.0f} literal_eval_mb_s={baseline:.2f} "
        f"ingest_mb_s={single['mb_s']:.1f} ratio={ratio:.1f} "
        f"peak_rss_mb={single['peak_rss_mb']:.0f} "
        f"peak_rss_4x_mb={quadruple['peak_rss_mb']:.0f} ingest_4x_mb_s={quadruple['mb_s']:.1f} "
        f"load_avg={max(load, load_average()):.1f} "
        f"target_met={str(met).lower()}"
    )


if __name__ == "__main__":
    main()
