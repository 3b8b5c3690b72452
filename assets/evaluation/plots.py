"""Figures of one model's evaluation, as pure functions of its per-step and per-workout tables.

`steps` holds one row per grid step of every test workout (workout, elapsed_s, speed, mask,
measured, predicted, forecast, latent, ...); `workouts` one row per workout (workout, mae,
steps, rank). Only masked steps (heart rate measured) enter an error, as in the metrics.
Figures are built on `matplotlib.figure.Figure` directly, so nothing lands in pyplot's state.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from assets.lake.figures import png

# Measured heart-rate bands (bpm) for breakdowns: each band holds [low, high); values below 50,
# at or above 220, or null fall in "other" (no band), so 99.9 -> "50-100", 100 -> "100-120".
HR_BANDS = (50, 100, 120, 140, 160, 180, 220)
BAND_LABELS = tuple(f"{low}-{high}" for low, high in pairwise(HR_BANDS))
OTHER_BAND = "other"
SCATTER_LIMIT = 50_000  # points drawn in the scatter; more are sampled down (seeded)
IDENTITY_BPM = (50, 220)
ERROR_MARKS_BPM = (5, 10)


def hr_band(expr: pl.Expr) -> pl.Expr:
    """Band label of a heart-rate expression (String, named "hr_band"); OTHER_BAND outside
    HR_BANDS or null."""
    (condition, label), *rest = [
        ((expr >= low) & (expr < high), label)
        for (low, high), label in zip(pairwise(HR_BANDS), BAND_LABELS, strict=True)
    ]
    chain = pl.when(condition).then(pl.lit(label))
    for condition, label in rest:
        chain = chain.when(condition).then(pl.lit(label))
    return chain.otherwise(pl.lit(OTHER_BAND)).alias("hr_band")


def masked_pairs(steps: pl.DataFrame) -> pl.DataFrame:
    """Steps where heart rate was measured and predicted, with `error` = predicted - measured:
    the only points any error figure shows."""
    measured = pl.col("mask") & pl.col("measured").is_not_null()
    return steps.filter(measured, pl.col("predicted").is_not_null()).with_columns(
        error=pl.col("predicted") - pl.col("measured")
    )


def scatter_points(steps: pl.DataFrame, limit: int = SCATTER_LIMIT) -> pl.DataFrame:
    """The masked (measured, predicted) pairs the scatter draws: all of them up to `limit`,
    else a seeded sample of `limit`, so the figure is the same on every run."""
    pairs = masked_pairs(steps).select("measured", "predicted")
    return pairs if pairs.height <= limit else pairs.sample(n=limit, seed=0)


def scatter(steps: pl.DataFrame, title: str) -> bytes:
    """Predicted against measured heart rate; alpha falls with the point count so dense
    regions read as density rather than a solid blob."""
    points = scatter_points(steps)
    figure = Figure(figsize=(4.5, 4.5))
    ax = figure.subplots()
    alpha = float(np.clip(2_000 / max(points.height, 1), 0.03, 0.8))
    ax.scatter(points["measured"], points["predicted"], s=3, alpha=alpha, linewidths=0)
    ax.plot(IDENTITY_BPM, IDENTITY_BPM, color="black", linewidth=0.8)
    ax.set(
        xlim=IDENTITY_BPM,
        ylim=IDENTITY_BPM,
        xlabel="measured (bpm)",
        ylabel="predicted (bpm)",
        title=f"{title} ({masked_pairs(steps).height:,} steps)",
    )
    return png(figure)


def error_histograms(steps: pl.DataFrame, title: str) -> bytes:
    """Signed error (bias) beside absolute error with 5 and 10 bpm and the MAE marked."""
    errors = masked_pairs(steps)["error"].to_numpy()
    absolute = np.abs(errors)
    mae = float(absolute.mean()) if len(absolute) else float("nan")
    figure = Figure(figsize=(9, 3))
    signed_ax, absolute_ax = figure.subplots(1, 2)
    signed_ax.hist(errors, bins=80)
    signed_ax.axvline(0, color="black", linewidth=0.8)
    signed_ax.set(xlabel="predicted - measured (bpm)", ylabel="steps")
    absolute_ax.hist(absolute, bins=80)
    for mark in ERROR_MARKS_BPM:
        absolute_ax.axvline(mark, color="grey", linestyle="--", label=f"{mark} bpm")
    absolute_ax.axvline(mae, color="tab:red", label=f"MAE {mae:.1f}")
    absolute_ax.set(xlabel="|predicted - measured| (bpm)")
    absolute_ax.legend()
    figure.suptitle(title)
    return png(figure)


def workout_mae_histogram(workouts: pl.DataFrame, title: str) -> bytes:
    """Spread of per-workout MAE, median marked: is the error a few bad workouts or all?"""
    mae = workouts["mae"].drop_nulls().to_numpy()
    figure = Figure(figsize=(5, 3))
    ax = figure.subplots()
    ax.hist(mae, bins=40)
    if len(mae):
        ax.axvline(float(np.median(mae)), color="tab:red", label=f"median {np.median(mae):.1f}")
        ax.legend()
    ax.set(xlabel="workout MAE (bpm)", ylabel="workouts", title=title)
    return png(figure)


def band_mae(steps: pl.DataFrame) -> pl.DataFrame:
    """MAE and masked step count per measured-HR band present, bands ascending, "other" last."""
    order = {label: rank for rank, label in enumerate([*BAND_LABELS, OTHER_BAND])}
    return (
        masked_pairs(steps)
        .group_by(band=hr_band(pl.col("measured")))
        .agg(mae=pl.col("error").abs().mean(), steps=pl.len().cast(pl.Int64))
        .sort(pl.col("band").replace_strict(order, return_dtype=pl.Int32))
    )


def mae_by_band(steps: pl.DataFrame, title: str) -> bytes:
    """MAE per measured-HR band with each bar's step count: where in the range it fails."""
    bands = band_mae(steps)
    figure = Figure(figsize=(6, 3))
    ax = figure.subplots()
    bars = ax.bar(bands["band"].to_list(), bands["mae"].to_list())
    ax.bar_label(bars, labels=[f"{n:,}" for n in bands["steps"]], fontsize=8)
    ax.set(xlabel="measured heart rate (bpm)", ylabel="MAE (bpm)", title=title)
    return png(figure)


