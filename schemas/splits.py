"""The persisted split tables that every asset after the features joins."""

from typing import Annotated

import pandera.polars as pa
import polars as pl

from models.tensors import SPLITS
from schemas.workouts import SOURCE_NAME

SPLIT_NAMES = list(SPLITS)


class UserDisjointSplit(pa.DataFrameModel):
    """One row per user: the split all of that user's workouts belong to."""

    source: pl.String = pa.Field(str_matches=SOURCE_NAME)
    user_id: pl.String
    workouts: pl.UInt32 = pa.Field(ge=1)
    split: pl.String = pa.Field(isin=SPLIT_NAMES)

    class Config:
        strict = True
        ordered = True
        unique = ("source", "user_id")


class TemporalSplit(pa.DataFrameModel):
    """One row per user: workouts starting at or after `val_from` validate, at or after
    `test_from` test (null: that user has no such workouts)."""

    source: pl.String = pa.Field(str_matches=SOURCE_NAME)
    user_id: pl.String
    workouts: pl.UInt32 = pa.Field(ge=1)
    val_from: Annotated[pl.Datetime, "us", "UTC"] = pa.Field(nullable=True)
    test_from: Annotated[pl.Datetime, "us", "UTC"] = pa.Field(nullable=True)

    class Config:
        strict = True
        ordered = True
        unique = ("source", "user_id")

    @pa.dataframe_check
    def validation_before_test(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("val_from").is_null()
            | pl.col("test_from").is_null()
            | (pl.col("val_from") < pl.col("test_from"))
        )
