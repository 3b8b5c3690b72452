"""Byte-level reading of a buffer at many places at once: templates matched in place, and byte
ranges handed to polars as a Binary series without copying them.

Arrow's binary-view layout describes each value by its length and either its bytes (up to 12)
or where it starts in a shared buffer, so the views are built with numpy over the buffer and
polars takes them as they are. Turning every line of a block into a string first was most of
an Apple pass's time; this way only the wanted fields become strings.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

INLINE = 12  # values up to this long live in the view itself


class Template:
    """Literal bytes with holes of given widths, e.g. Template(b'date="', 25, b'"')."""

    def __init__(self, *parts: bytes | int):
        text, kept = bytearray(), bytearray()
        for part in parts:
            text += bytes(part) if isinstance(part, int) else part
            kept += bytes(part) if isinstance(part, int) else b"\xff" * len(part)
        self.size = len(text)
        padded = -(-self.size // 8) * 8
        self.words = np.frombuffer(bytes(text.ljust(padded, b"\0")), "<u8")
        self.masks = np.frombuffer(bytes(kept.ljust(padded, b"\0")), "<u8")

    def matches(self, buffer: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Whether the template's literal bytes are at each offset, a word at a time."""
        count = len(self.words)
        usable = max(len(buffer) - 8 * count + 1, 0)
        windows = np.ndarray((usable, count), "<u8", buffer=buffer, strides=(1, 8))
        fits = at < usable
        found = np.zeros(len(at), bool)
        words = windows[at[fits]]
        differ = np.zeros(len(words), np.uint64)
        for column in np.flatnonzero(self.masks):  # words that are all holes need no look
            differ |= (words[:, column] & self.masks[column]) ^ self.words[column]
        found[fits] = differ == 0
        for row in np.flatnonzero(~fits):  # a few bytes from the end: compare byte by byte
            found[row] = self._matches_bytes(buffer[at[row] : at[row] + self.size])
        return found

    def _matches_bytes(self, found: np.ndarray) -> bool:
        if len(found) < self.size:
            return False
        text = self.words.view(np.uint8)[: self.size]
        kept = self.masks.view(np.uint8)[: self.size].astype(bool)
        return bool((found[kept] == text[kept]).all())


def spans(buffer: bytes | memoryview, starts: np.ndarray, ends: np.ndarray) -> pl.Series:
    """buffer[starts[i]:ends[i]] for each i, as Binary; the series keeps the buffer alive."""
    data = np.frombuffer(buffer, np.uint8)
    if len(data) >= 1 << 32:
        raise ValueError("spans reads buffers under 4 GiB")
    starts = np.asarray(starts, np.int64)
    lengths = np.asarray(ends, np.int64) - starts
    # Per value, four 32-bit words: length, then its first 4 bytes, buffer 0 and where it starts
    # (long values), or its bytes zero-padded to 12 (short ones).
    views = np.zeros((len(starts), 4), np.uint32)
    views[:, 0] = lengths
    views[:, 3] = starts
    short = lengths <= INLINE
    if short.all():  # e.g. numbers: no prefix to take, every view holds its bytes
        views[:, 1:] = _inline(data, starts, lengths)
    else:
        views[:, 1] = first_bytes(data, starts, 4).view(np.uint32)[:, 0]
        short = np.flatnonzero(short)
        views[short, 1:] = _inline(data, starts[short], lengths[short])
    array = pa.Array.from_buffers(
        pa.binary_view(), len(starts), [None, pa.py_buffer(views), pa.py_buffer(buffer)]
    )
    return pl.Series(pl.from_arrow(array))


def _inline(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Values of up to INLINE bytes, zero-padded, as three 32-bit words each."""
    inline = first_bytes(data, starts, INLINE)
    inline[np.arange(INLINE) >= lengths[:, None]] = 0
    return inline.view(np.uint32)


def first_bytes(data: np.ndarray, starts: np.ndarray, count: int) -> np.ndarray:
    """The `count` bytes from each start (zero past the end of the data)."""
    usable = max(len(data) - count + 1, 0)
    windows = np.ndarray((usable, count), np.uint8, buffer=data, strides=(1, 1))
    fits = starts < usable
    if fits.all():
        return np.ascontiguousarray(windows[starts])
    found = np.zeros((len(starts), count), np.uint8)
    found[fits] = windows[starts[fits]]
    for row in np.flatnonzero(~fits):
        head = data[starts[row] : starts[row] + count]
        found[row, : len(head)] = head
    return found


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
