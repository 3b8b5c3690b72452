"""The uniform grid and the features: hand-computed values, and causality as a property."""

import importlib
import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.features import features as features_module
from assets.features.features import workout_features
from assets.features.grid import GRID_COLUMNS, to_grid
from models import tensors
from models.tensors import FEATURE_NAMES

T0 = 1_408_898_746
STEP = 8.0
INPUT_SCHEMA = pl.Schema(
    {
        "timestamp": pl.List(pl.Int64),
        "speed": pl.List(pl.Float32),
        "altitude": pl.List(pl.Float32),
        "heart_rate": pl.List(pl.Float32),
        "gender": pl.String,
    }
)


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=INPUT_SCHEMA)


def run(seconds, speed, altitude, heart_rate=None, gender="male", t0=T0) -> dict:
    n = len(seconds)
    return {
        "timestamp": [t0 + s for s in seconds],
        "speed": speed,
        "altitude": altitude,
        "heart_rate": heart_rate if heart_rate is not None else [150.0] * n,
        "gender": gender,
    }


def approx(values: list) -> list:
    """Element-wise approx that keeps nulls exact."""
    return [None if v is None else pytest.approx(v, rel=1e-5, abs=1e-5) for v in values]


# --- exact values on a 6-step workout ------------------------------------------------------------

# 8 s apart, so grid step k is sample k. Speeds are whole metres per second, so a step covers
# 16, 8, 24, 32, 24, 16 m; the altitudes give every grade branch: step 1 covers < 10 m (grade 0),
# step 2 climbs 16 m over 32 m (0.5, clipped to 0.3), step 3 is 20 m down over 64 m (-0.3125,
# clipped), steps 4 and 5 are gentle descents.
SECONDS = [0, 8, 16, 24, 32, 40]
M_PER_S = [2.0, 1.0, 3.0, 4.0, 3.0, 2.0]
KMH = [v * 3.6 for v in M_PER_S]  # 7.2, 3.6, 10.8, 14.4, 10.8, 7.2
ALTITUDE = [100.0, 104.0, 116.0, 80.0, 92.0, 99.0]
HEART_RATE = [120.0, 125.0, None, 130.0, 131.0, 135.0]


def exact_expected() -> dict[str, list[float]]:
    s, a = KMH, ALTITUDE
    grade = [0.0, 0.0, 0.3, -0.3, -8 / 88, -1 / 104]  # covered: 0, 8, 32, 64, 88, 104 m
    alpha = 1 - math.exp(-8 / 60)
    intensity, level = [], 3.5
    for k in range(6):
        v = s[k] * 1000 / 60  # m/min
        climb = grade[k] if grade[k] >= 0 else 0.5 * grade[k]
        cost = 3.5 + v * (0.2 + 0.9 * climb)
        level = (1 - alpha) * level + alpha * cost
        intensity.append(level)
    return {
        "speed": s,
        "altitude": a,
        "gender": [0.0] * 6,
        "speed_lag_2": [s[0], s[0], s[0], s[1], s[2], s[3]],
        "speed_lag_5": [s[0]] * 6,
        "altitude_lag_30": [a[0]] * 6,
        "speed_derivative": [0.0, -3.6 / 8, 7.2 / 8, 3.6 / 8, -3.6 / 8, -3.6 / 8],
        "altitude_derivative": [0.0, 4 / 8, 12 / 8, -36 / 8, 12 / 8, 7 / 8],
        "rolling_speed_10": [sum(s[: k + 1]) / (k + 1) for k in range(6)],
        "rolling_speed_30": [sum(s[: k + 1]) / (k + 1) for k in range(6)],
        "cumulative_elevation_gain": [0.0, 4.0, 16.0, 16.0, 28.0, 35.0],
        "elapsed_time": [0.0, 8.0, 16.0, 24.0, 32.0, 40.0],
        "smoothed_grade": grade,
        "exercise_intensity": intensity,
    }


