"""Evaluation: metrics against hand-computed values, forecast mode, input-only categories,
paired bootstrap intervals, and the evaluation graph from checkpoint to report and the gate."""

import math

import numpy as np
import polars as pl
import pytest

from assets.evaluation import metrics
from assets.evaluation.bootstrap import intervals
from assets.evaluation.comparison import compare
from assets.evaluation.forecast import with_forecasts
from assets.evaluation.latent import latent_on_grid
from assets.evaluation.steps import step_table
from assets.evaluation.workout_categories import workout_categories
from assets.sources.truth import TRUTH_SERIES
from models.tensors import FEATURE_NAMES, Scaler, TensorSplit


def steps_frame(rows: list[tuple]) -> pl.DataFrame:
    """(workout, source, mask, measured, predicted, latent) rows, elapsed 8 s apart."""
    frame = pl.DataFrame(
        rows,
        schema=["workout", "source", "mask", "measured", "predicted", "latent"],
        orient="row",
    )
    step = pl.int_range(pl.len()).over("workout")
    return frame.with_columns(step=step, elapsed_s=step * 8.0)


SMALL = steps_frame(
    [
        ("a", "fitrec", True, 100.0, 102.0, 101.0),
        ("a", "fitrec", True, 110.0, 105.0, 110.0),
        ("a", "fitrec", False, None, 999.0, 120.0),  # no measurement: never scored
        ("a", "fitrec", False, 130.0, 0.0, 130.0),  # masked artifact: never scored
        ("a", "fitrec", True, 120.0, 120.0, 118.0),
        ("b", "apple_health", True, 150.0, 140.0, None),
        ("b", "apple_health", True, 160.0, 160.0, None),
    ]
)


def test_pooled_metrics_use_masked_steps_only():
    found = metrics.pooled(SMALL)
    # errors 2, -5, 0, -10, 0
    assert found["mae"] == pytest.approx(17 / 5)
    assert found["rmse"] == pytest.approx(math.sqrt(129 / 5))
    assert found["bias"] == pytest.approx(-13 / 5)
    assert found["r2"] == pytest.approx(1 - 129 / 2680)  # measured mean 128
    assert (found["within_5"], found["within_10"], found["within_15"]) == (0.8, 1.0, 1.0)
    assert (found["steps"], found["workouts"]) == (5, 2)


def test_per_workout_errors_rank_lowest_mae_first():
    table = metrics.per_workout(SMALL)
    assert table.select("workout", "mae", "steps", "rank").rows() == [
        ("a", pytest.approx(7 / 3), 3, 1),
        ("b", 5.0, 2, 2),
    ]
    assert metrics.workout_spread(table)["workout_mae_worst"] == 5.0


def test_breakdown_by_source_and_noise_floor_on_the_same_steps():
    by_source = metrics.breakdown(SMALL, "source").select("group", "mae", "steps").rows()
    assert by_source == [("apple_health", 5.0, 2), ("fitrec", pytest.approx(7 / 3), 3)]
    floor = metrics.noise_floor(SMALL)
    # only workout a has truth: |latent - measured| = 1, 0, 2; model errors there 2, 5, 0
    assert floor["noise_floor_mae"] == pytest.approx(1.0)
    assert floor["mae_on_floor_steps"] == pytest.approx(7 / 3)
    assert floor["mae_over_floor"] == pytest.approx(7 / 3)
    assert metrics.noise_floor(SMALL.with_columns(latent=None)) == {}


def test_forecast_carries_the_observed_offset_forward_and_fades():
    n = 151  # 0 .. 1200 s at 8 s steps; cut at 600 s = step 75
    measured = [130.0] * n
    predicted = [120.0] * n
    long = steps_frame(
        [("a", "fitrec", True, m, p, None) for m, p in zip(measured, predicted, strict=True)]
    )
    short = steps_frame([("b", "fitrec", True, 130.0, 120.0, None)] * 100)  # 792 s: too short
    found = with_forecasts(pl.concat([long, short]))
    a = found.filter(workout="a")
    assert a["forecast"][:75].is_null().all() and a["persistence"][:75].is_null().all()
    assert a["forecast"][75] == pytest.approx(130.0)  # offset 10 at the cut
    assert a["forecast"][150] == pytest.approx(120 + 10 * math.exp(-600 / 900), rel=1e-6)
    assert (a["persistence"][75:] == 130.0).all()
    assert found.filter(workout="b")["forecast"].is_null().all()
    assert metrics.pooled(found, "forecast")["steps"] == n - 75


def profile(workout: str, speeds: np.ndarray, climb_per_step: float = 0.0) -> pl.DataFrame:
    n = len(speeds)
    return pl.DataFrame(
        {
            "workout": workout,
            "user": "u",
            "speed": speeds.astype(np.float32),
            "altitude": (climb_per_step * np.arange(n)).astype(np.float32),
            "elapsed_s": (8.0 * np.arange(n)).astype(np.float32),
        }
    )


