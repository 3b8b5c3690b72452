"""A LazyFrame backed by a generator of frames, so one pass over a big file streams to parquet.

Whoever sinks the LazyFrame (the IO manager, a benchmark) drives the pass; the pass can collect
side results (quarantine, counts) as it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import polars as pl
from polars.io.plugins import register_io_source


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
