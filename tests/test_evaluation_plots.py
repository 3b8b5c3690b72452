"""Evaluation figures: band labels, example picks, which points are plotted, and that every
figure comes back as a valid PNG or GIF, on small hand-built step tables."""

import io
from itertools import pairwise

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from PIL import Image

from assets.evaluation.animation import reveal_ends, reveal_gif
from assets.evaluation.plots import (
    band_mae,
    error_histograms,
    example_series,
    hr_band,
    mae_by_band,
    masked_measured,
    pick_examples,
    scatter,
    scatter_points,
    workout_mae_histogram,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def workout_steps(workout: str, n: int, gap: range = range(0), latent: bool = True) -> dict:
    """One workout's columns: heart rate following speed, unmeasured (mask false, measured
    null) over `gap`, forecast from the middle on."""
    step = np.arange(n)
    speed = 10 + 3 * np.sin(step / 30)
    truth = 70 + 7 * speed
    mask = ~np.isin(step, list(gap))
    return {
        "workout": [workout] * n,
        "source": [workout.split("/")[0]] * n,
        "user": ["u1"] * n,
        "category": ["run"] * n,
        "step": step,
        "elapsed_s": step * 8.0,
        "speed": speed,
        "altitude": 20 + step / 5,
        "mask": mask,
        "measured": [float(v) if m else None for v, m in zip(truth + 2, mask, strict=True)],
        "predicted": truth - 1,
        "forecast": [float(v) if s >= n // 2 else None for v, s in zip(truth, step, strict=True)],
        "latent": truth if latent else [None] * n,
    }


def steps_frame(*workouts: dict) -> pl.DataFrame:
    schema = {
        "workout": pl.String,
        "source": pl.String,
        "user": pl.String,
        "category": pl.String,
        "step": pl.Int32,
        "elapsed_s": pl.Float32,
        "speed": pl.Float32,
        "altitude": pl.Float32,
        "mask": pl.Boolean,
        "measured": pl.Float32,
        "predicted": pl.Float32,
        "forecast": pl.Float32,
        "latent": pl.Float32,
    }
    return pl.concat([pl.DataFrame(w, schema=schema) for w in workouts])


def workouts_table(ids: list[str], ranks: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "workout": ids,
            "mae": [float(r) for r in ranks],
            "steps": [40] * len(ids),
            "rank": ranks,
        },
        schema={"workout": pl.String, "mae": pl.Float64, "steps": pl.Int64, "rank": pl.Int64},
    )


def gif_frames(image: bytes) -> int:
    return Image.open(io.BytesIO(image)).n_frames


def test_hr_band_boundaries_are_low_inclusive_and_220_is_outside():
    values = [49.9, 50, 99.9, 100, 119.9, 120, 159.9, 160, 179.9, 180, 219.9, 220, 250, None]
    labels = pl.DataFrame({"hr": values}).select(hr_band(pl.col("hr")))["hr_band"].to_list()
    assert labels == [
        "other",
        "50-100",
        "50-100",
        "100-120",
        "100-120",
        "120-140",
        "140-160",
        "160-180",
        "160-180",
        "180-220",
        "180-220",
        "other",
        "other",
        "other",
    ]


def test_pick_examples_odd_count_takes_the_middle_rank_whatever_the_row_order():
    workouts = workouts_table(["a/5", "a/1", "a/4", "a/2", "a/3"], [5, 1, 4, 2, 3])
    picks = {"best": "a/1", "median": "a/3", "worst": "a/5"}
    assert pick_examples(workouts) == picks
    assert pick_examples(workouts.reverse()) == picks


def test_pick_examples_even_count_takes_the_lower_middle_and_one_workout_is_all_three():
    workouts = workouts_table(["b/x", "b/y", "b/z", "b/w"], [3, 1, 4, 2])
    assert pick_examples(workouts) == {"best": "b/y", "median": "b/w", "worst": "b/z"}
    only = workouts_table(["c/1"], [1])
    assert pick_examples(only) == {"best": "c/1", "median": "c/1", "worst": "c/1"}
    with pytest.raises(ValueError, match="no workouts"):
        pick_examples(only.clear())


def test_scatter_points_leave_out_unmasked_steps_even_with_a_value():
    steps = steps_frame(workout_steps("a/1", 10, gap=range(3, 6)))
    # mask is authoritative: a value under mask false (an artefact the gates removed) is not drawn
    steps = steps.with_columns(measured=pl.col("measured").fill_null(999.0))
    points = scatter_points(steps)
    assert points.height == 7
    assert 999.0 not in points["measured"].to_list()


def test_scatter_points_sample_down_to_the_limit_the_same_way_each_time():
    steps = steps_frame(workout_steps("a/1", 300, gap=range(0, 50)))
    first, second = scatter_points(steps, limit=100), scatter_points(steps, limit=100)
    assert first.height == 100
    assert first.equals(second)
    assert scatter_points(steps, limit=250).height == 250  # exactly the masked count: all


def test_band_mae_counts_masked_steps_per_band_in_band_order():
    steps = pl.DataFrame(
        {
            "mask": [True, True, True, False, True],
            "measured": [150.0, 95.0, 105.0, 101.0, 300.0],
            "predicted": [160.0, 99.0, 101.0, 0.0, 290.0],
        }
    )
    assert band_mae(steps).to_dicts() == [
        {"band": "50-100", "mae": 4.0, "steps": 1},
        {"band": "100-120", "mae": 4.0, "steps": 1},
        {"band": "140-160", "mae": 10.0, "steps": 1},
        {"band": "other", "mae": 10.0, "steps": 1},
    ]


def test_masked_measured_is_nan_across_gaps():
    series = steps_frame(workout_steps("a/1", 6, gap=range(2, 4)))
    measured = masked_measured(series)
    assert np.isnan(measured).tolist() == [False, False, True, True, False, False]


def test_every_figure_is_a_png_and_leaves_no_pyplot_figure_open():
    steps = steps_frame(
        workout_steps("a/1", 60, gap=range(10, 20)),
        workout_steps("a/2", 40, latent=False),
        workout_steps("b/3", 50),
    )
    workouts = workouts_table(["a/1", "a/2", "b/3"], [2, 3, 1])
    open_before = plt.get_fignums()
    figures = [
        scatter(steps, "m"),
        error_histograms(steps, "m"),
        workout_mae_histogram(workouts, "m"),
        mae_by_band(steps, "m"),
        example_series(steps, workouts, "m"),
    ]
    for figure in figures:
        assert figure.startswith(PNG_MAGIC)
        assert Image.open(io.BytesIO(figure)).format == "PNG"
    assert plt.get_fignums() == open_before


def test_reveal_ends_are_distinct_increasing_and_end_at_the_last_step():
    ends = reveal_ends(500, 60)
    assert len(ends) == 60
    assert ends[-1] == 500
    assert all(b > a for a, b in pairwise(ends))
    assert reveal_ends(4, 60) == [1, 2, 3, 4]


def test_reveal_gif_has_one_frame_per_chunk_and_stays_small():
    steps = steps_frame(workout_steps("a/1", 500), workout_steps("a/2", 30))
    image = reveal_gif(steps, "a/1", "m", frames=60)
    assert image.startswith(b"GIF89a")
    assert gif_frames(image) == 60
    assert len(image) < 1_500_000


def test_reveal_gif_handles_gaps_and_short_workouts():
    steps = steps_frame(workout_steps("a/1", 500), workout_steps("a/2", 30, gap=range(5, 20)))
    image = reveal_gif(steps, "a/2", "m", frames=60)
    assert image.startswith(b"GIF89a")
    assert gif_frames(image) == 30  # fewer steps than frames: one frame a step
    with pytest.raises(ValueError, match="no steps"):
        reveal_gif(steps, "a/9", "m")
