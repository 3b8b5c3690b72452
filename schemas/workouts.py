"""The unified workout table every source lands in (FitRec, Apple Health, activity files): one
row per workout, aligned series as equal-length lists on one clock, heart rate null where it was
not measured."""

from typing import Annotated

import pandera.polars as pa
import polars as pl

# Which sources exist is the registry's to say (assets/sources/registry.py, checked by
# `workouts_accounted`); a table only holds names of their shape.
SOURCE_NAME = r"^[a-z][a-z0-9_]*$"
ARTIFACT_KINDS = ["out_of_range", "dropout", "flatline", "spike", "cadence_lock", "offset"]


class Workouts(pa.DataFrameModel):
    source: pl.String = pa.Field(str_matches=SOURCE_NAME)
    workout_id: pl.String
    user_id: pl.String
    sport: pl.String = pa.Field(nullable=True)
    gender: pl.String = pa.Field(nullable=True, isin=["male", "female", "unknown"])
    start_time: Annotated[pl.Datetime, "us", "UTC"] = pa.Field(nullable=True)
    source_file: pl.String
    timestamp: pl.List(pl.Int64)  # epoch seconds, UTC
    heart_rate: pl.List(pl.Float32)  # bpm; null = no measurement at this step
    # km/h; null when the source recorded none (FitRec lines without speed, GPX files without
    # the extension): gating derives it from positions.
    speed: pl.List(pl.Float32) = pa.Field(nullable=True)
    altitude: pl.List(pl.Float32)  # m
    latitude: pl.List(pl.Float64)
    longitude: pl.List(pl.Float64)

    class Config:
        strict = True
        ordered = True
        unique = ("source", "workout_id")


class CleanWorkouts(Workouts):
    """Silver: workouts that passed every gate; speed completed from positions where missing."""

    speed: pl.List(pl.Float32)  # always present once gated
    speed_source: pl.String = pa.Field(isin=["recorded", "derived"])


class RejectedWorkouts(pa.DataFrameModel):
    """Every workout a gate rejected: the first gate it failed and what was measured."""

    source: pl.String = pa.Field(str_matches=SOURCE_NAME)
    workout_id: pl.String = pa.Field(nullable=True)
    user_id: pl.String = pa.Field(nullable=True)
    gate: pl.String
    gate_number: pl.Int8 = pa.Field(ge=1, le=7)
    measured: pl.Float64 = pa.Field(nullable=True)
    reason: pl.String

    class Config:
        strict = True
        ordered = True


class ArtifactFlags(pa.DataFrameModel):
    """A heart-rate artifact found in a workout: steps [start, end) and what was done."""

    source: pl.String = pa.Field(str_matches=SOURCE_NAME)
    workout_id: pl.String
    kind: pl.String = pa.Field(isin=ARTIFACT_KINDS)
    start: pl.Int64 = pa.Field(ge=0)
    end: pl.Int64 = pa.Field(ge=1)
    magnitude: pl.Float64 = pa.Field(nullable=True)
    action: pl.String = pa.Field(isin=["masked", "shifted"])

    class Config:
        strict = True
        ordered = True