def pick_examples(workouts: pl.DataFrame) -> dict[str, str]:
    """Best, median and worst workout by rank over the whole table (no choosing by eye); ties
    broken by workout id; the median is the middle rank, the lower middle for even counts."""
    if workouts.is_empty():
        raise ValueError("no workouts to pick examples from")
    ordered = workouts.sort("rank", "workout")["workout"]
    return {
        "best": ordered[0],
        "median": ordered[(len(ordered) - 1) // 2],
        "worst": ordered[-1],
    }


def masked_measured(series: pl.DataFrame) -> np.ndarray:
    """Measured heart rate with unmeasured steps as NaN, so plotted lines break at gaps."""
    measured = pl.when(pl.col("mask")).then(pl.col("measured")).cast(pl.Float64)
    return series.select(measured.fill_null(float("nan")))["measured"].to_numpy()


def example_series(steps: pl.DataFrame, workouts: pl.DataFrame, title: str) -> bytes:
    """The picked workouts stacked: measured and predicted heart rate over time (latent truth
    dashed, forecast dotted where known), speed on a twin axis."""
    picks = pick_examples(workouts)
    mae = dict(zip(workouts["workout"], workouts["mae"], strict=True))
    figure = Figure(figsize=(9, 8), layout="constrained")
    for ax, (role, workout) in zip(figure.subplots(len(picks), 1), picks.items(), strict=True):
        series = steps.filter(pl.col("workout") == workout).sort("step")
        minutes = (series["elapsed_s"] / 60).to_numpy()
        ax.plot(minutes, masked_measured(series), "k", linewidth=0.9, zorder=3, label="measured")
        ax.plot(minutes, series["predicted"].to_numpy(), color="tab:blue", label="predicted")
        for column, style, colour in (("latent", "--", "tab:green"), ("forecast", ":", "tab:red")):
            if series[column].is_not_null().any():
                values = series[column].cast(pl.Float64).to_numpy()
                ax.plot(minutes, values, linestyle=style, color=colour, label=column)
        ax.set(ylabel="bpm", title=f"{role}: {workout} (MAE {mae[workout]:.1f} bpm)")
        ax.legend(loc="upper left", fontsize=7)
        speed_ax = ax.twinx()
        speed_ax.plot(minutes, series["speed"].to_numpy(), color="tab:orange", alpha=0.4)
        speed_ax.set_ylabel("speed (km/h)", color="tab:orange")
    ax.set_xlabel("elapsed (min)")
    figure.suptitle(title)
    return png(figure)