def test_categories_come_from_speed_and_altitude_only():
    hour, half = np.ones(450), np.ones(225)
    alternating = np.where((np.arange(450) // 15) % 2 == 0, 16.0, 9.0)
    steps = pl.concat(
        [
            profile("steady", 12.0 * hour),
            profile("steady_too", 12.0 * hour),
            profile("intervals", alternating),
            profile("hills", 12.0 * hour, climb_per_step=1.0),  # ~37 m per km
            profile("progressive", np.linspace(10.0, 13.0, 450)),
            profile("recovery", 10.5 * half),  # slower and shorter than usual for this runner
        ]
    )
    found = dict(workout_categories(steps).iter_rows())
    assert found == {
        "steady": "steady",
        "steady_too": "steady",
        "intervals": "intervals",
        "hills": "hills",
        "progressive": "progressive",
        "recovery": "recovery",
    }


def test_paired_bootstrap_tells_a_constant_difference_from_none():
    rng = np.random.default_rng(1)
    steps = rng.integers(50, 100, size=40).astype(float)
    base = rng.uniform(5, 15, size=40) * steps
    abs_error = np.stack([base, base.copy(), base + 2 * steps])
    ci = intervals(abs_error, np.stack([steps] * 3), reference=0, draws=200)
    assert ci["diff_low"][1] == ci["diff_high"][1] == 0.0
    assert ci["diff_low"][2] == pytest.approx(2.0) and ci["diff_high"][2] == pytest.approx(2.0)
    point = base.sum() / steps.sum()
    assert ci["mae_low"][0] < point < ci["mae_high"][0]


def test_step_table_drops_padding_and_hides_unmeasured_heart_rate():
    features = np.zeros((2, 4, len(FEATURE_NAMES)), np.float32)
    features[..., FEATURE_NAMES.index("speed")] = [[10, 11, 12, 0], [13, 14, 0, 0]]
    split = TensorSplit(
        features=features,
        heart_rate=np.array([[100, 0, 102, 0], [110, 111, 0, 0]], np.float32),
        mask=np.array([[1, 0, 1, 0], [1, 1, 0, 0]], bool),
        user_index=np.array([0, 1], np.int32),
        workout_id=np.array(["fitrec/1", "fitrec/1"]),
        window_start=np.array([0, 3], np.int32),
        length=np.array([3, 2], np.int32),
        scaler=Scaler(FEATURE_NAMES, np.zeros(len(FEATURE_NAMES)), np.ones(len(FEATURE_NAMES))),
    )
    predicted = np.full((2, 4), 120.0, np.float32)
    table = step_table(split, ["fitrec/7", "fitrec/8"], predicted)
    assert table.select("step", "speed", "mask", "measured").rows() == [
        (0, 10.0, True, 100.0),
        (1, 11.0, False, None),
        (2, 12.0, True, 102.0),
        (3, 13.0, True, 110.0),
        (4, 14.0, True, 111.0),
    ]
    assert table["user"].to_list() == ["fitrec/7"] * 3 + ["fitrec/8"] * 2


def test_truth_is_cut_to_where_the_ingested_series_starts():
    truth = pl.LazyFrame(
        {
            "workout": ["a", "b"],
            "timestamp": [[96, 100, 108, 116], [101, 109]],
            "latent": [[90.0, 100.0, 108.0, 116.0], [70.0, 71.0]],
        },
        schema=TRUTH_SERIES,
    )
    starts = pl.DataFrame({"workout": ["a", "b"], "first_timestamp": [100, 100]})
    found = latent_on_grid(truth, starts, step_seconds=8.0, grid_hr_max_gap_s=20.0)
    # b has no truth sample at its first second: its steps would not coincide, so it is left out
    assert found.rows() == [("a", 0, 100.0), ("a", 1, 108.0), ("a", 2, 116.0)]


def test_the_noise_floor_row_does_not_shrink_the_models_comparison():
    with_truth = SMALL.with_columns(forecast=None, persistence=None)
    evaluated = {
        "good": (with_truth.lazy(), 10.0),
        "bad": (with_truth.with_columns(pl.col("predicted") + 3).lazy(), 11.0),
    }
    table = compare(evaluated, "sequence")
    rows = {r["model"]: r for r in table.iter_rows(named=True)}
    assert rows["good"]["reference"] and rows["good"]["workouts"] == 2  # b has no truth
    assert rows["good"]["mae"] == pytest.approx(17 / 5)
    assert rows["noise_floor"]["workouts"] == 1
    assert rows["noise_floor"]["mae"] == pytest.approx(1.0)
    # paired with the reference on workout a only: 1 - 7/3, the same in every resample
    assert rows["noise_floor"]["diff_low"] == pytest.approx(1 - 7 / 3)
