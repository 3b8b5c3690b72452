"""Forecast mode (the lab notebook's "regressive" prediction, beside sequence mode): heart rate is
observed for the first FORECAST_CUT_S of a workout and the rest is predicted from there.

The networks read no heart rate, so what the observed part can carry forward is the runner's
offset on the day (fitness, heat, fatigue): the mean residual, measured - predicted, over the
last ANCHOR_S before the cut, added to the sequence prediction after it and fading with
OFFSET_TAU_S. Persistence (the last observed heart rate, held) is the naive bar beside it.
Steps before the cut have neither, so forecast metrics cover the same steps for every model.
"""

from __future__ import annotations

import polars as pl

FORECAST_CUT_S = 600.0  # ten minutes observed: past the warm-up rise
ANCHOR_S = 60.0
OFFSET_TAU_S = 900.0
MIN_AHEAD_S = 300.0  # workouts with less than this after the cut are not forecast


def with_forecasts(steps: pl.DataFrame) -> pl.DataFrame:
    """`steps` (steps.STEP_COLUMNS, sorted by workout and step) plus `forecast` and
    `persistence` (null before the cut and in workouts too short to forecast)."""
    elapsed = pl.col("elapsed_s")
    before = elapsed < FORECAST_CUT_S
    anchor = before & (elapsed >= FORECAST_CUT_S - ANCHOR_S) & pl.col("mask")
    residual = pl.col("measured") - pl.col("predicted")
    offset = residual.filter(anchor).mean().over("workout").fill_null(0)
    last_seen = pl.col("measured").filter(before & pl.col("mask")).last().over("workout")
    ahead = elapsed - FORECAST_CUT_S
    forecastable = ~before & (elapsed.max().over("workout") >= FORECAST_CUT_S + MIN_AHEAD_S)
    fade = (-ahead / OFFSET_TAU_S).exp()
    return steps.with_columns(
        forecast=pl.when(forecastable).then(pl.col("predicted") + offset * fade),
        persistence=pl.when(forecastable).then(last_seen),
    ).with_columns(pl.col("forecast", "persistence").cast(pl.Float32))
