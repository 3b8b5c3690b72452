"""Bronze FitRec tables: workouts as parsed (series untouched) and the lines that could not be."""

import pandera.polars as pa
import polars as pl


class FitrecWorkouts(pa.DataFrameModel):
    """One row per parsed line; quality gating (lengths, ranges, sport) happens downstream."""

    workout_id: pl.Int64 = pa.Field(ge=1)
    user_id: pl.Int64 = pa.Field(ge=1)
    sport: pl.String = pa.Field(nullable=True)
    gender: pl.String = pa.Field(nullable=True)
    url: pl.String = pa.Field(nullable=True)
    source_file: pl.String
    line_number: pl.Int64 = pa.Field(ge=1, unique=True)
    timestamp: pl.List(pl.Int64) = pa.Field(nullable=True)
    heart_rate: pl.List(pl.Float32) = pa.Field(nullable=True)
    speed: pl.List(pl.Float32) = pa.Field(nullable=True)
    altitude: pl.List(pl.Float32) = pa.Field(nullable=True)
    latitude: pl.List(pl.Float64) = pa.Field(nullable=True)
    longitude: pl.List(pl.Float64) = pa.Field(nullable=True)

    class Config:
        strict = True
        ordered = True


class FitrecQuarantine(pa.DataFrameModel):
    """Every line that is not a usable workout, with why and the start of the line."""

    source_file: pl.String
    line_number: pl.Int64 = pa.Field(ge=1, unique=True)
    reason: pl.String = pa.Field(str_length={"min_value": 1})
    excerpt: pl.String

    class Config:
        strict = True
        ordered = True
