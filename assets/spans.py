"""Byte ranges of a buffer as a polars Binary series, without copying the bytes.

Arrow's binary-view layout describes each value by its length and either its bytes (up to 12)
or where it starts in a shared buffer, so the views are built with numpy over the buffer and
handed to polars as they are. Reading a block's wanted lines this way costs a few milliseconds;
splitting every line into strings first cost most of a pass's time.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

INLINE = 12  # values up to this long live in the view itself


def spans(buffer: bytes | memoryview, starts: np.ndarray, ends: np.ndarray) -> pl.Series:
    """buffer[starts[i]:ends[i]] for each i, as Binary; the series keeps the buffer alive."""
    data = np.frombuffer(buffer, np.uint8)
    starts, lengths = np.asarray(starts, np.int64), np.asarray(ends, np.int64) - starts
    if len(data) >= 1 << 32:
        raise ValueError("spans reads buffers under 4 GiB")
    views = np.zeros((len(starts), 16), np.uint8)
    views.view(np.uint32)[:, 0] = lengths
    # Short values are copied into their view; long ones keep a 4-byte prefix and an offset.
    width = np.where(lengths <= INLINE, np.minimum(lengths, INLINE), 4)
    column = np.arange(INLINE)
    inside = column < width[:, None]
    source = starts[:, None] + column
    views[:, 4:][inside] = data[source[inside]]
    long = lengths > INLINE
    views.view(np.uint32)[long, 3] = starts[long]  # buffer index 0 is already zero
    array = pa.Array.from_buffers(
        pa.binary_view(), len(starts), [None, pa.py_buffer(views), pa.py_buffer(buffer)]
    )
    return pl.Series(pl.from_arrow(array))


def texts(binary: pl.Series) -> pl.Series:
    """Binary as String; invalid UTF-8 becomes U+FFFD (never an error)."""
    try:
        return binary.cast(pl.String)
    except pl.exceptions.ComputeError:  # polars refuses invalid UTF-8 even when not strict
        pass
    return pl.Series(
        binary.name,
        [None if raw is None else raw.decode(errors="replace") for raw in binary.to_list()],
        pl.String,
    )
