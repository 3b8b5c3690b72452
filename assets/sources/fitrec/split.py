"""The FitRec fast path: lines exactly as `repr` writes them, parsed by splitting strings.

In such a line the six arrays hold the only `[`s, so reading the chunk as CSV with `[` for the
separator hands back each line's pieces: the text before the first array, then per array its
numbers, a `]`, and the keys and scalars up to the next array. Splitting the numbers on ", " and
casting them (most of the cost) takes a third less CPU than the NDJSON reader path it replaced.

Validation stays cheap: one regex over each line's skeleton (the line with its arrays emptied, a
few hundred bytes) checks the keys and their order, the quoted text and the positive ids; the
arrays must cast without a null, non-finite value or integer Python would refuse. Lines not
exactly in shape go to the `ast` slow path (`literal`), whose values this path reproduces (floats
read as float64 first, so float32 columns round exactly as there), and its rows are merged back
in line order. Nothing is evaluated.
"""

from __future__ import annotations

import codecs
import itertools

import numpy as np
import polars as pl

from assets.sources.fitrec.literal import parse_slow
from assets.sources.fitrec.tables import RAW_SCHEMA, to_bronze

# The arrays in the real files' key order; float32 ones are parsed as float64, rounded after.
ARRAYS = {key: dtype for key, dtype in RAW_SCHEMA.items() if isinstance(dtype, pl.List)}
# One piece more than a line with speed has: a line with an extra `[` fills it.
PIECES = {f"piece{i}": pl.String for i in range(len(ARRAYS) + 2)}
# No quote, backslash or control character (repr escapes those), no U+FFFD (invalid UTF-8), no
# `[` (it would shift the pieces: `'url': 'x[1]...` on a line without speed reads as speed [1]).
TEXT = r"'([^'\"\\\p{Cc}\x{FFFD}\[]*)'"
POSITIVE = r"([1-9][0-9]*)"
SKELETON = (
    r"^\{'longitude': \[\], 'altitude': \[\], 'latitude': \[\], "
    rf"'sport': {TEXT}, 'id': {POSITIVE}, 'heart_rate': \[\], 'gender': {TEXT}, "
    rf"'timestamp': \[\], 'url': {TEXT}, 'userId': {POSITIVE}(, 'speed': \[\])?\}}$"
)
SCALARS = ("sport", "id", "gender", "url", "userId", "has_speed")
# Integers Python refuses (leading zeros) or reads otherwise (-0 is int 0, cast gives -0.0), as
# the first number or a later one: two regexes, as `(?:^| )` would make one scan 30x slower.
ODD_INTEGER = r"(?:[+-]?0[0-9]|-0(?:,|$))"
ODD_FIRST, ODD_LATER = "^" + ODD_INTEGER, " " + ODD_INTEGER