def test_every_feature_of_a_six_step_workout_by_hand():
    features = workout_features(frame(run(SECONDS, KMH, ALTITUDE, HEART_RATE, "female")), STEP)

    assert features["row"].to_list() == [0] * 6
    assert features["step"].to_list() == list(range(6))
    for name, expected in exact_expected().items():
        assert features[name].to_list() == approx(expected), name
    assert features["heart_rate"].to_list() == HEART_RATE


def test_a_workout_after_another_starts_from_scratch():
    """Shifts and cumulative sums run over the whole column: the second workout must not see
    the first one's last steps (lags, derivatives, means, gain, grade, intensity)."""
    before = run([0, 8, 16, 24], [20.0, 1.0, 30.0, 5.0], [500.0, 300.0, 900.0, 0.0])
    mine = run(SECONDS, KMH, ALTITUDE, HEART_RATE, "female", t0=T0 + 10_000)

    features = workout_features(frame(before, mine), STEP).filter(pl.col("row") == 1)

    assert features["step"].to_list() == list(range(6))
    for name, expected in exact_expected().items():
        assert features[name].to_list() == approx(expected), name


def test_long_lags_windows_and_grade_over_forty_steps():
    """Speed k+1 km/h and altitude 2k m at step k: the 5- and 30-step lags, the 10- and 30-step
    trailing means and the 10-step grade once they are past their start-up."""
    n = 40
    speed = [float(k + 1) for k in range(n)]
    altitude = [2.0 * k for k in range(n)]
    features = workout_features(frame(run([8 * k for k in range(n)], speed, altitude)), STEP)

    assert features["speed_lag_5"].to_list() == approx([1.0] * 5 + speed[: n - 5])
    assert features["altitude_lag_30"].to_list() == approx([0.0] * 30 + altitude[: n - 30])
    assert features["rolling_speed_10"].to_list() == approx(
        [sum(speed[max(0, k - 9) : k + 1]) / min(k + 1, 10) for k in range(n)]
    )
    assert features["rolling_speed_30"].to_list() == approx(
        [sum(speed[max(0, k - 29) : k + 1]) / min(k + 1, 30) for k in range(n)]
    )
    assert features["cumulative_elevation_gain"].to_list() == approx(altitude)
    # Rise since 10 steps back (or the start) over the metres of the steps since, each step
    # covering its speed/3.6*8 m (step 0 covers none); under 10 m covered the grade is 0.
    grade = []
    for k in range(n):
        covered = sum(speed[j] / 3.6 * 8 for j in range(max(1, k - 9), k + 1))
        rise = altitude[k] - altitude[max(0, k - 10)]
        grade.append(max(-0.3, min(0.3, rise / covered)) if covered >= 10 else 0.0)
    assert features["smoothed_grade"].to_list() == approx(grade)
    assert grade[1] == 0.0  # 2 m up over 4.4 m: too short to have a slope
    assert grade[2] == 0.3  # 4 m up over 11.1 m: clipped
    assert grade[n - 1] == pytest.approx(20 / (355 / 3.6 * 8))  # steps 30..39 at 31..40 km/h


@pytest.mark.parametrize(
    ("gender", "code"), [("male", 1.0), ("female", 0.0), ("unknown", 0.5), (None, 0.5)]
)
def test_gender_code(gender, code):
    features = workout_features(frame(run([0, 8], [10.0, 10.0], [0.0, 0.0], gender=gender)))
    assert features["gender"].to_list() == [code, code]


def test_columns_in_contract_order_one_row_per_step_no_null_features():
    rows = [
        run([0, 5, 8, 20, 45], [1.0, 2.0, 3.0, 4.0, 5.0], [10.0, 20.0, 30.0, 40.0, 50.0]),
        run([0, 3, 7], [4.0, 4.0, 4.0], [0.0, 0.0, 0.0], [None, None, None], "unknown"),
        run(SECONDS, KMH, ALTITUDE, HEART_RATE, "female"),
    ]
    features = workout_features(frame(*rows), STEP)

    assert tuple(features.columns) == ("row", "step", *FEATURE_NAMES, "heart_rate")
    # floor(span / 8) + 1 steps: 45 s -> 6, 7 s -> 1, 40 s -> 6.
    assert features.select("row", "step").rows() == (
        [(0, k) for k in range(6)] + [(1, 0)] + [(2, k) for k in range(6)]
    )
    assert features.select(FEATURE_NAMES).null_count().row(0) == (0,) * len(FEATURE_NAMES)
    assert all(features[name].dtype == pl.Float32 for name in (*FEATURE_NAMES, "heart_rate"))
    assert not any(features.select(pl.col(FEATURE_NAMES).is_nan().any()).row(0))


