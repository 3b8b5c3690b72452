"""The model inputs (models.tensors.FEATURE_NAMES), computed for training and prediction by
this one module.

Every feature at grid step k uses inputs at steps <= k only. The research code's features 11-13
were a workout-type one-hot derived from heart rate (the target); here they are elapsed time,
smoothed grade and a trailing exercise intensity, none of which reads heart rate.

The grid frame is sorted by (row, step) and every workout's steps run 0, 1, ... contiguously, so
"n steps back, but not before the workout's start" is a gather at position - min(step, n), and
trailing windows are polars rolling and cumulative expressions over each workout.
"""

import math
from collections.abc import Callable

import polars as pl

from assets.features.grid import DEFAULT_GRID_HR_MAX_GAP_S, DEFAULT_STEP_SECONDS, to_grid
from models.tensors import FEATURE_NAMES

GENDER_CODE = {"male": 1.0, "female": 0.0}  # "unknown" (or missing) sits halfway: 0.5
GRADE_STEPS = 10  # trailing window of the grade (80 s at the default step)
MIN_GRADE_DISTANCE_M = 10.0  # below this the grade is 0: standing still has no slope
MAX_GRADE = 0.3
INTENSITY_TAU_S = 60.0  # time constant of the load proxy, about heart rate's on-kinetics
RESTING_VO2 = 3.5  # ml/kg/min, one MET: the intensity starts here at step 0

step = pl.col("step")
position = pl.int_range(pl.len())


def lag(value: pl.Expr, steps: int) -> pl.Expr:
    """value `steps` steps back; the workout's first value where that is before its start."""
    return value.gather(position - pl.min_horizontal(step, steps))


def per_second_change(value: pl.Expr, step_seconds: float) -> pl.Expr:
    """Change since the previous step per second: 0 at the first step."""
    return (value - lag(value, 1)) / step_seconds


def trailing_mean(value: pl.Expr, steps: int) -> pl.Expr:
    """Mean of the last `steps` steps (fewer at the workout's start)."""
    return value.rolling_mean(steps, min_samples=1).over("row")


def smoothed_grade(step_seconds: float) -> pl.Expr:
    """Rise over distance across the last GRADE_STEPS steps, clipped to +-MAX_GRADE."""
    metres = pl.when(step >= 1).then(pl.col("speed") / 3.6 * step_seconds)
    covered = metres.fill_null(0.0).rolling_sum(GRADE_STEPS, min_samples=1).over("row")
    rise = pl.col("altitude") - lag(pl.col("altitude"), GRADE_STEPS)
    grade = pl.when(covered >= MIN_GRADE_DISTANCE_M).then(rise / covered).otherwise(0.0)
    return grade.clip(-MAX_GRADE, MAX_GRADE)


def oxygen_cost(grade: pl.Expr) -> pl.Expr:
    """ACSM running equation (ml/kg/min), descents counting half: the load a pace and slope put
    on the heart, whoever runs it."""
    v = pl.col("speed") * (1000.0 / 60.0)  # m/min
    climb = pl.when(grade < 0).then(0.5 * grade).otherwise(grade)
    return RESTING_VO2 + v * (0.2 + 0.9 * climb)


def exercise_intensity(cost: pl.Expr, step_seconds: float) -> pl.Expr:
    """Exponentially weighted trailing load starting from rest at the workout's first step:
    y_k = (1-a) y_{k-1} + a x_k with y_{-1} = rest. Written as an adjusted EWM (weights over
    steps 0..k only) rescaled by the weight mass, so it runs per workout over the whole column."""
    alpha = 1.0 - math.exp(-step_seconds / INTENSITY_TAU_S)
    excess = (cost - RESTING_VO2).ewm_mean(alpha=alpha, adjust=True).over("row")
    reached = 1.0 - (1.0 - alpha) ** (step + 1).cast(pl.Float64)
    return RESTING_VO2 + excess * reached


speed, altitude, grade = pl.col("speed"), pl.col("altitude"), pl.col("smoothed_grade")
climbed = (altitude - lag(altitude, 1)).clip(lower_bound=0.0)

# How each of models.tensors.FEATURE_NAMES is computed, given the step length in seconds. The
# names and their order are FEATURE_NAMES's: a feature missing here, or one FEATURE_NAMES does not
# list, stops the import.
FEATURES: dict[str, Callable[[float], pl.Expr]] = {
    "speed": lambda _: speed,
    "altitude": lambda _: altitude,
    "gender": lambda _: pl.col("gender"),
    "speed_lag_2": lambda _: lag(speed, 2),
    "speed_lag_5": lambda _: lag(speed, 5),
    "altitude_lag_30": lambda _: lag(altitude, 30),
    "speed_derivative": lambda step_seconds: per_second_change(speed, step_seconds),
    "altitude_derivative": lambda step_seconds: per_second_change(altitude, step_seconds),
    "rolling_speed_10": lambda _: trailing_mean(speed, 10),
    "rolling_speed_30": lambda _: trailing_mean(speed, 30),
    "cumulative_elevation_gain": lambda _: climbed.cum_sum().over("row"),
    "elapsed_time": lambda step_seconds: step.cast(pl.Float64) * step_seconds,
    "smoothed_grade": lambda _: grade,
    "exercise_intensity": lambda step_seconds: exercise_intensity(oxygen_cost(grade), step_seconds),
}
if set(FEATURES) != set(FEATURE_NAMES):
    raise RuntimeError(
        f"features.FEATURES and models.tensors.FEATURE_NAMES differ: only in FEATURES "
        f"{sorted(set(FEATURES) - set(FEATURE_NAMES))}, only in FEATURE_NAMES "
        f"{sorted(set(FEATURE_NAMES) - set(FEATURES))}"
    )


def feature_columns(step_seconds: float) -> list[pl.Expr]:
    """The FEATURE_NAMES columns, in that order, as Float32."""
    return [FEATURES[name](step_seconds).cast(pl.Float32).alias(name) for name in FEATURE_NAMES]


def workout_features(
    workouts: pl.DataFrame,
    step_seconds: float = DEFAULT_STEP_SECONDS,
    grid_hr_max_gap_s: float = DEFAULT_GRID_HR_MAX_GAP_S,
) -> pl.DataFrame:
    """(row, step, the FEATURE_NAMES, heart_rate) for every grid step of `workouts`, which
    needs timestamp, speed, altitude, heart_rate (lists) and gender; `row` is its row number."""
    gender = workouts.select(
        pl.col("gender").replace_strict(GENDER_CODE, default=0.5, return_dtype=pl.Float32)
    ).with_row_index("row")
    return (
        to_grid(workouts, step_seconds, grid_hr_max_gap_s)
        .join(gender, on="row", how="left", maintain_order="left")
        .with_columns(smoothed_grade=smoothed_grade(step_seconds))
        .select("row", "step", *feature_columns(step_seconds), "heart_rate")
    )