def parse_chunk(chunk: bytes, first_line: int, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse newline-terminated lines numbered from `first_line`: (workouts, quarantine). Lines
    in shape are split here; every other line is typed or quarantined by the slow path."""
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


def read_pieces(chunk: bytes, line_count: int) -> pl.DataFrame:
    """One row per newline-terminated line, its `[`-separated pieces as columns (missing: null).

    The CSV reader drops a byte-order mark at the chunk's start and one `\\r` before a newline.
    Should it ever see another number of lines, all pieces are null: every line goes slow."""
    pieces = pl.read_csv(
        chunk,
        has_header=False,
        separator="[",
        quote_char=None,
        schema=PIECES,
        encoding="utf8-lossy",
        truncate_ragged_lines=True,
        missing_columns="insert",
        extra_columns="ignore",
        raise_if_empty=False,
    )
    return pieces if pieces.height == line_count else pieces.clear(line_count)


def parse_split(chunk: bytes, first_line: int, source: str) -> tuple[pl.DataFrame, list[int]]:
    """Bronze rows of the lines in exact shape, and the (0-based) indices of all other lines."""
    ends = line_ends(chunk)
    fields = (
        read_pieces(chunk, len(ends))
        .lazy()
        .select(*FIELDS)
        .unnest("scalars")
        .with_columns(pl.col("id", "userId").cast(pl.Int64, strict=False))
        .with_columns(IN_SHAPE.alias("in_shape"))
        .collect()
    )
    shaped = fields["in_shape"] & ~pl.Series(_misread(chunk, ends))
    rejected = np.flatnonzero(~shaped.to_numpy()).tolist()
    if rejected:
        fields, first_line = _without(fields, rejected), shaped.arg_true().to_numpy() + first_line
    raw = fields.select("sport", "gender", "url", "id", "userId", *ARRAYS)
    return to_bronze(raw, first_line, source), rejected


def _without(frame: pl.DataFrame, rows: list[int]) -> pl.DataFrame:
    """`frame` less the (sorted) `rows`, as slices of it: a filter would copy every list column,
    which the parquet writer copies again when it gathers frames into row groups."""
    bounds = [-1, *rows, frame.height]
    kept = (frame.slice(start + 1, end - start - 1) for start, end in itertools.pairwise(bounds))
    return pl.concat(kept, rechunk=False)


def _fields() -> list[pl.Expr]:
    """The skeleton's groups (`SCALARS`, as the struct `scalars`), each array cast (`ARRAYS`,
    floats as float64) with a flag for odd integers (`<name>_odd`), and whether a line has a
    piece the skeleton does not show (`stray_piece`: an eighth one, or one without `]`, such as
    `...}[1, 2`). Meant for a lazy select: the array texts and `]` positions recur, and common
    subexpressions are computed once only there."""
    piece = [pl.col(name) for name in PIECES]
    after = dict(zip(ARRAYS, piece[1:], strict=False))  # each array's piece
    close = {name: text.str.find("]", literal=True) for name, text in after.items()}
    skeleton = pl.concat_str(
        piece[0],
        *(pl.lit("[") + after[name].str.slice(at) for name, at in close.items()),
        ignore_nulls=True,
    )
    texts = {name: after[name].str.slice(0, at) for name, at in close.items()}
    return [
        # unnested by the caller: unnested here, the regex would run once per field (-10% CPU)
        skeleton.str.extract_groups(SKELETON).struct.rename_fields(list(SCALARS)).alias("scalars"),
        *(
            text.str.split(", ").cast(_wide(ARRAYS[name]), strict=False).alias(name)
            for name, text in texts.items()
        ),
        *(
            (text.str.contains(ODD_FIRST) | text.str.contains(ODD_LATER)).alias(f"{name}_odd")
            for name, text in texts.items()
        ),
        pl.any_horizontal(
            piece[-1].is_not_null(),
            *(after[name].is_not_null() & at.is_null() for name, at in close.items()),
        ).alias("stray_piece"),
    ]


def line_ends(chunk: bytes) -> np.ndarray:
    """Positions of the chunk's newlines. Workout lines are ~36 kB: a memchr per line is 5x
    cheaper than a numpy pass over the chunk."""
    found, position = [], chunk.find(b"\n")
    while position != -1:
        found.append(position)
        position = chunk.find(b"\n", position + 1)
    return np.array(found, dtype=np.int64)


def _misread(chunk: bytes, ends: np.ndarray) -> np.ndarray:
    """Lines the reader shows otherwise than Python's parser sees them: any ending in `[` (an
    empty last piece reads as a missing one), the first if it starts with a byte-order mark
    (dropped). Checked on the bytes next to the newlines: a chunk-wide search costs 20x more."""
    view = np.frombuffer(chunk, np.uint8)
    last, before = (view[np.maximum(ends - back, 0)] for back in (1, 2))
    found = (last == ord("[")) | ((last == ord("\r")) & (before == ord("[")))
    found[:1] |= chunk.startswith(codecs.BOM_UTF8)
    return found


def _wide(dtype: pl.List) -> pl.DataType:
    """Float arrays are read as float64 (rounded to their own type in `to_bronze`)."""
    return pl.List(pl.Float64) if dtype.inner.is_float() else dtype


def _in_shape() -> pl.Expr:
    """True where the skeleton matched, ids fit in int64, and every array is whole: no element
    that failed to cast, is not finite (an overflowing sum only costs a slow parse) or is an
    integer Python would refuse. `speed` is checked only when the skeleton has it."""
    checks = [pl.col("sport", "id", "userId").is_not_null(), ~pl.col("stray_piece")]
    for name, dtype in ARRAYS.items():
        values = pl.col(name)
        failed = values.list.eval(pl.element().null_count()).list.first() > 0
        whole = ~failed & ~pl.col(f"{name}_odd")
        if dtype != ARRAYS["timestamp"]:
            whole &= values.list.sum().is_finite()
        checks.append(whole | pl.col("has_speed").is_null() if name == "speed" else whole)
    return pl.all_horizontal(checks).fill_null(False)


# Built once, not for each chunk: with the query planned once more, that was ~1 ms a chunk.
FIELDS, IN_SHAPE = _fields(), _in_shape()
