"""The bronze FitRec tables' column types, and the shaping every parse path ends with."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

F64, F32 = pl.List(pl.Float64), pl.List(pl.Float32)
# Each line's keys and types, in the real files' order (the fast path reads arrays in it).
RAW_SCHEMA = {
    "longitude": F64,
    "altitude": F32,
    "latitude": F64,
    "sport": pl.String,
    "id": pl.Int64,
    "heart_rate": F32,
    "gender": pl.String,
    "timestamp": pl.List(pl.Int64),
    "url": pl.String,
    "userId": pl.Int64,
    "speed": F32,
}
SERIES_TYPES = {
    "timestamp": pl.List(pl.Int64),
    "heart_rate": F32,
    "speed": F32,
    "altitude": F32,
    "latitude": F64,
    "longitude": F64,
}
WORKOUT_SCHEMA = pl.Schema(
    {
        "workout_id": pl.Int64,
        "user_id": pl.Int64,
        "sport": pl.String,
        "gender": pl.String,
        "url": pl.String,
        "source_file": pl.String,
        "line_number": pl.Int64,
        **SERIES_TYPES,
    }
)
QUARANTINE_SCHEMA = pl.Schema(
    {
        "source_file": pl.String,
        "line_number": pl.Int64,
        "reason": pl.String,
        "excerpt": pl.String,
    }
)


def to_bronze(raw: pl.DataFrame, line_numbers: int | Sequence[int], source: str) -> pl.DataFrame:
    """Rename FitRec keys to bronze names and attach provenance (file and 1-based line number).

    `line_numbers` is the first line's number when the rows are consecutive lines, else one per row.
    """
    numbers = (
        pl.int_range(line_numbers, line_numbers + raw.height, dtype=pl.Int64)
        if isinstance(line_numbers, int)
        else pl.lit(pl.Series(line_numbers, dtype=pl.Int64))
    )
    return raw.select(
        pl.col("id").alias("workout_id"),
        pl.col("userId").alias("user_id"),
        "sport",
        "gender",
        "url",
        pl.lit(source, pl.String).alias("source_file"),
        numbers.alias("line_number"),
        *(pl.col(name).cast(dtype) for name, dtype in SERIES_TYPES.items()),
    )