@pytest.mark.parametrize(
    "names, message",
    [
        ((*FEATURE_NAMES, "cadence"), r"only in FEATURE_NAMES \['cadence'\]"),
        (FEATURE_NAMES[1:], r"only in FEATURES \['speed'\]"),
    ],
)
def test_feature_names_and_feature_function_must_agree_at_import(
    monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...], message: str
):
    monkeypatch.setattr(tensors, "FEATURE_NAMES", names)
    try:
        with pytest.raises(RuntimeError, match=message):
            importlib.reload(features_module)
    finally:
        monkeypatch.undo()
        importlib.reload(features_module)


# --- the grid ------------------------------------------------------------------------------------


def test_grid_means_trailing_samples_and_carries_the_last_forward():
    grid = to_grid(
        frame(run([0, 5, 8, 20, 45], [1.0, 2.0, 3.0, 4.0, 5.0], [10.0, 20.0, 30.0, 40.0, 50.0])),
        step_seconds=8.0,
    )
    assert tuple(grid.columns) == GRID_COLUMNS
    assert grid["step"].to_list() == [0, 1, 2, 3, 4, 5]  # t = 0..40; the fix at 45 s is past
    # t=0: the first fix; t=8: mean of the fixes at 5 and 8 s; t=16: none in (8, 16], carry the
    # one at 8 s; t=24: the fix at 20 s; t=32, 40: carried; the fix at 45 s never shows.
    assert grid["speed"].to_list() == [1.0, 2.5, 3.0, 4.0, 4.0, 4.0]
    assert grid["altitude"].to_list() == [10.0, 25.0, 30.0, 40.0, 40.0, 40.0]


def test_grid_heart_rate_interpolated_exact_or_null():
    sparse = run([0, 5, 8, 20, 45], [1.0] * 5, [0.0] * 5, [100.0, 110.0, 120.0, 130.0, 140.0])
    holes = run(
        [0, 4, 12, 16, 20, 30, 36, 42],
        [1.0] * 8,
        [0.0] * 8,
        [100.0, None, 120.0, 130.0, 140.0, 150.0, None, 160.0],
    )
    grid = to_grid(frame(sparse, holes), step_seconds=8.0, grid_hr_max_gap_s=20.0)

    by_row = grid.group_by("row", maintain_order=True).agg("heart_rate")["heart_rate"].to_list()
    assert by_row[0] == approx(
        [
            100.0,  # t=0 on the first fix
            120.0,  # t=8 exactly on a fix (not a blend of 5 s and 8 s)
            120.0 + 10.0 * 8 / 12,  # t=16 between 8 s and 20 s: 12 s apart, bridged
            None,  # t=24 between 20 s and 45 s: 25 s > 20 s, a gap
            None,
            None,
        ]
    )
    assert by_row[1] == approx(
        [
            100.0,  # t=0
            None,  # t=8 between an unmeasured fix (4 s) and 120 at 12 s
            130.0,  # t=16 on the fix
            140.0 + 10.0 * 4 / 10,  # t=24 between 140 at 20 s and 150 at 30 s
            None,  # t=32 between 150 at 30 s and an unmeasured fix at 36 s
            None,  # t=40 between the unmeasured 36 s and 160 at 42 s
        ]
    )


def test_grid_gap_limit_is_inclusive_and_configurable():
    row = run([0, 20], [1.0, 1.0], [0.0, 0.0], [100.0, 120.0])
    at_limit = to_grid(frame(row), step_seconds=8.0, grid_hr_max_gap_s=20.0)
    below = to_grid(frame(row), step_seconds=8.0, grid_hr_max_gap_s=19.0)
    assert at_limit["heart_rate"].to_list() == approx([100.0, 108.0, 116.0])
    assert below["heart_rate"].to_list() == [100.0, None, None]


