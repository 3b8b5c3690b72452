"""Parse chunks of FitRec/Endomondo lines (one Python dict literal per line) into bronze rows.

Fast path: swap single for double quotes and hand the chunk to polars' native NDJSON reader. Lines
the swap would corrupt or the reader would misread are found first with cheap byte scans (cut
short, `"` or backslash, a text field whose value is not a quoted string) and kept out, so a chunk
with a truncated line still costs one native read. Should the reader object anyway (nan, None,
tuples...), the clean runs are bisected and only the lines it cannot take go through the `ast`
slow path. Nothing here ever evaluates input.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from assets.fitrec_literal import parse_slow
from assets.fitrec_tables import RAW_SCHEMA, to_bronze

SWAP_UNSAFE = (b'"', b"\\")
# Valid Python but not JSON: looked for only inside runs the native reader rejected. A miss costs
# a bisection (the strict reader rejects tuples and the like), a false hit a slow parse.
PYTHON_ONLY = (b"nan", b"inf", b"None", b"True", b"False")
# polars' reader turns any JSON value into text for a String field, so the native reader gets only
# lines whose text fields hold quoted strings. One regex pass over the chunk beats counting values.
UNQUOTED_TEXT_VALUE = re.compile(rb"'(?:sport|gender|url)'\s*:\s*+(?!')")
NEWLINE, CARRIAGE_RETURN, CLOSING_BRACE = b"\n", ord("\r"), ord("}")
PARSE_ERRORS = (pl.exceptions.PolarsError, ValueError)


def parse_fast(
    lines: bytes, line_numbers: int | Sequence[int], source: str, line_count: int
) -> pl.DataFrame:
    """Parse newline-terminated lines natively; raise unless all are plain workouts.
    `line_numbers`: the first line's number, or one per line (see `to_bronze`)."""
    # Quotes are rare (about 30 per 36 kB line): replace (memchr-fast) beats a translate table.
    raw = pl.read_ndjson(io.BytesIO(lines.replace(b"'", b'"')), schema=RAW_SCHEMA)
    if raw.height != line_count:
        raise ValueError("blank line among the lines")
    identified = pl.all_horizontal((pl.col("id", "userId") >= 1).fill_null(False)).all()
    if not raw.select(identified).item():
        raise ValueError("line without a positive id or userId")
    return to_bronze(raw, line_numbers, source)


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
        # Workout lines are ~36 kB: a memchr per line is 5x cheaper than a numpy pass.
        found, position = [], chunk.find(NEWLINE)
        while position != -1:
            found.append(position)
            position = chunk.find(NEWLINE, position + 1)
        ends = np.array(found, dtype=np.int64)
        return cls(chunk, np.concatenate(([0], ends[:-1] + 1)), ends, first_line, source)

    def __len__(self) -> int:
        return len(self.ends)

    def span(self, low: int, high: int) -> tuple[int, int]:
        """Byte range of lines [low, high), trailing newline included."""
        return int(self.starts[low]), int(self.ends[high - 1]) + 1

    def line(self, i: int) -> bytes:
        return self.chunk[self.starts[i] : self.ends[i]]

    def line_at(self, position: int) -> int:
        return int(np.searchsorted(self.ends, position))

    def lines_holding(self, token: bytes, low: int, high: int) -> set[int]:
        """Lines in [low, high) containing `token` (one search per such line)."""
        found, (begin, end) = set(), self.span(low, high)
        position = self.chunk.find(token, begin, end)
        while position != -1:
            line = self.line_at(position)
            found.add(line)
            position = self.chunk.find(token, self.ends[line] + 1, end)
        return found

    def parse_runs(self, runs: list[tuple[int, int]]) -> pl.DataFrame:
        """One native read of the lines in `runs` (sorted [low, high) ranges), joined."""
        if len(runs) == 1:
            ((low, high),) = runs
            begin, end = self.span(low, high)
            return parse_fast(self.chunk[begin:end], self.first_line + low, self.source, high - low)
        view = memoryview(self.chunk)
        joined = b"".join(view[slice(*self.span(low, high))] for low, high in runs)
        numbers = np.concatenate([np.arange(low, high) for low, high in runs]) + self.first_line
        return parse_fast(joined, numbers, self.source, len(numbers))


def parse_chunk(chunk: bytes, first_line: int, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse newline-terminated lines numbered from `first_line`: (workouts, quarantine)."""
    lines = _Lines.index(chunk, first_line, source)
    slow = _suspect_lines(lines)
    clean = _runs(slow, 0, len(lines))
    try:
        frames = [lines.parse_runs(clean)] if clean else []
    except PARSE_ERRORS:
        frames = []
        for low, high in clean:
            parsed, rejected = _parse_run(lines, low, high)
            frames += parsed
            slow += rejected
        slow.sort()
    slow_workouts, quarantine = parse_slow(
        [lines.line(i) for i in slow], [first_line + i for i in slow], source
    )
    workouts = pl.concat([*frames, slow_workouts])
    # Sorting gathers every list column: only when slow-path rows must be merged back in order.
    return (workouts.sort("line_number") if slow_workouts.height else workouts), quarantine


def _suspect_lines(lines: _Lines) -> list[int]:
    """Sorted lines the native reader must not see: cut short (not ending in `}`, blank ones
    included), holding `"` or a backslash, or a text field whose value is not a quoted string."""
    view, starts, ends = np.frombuffer(lines.chunk, np.uint8), lines.starts, lines.ends
    last = view[np.maximum(ends - 1, 0)]
    crlf = (last == CARRIAGE_RETURN) & (ends - starts >= 2)
    # An empty line's "last" byte is a newline, so it is caught here too.
    found = set(
        np.flatnonzero(
            np.where(crlf, view[np.maximum(ends - 2, 0)], last) != CLOSING_BRACE
        ).tolist()
    )
    for token in SWAP_UNSAFE:
        found |= lines.lines_holding(token, 0, len(lines))
    found.update(
        lines.line_at(match.start()) for match in UNQUOTED_TEXT_VALUE.finditer(lines.chunk)
    )
    return sorted(found)


def _runs(excluded, low: int, high: int) -> list[tuple[int, int]]:
    """[a, b) ranges of consecutive lines in [low, high) that are not in sorted `excluded`."""
    bounds = [low - 1, *excluded, high]
    return [(a + 1, b) for a, b in itertools.pairwise(bounds) if b > a + 1]


def _parse_run(lines: _Lines, low: int, high: int, scanned: bool = False):
    """Natively parse lines [low, high); if the reader objects, pull out lines with Python-only
    tokens (once per run), then bisect. Returns (frames, indices left for the slow path)."""
    try:
        return [lines.parse_runs([(low, high)])], []
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
