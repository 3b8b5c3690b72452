"""Streaming helpers: a LazyFrame backed by a generator of frames, so one pass over a big file
streams to parquet; and a threaded, ordered map to spread a pass's per-block work over cores.

Whoever sinks the LazyFrame (the IO manager, a benchmark) drives the pass; the pass can collect
side results (quarantine, counts) as it goes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import polars as pl
from polars.io.plugins import register_io_source

WORKERS = 2  # blocks in flight beside the one being read


def streamed(
    frames: Callable[[], Iterator[pl.DataFrame]], schema: pl.Schema, name: str
) -> pl.LazyFrame:
    """`frames()` is called once per collection; projections and filters are applied per frame."""

    def scan(with_columns, predicate, n_rows, _batch_size) -> Iterator[pl.DataFrame]:
        produced = 0
        for frame in frames():
            if predicate is not None:
                frame = frame.filter(predicate)
            if with_columns is not None:
                frame = frame.select(with_columns)
            yield frame
            produced += frame.height
            if n_rows is not None and produced >= n_rows:
                return

    return register_io_source(scan, schema=schema, explain_name=name)


def threaded_map(
    function: Callable, arguments: Iterable[tuple], workers: int = WORKERS
) -> Iterator:
    """`function(*args)` for each tuple of `arguments`, on worker threads (polars releases the
    GIL), results in the order of `arguments`. At most `workers` run ahead of the result being
    taken, so memory stays bounded by a few blocks; `arguments` is read lazily, one ahead."""
    pending: deque[Future] = deque()
    with ThreadPoolExecutor(workers) as pool:
        for args in arguments:
            pending.append(pool.submit(function, *args))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
