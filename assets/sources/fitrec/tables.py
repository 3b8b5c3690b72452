"""Where every FitRec parse path ends: the bronze tables' types, and the shaping into them.

The columns, their order and their types come from the pandera models in `schemas.fitrec`, so
they are stated once; all this module adds is what the models cannot say, the lines' own keys.
It imports nothing of the parser, so both parse paths can end here.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from schemas.fitrec import FitrecQuarantine, FitrecWorkouts
from schemas.tables import polars_schema

WORKOUT_SCHEMA = polars_schema(FitrecWorkouts)
QUARANTINE_SCHEMA = polars_schema(FitrecQuarantine)
# The workout series: the bronze table's list columns (the files name them alike).
SERIES_TYPES = {name: dtype for name, dtype in WORKOUT_SCHEMA.items() if isinstance(dtype, pl.List)}
# A line's keys in the real files' order (the fast path reads the arrays in it), and the two
# that bronze renames.
LINE_KEYS = (
    "longitude",
    "altitude",
    "latitude",
    "sport",
    "id",
    "heart_rate",
    "gender",
    "timestamp",
    "url",
    "userId",
    "speed",
)
BRONZE_NAME = {"id": "workout_id", "userId": "user_id"}
# Each key typed as its bronze column.
RAW_SCHEMA = {key: WORKOUT_SCHEMA[BRONZE_NAME.get(key, key)] for key in LINE_KEYS}
LINE_KEY = {name: key for key, name in BRONZE_NAME.items()}


def to_bronze(raw: pl.DataFrame, line_numbers: int | Sequence[int], source: str) -> pl.DataFrame:
    """Rename FitRec keys to bronze names, attach provenance (file and 1-based line number) and
    type every column as the bronze table does (float32 series are rounded here).

    `line_numbers` is the first line's number when the rows are consecutive lines, else one per row.
    """
    numbers = (
        pl.int_range(line_numbers, line_numbers + raw.height, dtype=pl.Int64)
        if isinstance(line_numbers, int)
        else pl.lit(pl.Series(line_numbers, dtype=pl.Int64))
    )
    provenance = {"source_file": pl.lit(source, pl.String), "line_number": numbers}
    return raw.select(
        provenance.get(name, pl.col(LINE_KEY.get(name, name))).cast(dtype).alias(name)
        for name, dtype in WORKOUT_SCHEMA.items()
    )
