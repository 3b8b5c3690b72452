"""Parse chunks of FitRec/Endomondo lines (one Python dict literal per line) into bronze rows.

Lines exactly as `repr` writes them (all but the odd truncated one in practice) take the string-
splitting fast path of `fitrec_split`; every other line goes through the `ast` slow path, which
either types it or gives the precise reason it is quarantined. Nothing here ever evaluates input.
"""

from __future__ import annotations

import polars as pl

from assets.fitrec_literal import parse_slow
from assets.fitrec_split import line_ends, parse_split


def parse_chunk(chunk: bytes, first_line: int, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse newline-terminated lines numbered from `first_line`: (workouts, quarantine)."""
    workouts, rejected = parse_split(chunk, first_line, source)
    slow_workouts, quarantine = parse_slow(
        _lines_at(chunk, rejected), [first_line + i for i in rejected], source
    )
    if not slow_workouts.height:
        return workouts, quarantine
    # Sorting gathers every list column: only when slow-path rows must be merged back in order.
    return pl.concat([workouts, slow_workouts]).sort("line_number"), quarantine


def _lines_at(chunk: bytes, indices: list[int]) -> list[bytes]:
    """Lines at 0-based `indices`, newline excluded."""
    ends = line_ends(chunk) if indices else []
    return [chunk[(ends[i - 1] + 1 if i else 0) : ends[i]] for i in indices]
