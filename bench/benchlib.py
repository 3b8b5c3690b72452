"""What the benchmarks share: a child process's own peak memory, measured from inside it."""

import json
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
