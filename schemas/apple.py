"""Bronze Apple Health tables: heart-rate samples, workouts, route points, people, quarantine.

Every instant is a tz-aware UTC datetime; local time survives only as the offset in minutes.
"""

from typing import Annotated

import pandera.polars as pa
import polars as pl

UTC = Annotated[pl.Datetime, "us", "UTC"]


class AppleHrSamples(pa.DataFrameModel):
    """One row per top-level HKQuantityTypeIdentifierHeartRate record (exact type)."""

    user_id: pl.String
    start: UTC
    end: UTC
    value: pl.Float64 = pa.Field(gt=0)
    source_name: pl.String = pa.Field(nullable=True)
    source_version: pl.String = pa.Field(nullable=True)
    device: pl.String = pa.Field(nullable=True)
    motion_context: pl.Int8 = pa.Field(nullable=True, isin=[0, 1, 2])
    line_number: pl.Int64 = pa.Field(ge=1)

    class Config:
        strict = True
        ordered = True


class AppleWorkouts(pa.DataFrameModel):
    """One row per <Workout>, units normalised (s, km, kcal, m)."""

    user_id: pl.String
    workout_id: pl.String = pa.Field(unique=True)
    activity_type: pl.String
    sport: pl.String
    start: UTC
    end: UTC
    utc_offset_min: pl.Int16 = pa.Field(ge=-720, le=840)
    time_zone: pl.String = pa.Field(nullable=True)
    duration_s: pl.Float64 = pa.Field(nullable=True, ge=0)
    distance_km: pl.Float64 = pa.Field(nullable=True, ge=0)
    energy_kcal: pl.Float64 = pa.Field(nullable=True, ge=0)
    elevation_gain_m: pl.Float64 = pa.Field(nullable=True, ge=0)
    indoor: pl.Boolean
    route_path: pl.String = pa.Field(nullable=True)
    source_name: pl.String = pa.Field(nullable=True)
    pauses: pl.Int32 = pa.Field(ge=0)
    line_number: pl.Int64 = pa.Field(ge=1)

    class Config:
        strict = True
        ordered = True


class AppleRoutePoints(pa.DataFrameModel):
    """GPX track points of each workout's route; speed in m/s as the Watch wrote it."""

    user_id: pl.String
    workout_id: pl.String
    time: UTC
    latitude: pl.Float64 = pa.Field(ge=-90, le=90)
    longitude: pl.Float64 = pa.Field(ge=-180, le=180)
    altitude: pl.Float64 = pa.Field(nullable=True)
    speed: pl.Float64 = pa.Field(nullable=True)
    course: pl.Float64 = pa.Field(nullable=True)
    h_acc: pl.Float64 = pa.Field(nullable=True)
    v_acc: pl.Float64 = pa.Field(nullable=True)

    class Config:
        strict = True
        ordered = True


class AppleUsers(pa.DataFrameModel):
    """One row per export: who (from <Me>), when exported, and what the pass saw."""

    user_id: pl.String = pa.Field(unique=True)
    gender: pl.String = pa.Field(isin=["male", "female", "unknown"])
    date_of_birth: pl.Date = pa.Field(nullable=True)
    export_date: UTC = pa.Field(nullable=True)
    export_path: pl.String
    dtd: pl.String = pa.Field(isin=["ok", "malformed", "absent"])
    records: pl.Int64 = pa.Field(ge=0)
    nested_records: pl.Int64 = pa.Field(ge=0)
    hr_records: pl.Int64 = pa.Field(ge=0)
    bytes_read: pl.Int64 = pa.Field(ge=0)

    class Config:
        strict = True
        ordered = True


class AppleQuarantine(pa.DataFrameModel):
    """Whatever could not be loaded (a record, a workout, a route file) and why."""

    user_id: pl.String
    file: pl.String
    line_number: pl.Int64 = pa.Field(nullable=True, ge=1)
    reason: pl.String = pa.Field(str_length={"min_value": 1})
    excerpt: pl.String

    class Config:
        strict = True
        ordered = True
