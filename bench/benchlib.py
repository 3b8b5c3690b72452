"""What the benchmarks share: a child process's own peak memory, measured from inside it."""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

MB = 1e6


def peak_rss_mb() -> float:
    """This process's own peak RSS. Linux's ru_maxrss survives fork+exec (it would report the
    parent's peak from generating the file); VmHWM belongs to this process's memory map only."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(script: str, *args: str) -> dict:
    """Run `script --child args...` in a fresh interpreter; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, script, "--child", *args], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def fastest_child(script: str, repeat: int, *args: str) -> dict:
    """Best of `repeat` fresh-process runs (other work on a shared machine only slows a run
    down), with its peak RSS the largest any run reached."""
    runs = [run_child(script, *args) for _ in range(repeat)]
    best = min(runs, key=lambda run: run["seconds"])
    return best | {"peak_rss_mb": max(run["peak_rss_mb"] for run in runs)}


def load_average() -> float:
    """1-minute load average: above the core count, timings are contended."""
    return os.getloadavg()[0]


def simulated_bronze(work: Path, lines: int, seed: int, per_user: int = 50) -> Path:
    """Simulate `lines` FitRec workouts and ingest them to the bronze parquet table (the raw
    file is deleted once ingested); returns the table's path."""
    import time

    from assets.sources.fitrec.reader import ingest_fitrec_file
    from simulator import write_fitrec

    raw, bronze = work / "endomondo.json", work / "fitrec_workouts.parquet"
    start = time.perf_counter()
    write_fitrec(raw, users=max(lines // per_user, 1), workouts_per_user=per_user, seed=seed)
    print(f"generated {raw.stat().st_size / 1e9:.1f} GB in {time.perf_counter() - start:.0f} s")
    start = time.perf_counter()
    ingest_fitrec_file(raw, bronze, work / "quarantine.parquet")
    raw.unlink()
    print(f"ingested to bronze in {time.perf_counter() - start:.0f} s")
    return bronze


def fitrec_gates(bronze: Path | str):
    """The gating pass over a FitRec bronze table, as the quality assets build it."""
    import polars as pl

    from assets.quality.gate_pass import GatePass
    from assets.sources.fitrec.unified import fitrec_unified

    return GatePass({"fitrec": fitrec_unified(pl.scan_parquet(bronze))})


def simulated_silver(work: Path, lines: int, seed: int):
    """Simulate `lines` FitRec workouts, ingest and gate them: the clean runs as a DataFrame."""
    return fitrec_gates(simulated_bronze(work, lines, seed)).clean.collect()
