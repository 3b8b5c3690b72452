"""Parse chunks of FitRec/Endomondo lines (one Python dict literal per line) into bronze rows.

Lines exactly as `repr` writes them (all but the odd truncated one in practice) take the string-
splitting fast path of `fitrec_split`; every other line goes through the `ast` slow path, which
either types it or gives the precise reason it is quarantined. Nothing here ever evaluates input.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from assets.fitrec_literal import parse_slow
from assets.fitrec_split import line_ends, parse_split


def parse_chunk(
    chunk: bytes, first_line: int, source: str, ends: np.ndarray | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse newline-terminated lines numbered from `first_line`: (workouts, quarantine).
    `ends`: the chunk's `line_ends`, when the caller has them already."""
    ends = line_ends(chunk) if ends is None else ends
    workouts, rejected = parse_split(chunk, first_line, source, ends)
    slow_workouts, quarantine = parse_slow(
        _lines_at(chunk, ends, rejected), [first_line + i for i in rejected], source
    )
    if not slow_workouts.height:
        return workouts, quarantine
    # Sorting gathers every list column: only when slow-path rows must be merged back in order.
    return pl.concat([workouts, slow_workouts]).sort("line_number"), quarantine


def _lines_at(chunk: bytes, ends: np.ndarray, indices: list[int]) -> list[bytes]:
    """Lines at 0-based `indices`, newline excluded."""
    return [chunk[(ends[i - 1] + 1 if i else 0) : ends[i]] for i in indices]
