"""The unified workout table every source lands in (FitRec, Apple Health): one row per workout,
aligned series as equal-length lists on one clock, heart rate null where it was not measured."""

from typing import Annotated

import pandera.polars as pa
import polars as pl

SOURCES = ["fitrec", "apple_health"]


class Workouts(pa.DataFrameModel):
    source: pl.String = pa.Field(isin=SOURCES)
    workout_id: pl.String
    user_id: pl.String
    sport: pl.String = pa.Field(nullable=True)
    gender: pl.String = pa.Field(nullable=True, isin=["male", "female", "unknown"])
    start_time: Annotated[pl.Datetime, "us", "UTC"]
    source_file: pl.String
    timestamp: pl.List(pl.Int64)  # epoch seconds, UTC
    heart_rate: pl.List(pl.Float32)  # bpm; null = no measurement at this step
    speed: pl.List(pl.Float32)  # km/h
    altitude: pl.List(pl.Float32)  # m
    latitude: pl.List(pl.Float64)
    longitude: pl.List(pl.Float64)

    class Config:
        strict = True
        ordered = True
        unique = ("source", "workout_id")