def test_grid_missing_input_carries_its_last_value():
    grid = to_grid(frame(run([0, 8, 16, 24], [None, 6.0, None, 9.0], [5.0, None, None, 7.0])))
    assert grid["speed"].to_list() == [0.0, 6.0, 6.0, 9.0]  # no speed yet: at the start line
    assert grid["altitude"].to_list() == [5.0, 5.0, 5.0, 7.0]


# --- causality -----------------------------------------------------------------------------------

# Speed may be missing (derived speed has none at the first fix): the fill must stay causal too.
speeds = st.one_of(st.none(), st.floats(0, 40, allow_nan=False, width=32))
altitudes = st.floats(-100, 3000, allow_nan=False, width=32)
heart_rates = st.one_of(st.none(), st.floats(40, 220, width=32))


@st.composite
def samples(draw, min_size=1, max_size=30):
    n = draw(st.integers(min_size, max_size))
    gaps = draw(st.lists(st.integers(1, 30), min_size=n, max_size=n))
    return {
        "gaps": gaps,
        "speed": draw(st.lists(speeds, min_size=n, max_size=n)),
        "altitude": draw(st.lists(altitudes, min_size=n, max_size=n)),
        "heart_rate": draw(st.lists(heart_rates, min_size=n, max_size=n)),
    }


@st.composite
def edited_workouts(draw):
    """Pairs of workout frames that agree on every fix up to a cut-off time per workout and
    differ arbitrarily after it (other values, other spacing, more or fewer fixes); heart rate
    is redrawn everywhere, as it is no input."""
    original, edited, cutoffs = [], [], []
    for row in range(draw(st.integers(1, 4))):
        first = draw(samples(min_size=2))
        seconds = np.cumsum([0, *first["gaps"][1:]]).tolist()
        cutoff = draw(st.integers(0, seconds[-1] - 1))
        kept = sum(s <= cutoff for s in seconds)
        tail = draw(samples(max_size=12))
        tail_seconds = (cutoff + np.cumsum(tail["gaps"])).tolist()
        hr = draw(st.lists(heart_rates, min_size=kept, max_size=kept)) + tail["heart_rate"]
        t0 = T0 + 100_000 * row
        gender = draw(st.sampled_from(["male", "female", "unknown"]))
        original.append(
            run(seconds, first["speed"], first["altitude"], first["heart_rate"], gender, t0)
        )
        edited.append(
            run(
                seconds[:kept] + tail_seconds,
                first["speed"][:kept] + tail["speed"],
                first["altitude"][:kept] + tail["altitude"],
                hr,
                gender,
                t0,
            )
        )
        cutoffs.append(cutoff)
    return frame(*original), frame(*edited), cutoffs


@settings(max_examples=50, deadline=None)
@given(edited_workouts(), st.sampled_from([8.0, 5.0, 12.5]))
def test_no_feature_reads_past_its_own_time(pair, step_seconds):
    original, edited, cutoffs = pair
    cutoff = pl.DataFrame(
        {"row": range(len(cutoffs)), "cutoff": cutoffs}, schema_overrides={"row": pl.UInt32}
    )
    up_to_cutoff = pl.col("step") * step_seconds <= pl.col("cutoff")

    def past(workouts: pl.DataFrame) -> pl.DataFrame:
        features = workout_features(workouts, step_seconds, 20.0)
        return (
            features.join(cutoff, on="row")
            .filter(up_to_cutoff)
            .select("row", "step", *FEATURE_NAMES)
            .sort("row", "step")
        )

    before, after = past(original), past(edited)
    expected_steps = [
        (r, k) for r, c in enumerate(cutoffs) for k in range(int(c // step_seconds) + 1)
    ]
    assert before.select("row", "step").rows() == expected_steps
    assert after.select("row", "step").rows() == expected_steps
    # Sums over other samples may round differently in the last bits; a leak shows far more.
    np.testing.assert_allclose(
        after.select(FEATURE_NAMES).to_numpy(),
        before.select(FEATURE_NAMES).to_numpy(),
        rtol=1e-5,
        atol=1e-3,
    )
