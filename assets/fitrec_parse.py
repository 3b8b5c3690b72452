"""Parse chunks of FitRec/Endomondo lines (one Python dict literal per line) into bronze rows.

Fast path: swap single for double quotes and hand whole chunks to polars' native NDJSON reader.
The swap is trusted only on bytes without `"` or backslashes (the two things it would silently
corrupt). When a chunk fails, the lines that cannot be JSON (truncated, nan, None, tuples...) are
located with cheap byte scans, the clean runs between them still go through the native reader,
and only the suspects take the `ast`-based slow path. Nothing here ever evaluates input.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from assets.fitrec_literal import parse_slow
from assets.fitrec_tables import QUARANTINE_SCHEMA, RAW_SCHEMA, to_bronze

SWAP_UNSAFE = (b'"', b"\\")
# Valid Python but not JSON: looked for only inside runs the native reader rejected. A miss costs
# a bisection (the strict reader rejects tuples and the like), a false hit a slow parse.
PYTHON_ONLY = (b"nan", b"inf", b"None", b"True", b"False")
# polars' reader turns any JSON value into text for a String field, so the native reader gets
# only lines whose text fields are quoted strings: 3 per line (sport, gender, url) normally.
TEXT_VALUE = b"': '"
TEXT_KEYS = ("sport", "gender", "url")
UNQUOTED_TEXT_VALUE = re.compile(rb"'(?:sport|gender|url)': (?!')")
NEWLINE, CARRIAGE_RETURN, CLOSING_BRACE = ord("\n"), ord("\r"), ord("}")
PARSE_ERRORS = (pl.exceptions.PolarsError, ValueError)


def parse_fast(lines: bytes, first_line: int, source: str, line_count: int) -> pl.DataFrame:
    """Parse consecutive newline-terminated lines natively; raise unless all are plain workouts."""
    # Quotes are rare (about 30 per 36 kB line): replace (memchr-fast) beats a translate table.
    raw = pl.read_ndjson(io.BytesIO(lines.replace(b"'", b'"')), schema=RAW_SCHEMA)
    if raw.height != line_count:
        raise ValueError("blank line among the lines")
    identified = pl.all_horizontal((pl.col("id", "userId") >= 1).fill_null(False)).all()
    if not raw.select(identified).item():
        raise ValueError("line without a positive id or userId")
    return to_bronze(raw, first_line, source)


def parse_chunk(chunk: bytes, first_line: int, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse newline-terminated lines numbered from `first_line`: (workouts, quarantine)."""
    line_count = chunk.count(b"\n")
    text_values_quoted = chunk.count(TEXT_VALUE) == len(TEXT_KEYS) * line_count
    if text_values_quoted and not any(token in chunk for token in SWAP_UNSAFE):
        try:
            return parse_fast(chunk, first_line, source, line_count), QUARANTINE_SCHEMA.to_frame()
        except PARSE_ERRORS:
            pass
    return _parse_around_suspects(chunk, first_line, source)


@dataclass(frozen=True)
class _Lines:
    """A chunk and its line boundaries: line i is chunk[starts[i]:ends[i]], newline excluded."""

    chunk: bytes
    starts: np.ndarray
    ends: np.ndarray
    first_line: int
    source: str

    @classmethod
    def index(cls, chunk: bytes, first_line: int, source: str) -> _Lines:
        ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == NEWLINE)
        return cls(chunk, np.concatenate(([0], ends[:-1] + 1)), ends, first_line, source)

    def span(self, low: int, high: int) -> tuple[int, int]:
        """Byte range of lines [low, high), trailing newline included."""
        return int(self.starts[low]), int(self.ends[high - 1]) + 1

    def line(self, i: int) -> bytes:
        return self.chunk[self.starts[i] : self.ends[i]]

    def lines_holding(self, token: bytes, low: int, high: int) -> set[int]:
        """Lines in [low, high) containing `token` (one search per such line)."""
        found, (begin, end) = set(), self.span(low, high)
        position = self.chunk.find(token, begin, end)
        while position != -1:
            line = int(np.searchsorted(self.ends, position))
            found.add(line)
            position = self.chunk.find(token, self.ends[line] + 1, end)
        return found


def _parse_around_suspects(chunk: bytes, first_line: int, source: str):
    lines = _Lines.index(chunk, first_line, source)
    suspect = _suspect_lines(lines)
    frames, slow = [], np.flatnonzero(suspect).tolist()
    for low, high in _runs(list(slow), 0, len(suspect)):
        parsed, rejected = _parse_run(lines, low, high)
        frames += parsed
        slow += rejected
    slow.sort()
    slow_workouts, quarantine = parse_slow(
        [lines.line(i) for i in slow], [first_line + i for i in slow], source
    )
    return pl.concat([*frames, slow_workouts]).sort("line_number"), quarantine


def _suspect_lines(lines: _Lines) -> np.ndarray:
    """Lines the native reader must not see: cut short (not ending in `}`, blank ones included),
    holding `"` or a backslash, or a text field whose value is not a quoted string."""
    view, starts, ends = np.frombuffer(lines.chunk, np.uint8), lines.starts, lines.ends
    last = view[np.maximum(ends - 1, 0)]
    crlf = (last == CARRIAGE_RETURN) & (ends - starts >= 2)
    # An empty line's "last" byte is a newline, so it is caught here too.
    suspect = np.where(crlf, view[np.maximum(ends - 2, 0)], last) != CLOSING_BRACE
    for token in SWAP_UNSAFE:
        suspect[list(lines.lines_holding(token, 0, len(ends)))] = True
    text_values = np.bincount(
        np.searchsorted(ends, _positions(lines.chunk, TEXT_VALUE)), minlength=len(ends)
    )
    for line in np.flatnonzero((text_values != len(TEXT_KEYS)) & ~suspect):
        if UNQUOTED_TEXT_VALUE.search(lines.chunk, starts[line], ends[line]):
            suspect[line] = True
    return suspect


def _positions(chunk: bytes, token: bytes) -> list[int]:
    found, position = [], chunk.find(token)
    while position != -1:
        found.append(position)
        position = chunk.find(token, position + len(token))
    return found


def _runs(excluded, low: int, high: int) -> list[tuple[int, int]]:
    """[a, b) ranges of consecutive lines in [low, high) that are not in sorted `excluded`."""
    bounds = [low - 1, *excluded, high]
    return [(a + 1, b) for a, b in itertools.pairwise(bounds) if b > a + 1]


def _parse_run(lines: _Lines, low: int, high: int, scanned: bool = False):
    """Natively parse lines [low, high); if the reader objects, pull out lines with Python-only
    tokens (once per run), then bisect. Returns (frames, indices left for the slow path)."""
    try:
        begin, end = lines.span(low, high)
        raw = lines.chunk[begin:end]
        return [parse_fast(raw, lines.first_line + low, lines.source, high - low)], []
    except PARSE_ERRORS:
        if high - low == 1:
            return [], [low]
    loud = (
        set()
        if scanned
        else set().union(*(lines.lines_holding(token, low, high) for token in PYTHON_ONLY))
    )
    pieces = (
        _runs(sorted(loud), low, high)
        if loud
        else [(low, (low + high) // 2), ((low + high) // 2, high)]
    )
    frames, slow = [], sorted(loud)
    for a, b in pieces:
        parsed, rejected = _parse_run(lines, a, b, scanned=True)
        frames += parsed
        slow += rejected
    return frames, slow
