"""Slow pure-Python parsers (gpxpy, fitdecode, lxml trees) spread over worker processes."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor


def map_in_processes(
    function: Callable[..., object], tasks: Sequence[tuple], workers: int | None = None
) -> list:
    """`function(*task)` for every task, in order. Workers are spawned, not forked: polars is
    threaded, so forking it is unsafe. One task, or one worker, runs in this process."""
    workers = min(workers or os.cpu_count() or 1, len(tasks))
    if workers <= 1:
        return [function(*task) for task in tasks]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(function, *zip(*tasks, strict=True)))
