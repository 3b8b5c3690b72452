"""A model's test predictions as one row per real grid step: the table every metric, breakdown
and plot of evaluation reads. Padding never becomes a row; steps without a measured heart rate
stay (plots show the gaps) with `mask` false, and every metric filters on `mask`."""

from __future__ import annotations

import numpy as np
import polars as pl

from models.tensors import FEATURE_INDEX, TensorSplit

SPEED, ALTITUDE = FEATURE_INDEX["speed"], FEATURE_INDEX["altitude"]
ELAPSED, GRADE = FEATURE_INDEX["elapsed_time"], FEATURE_INDEX["smoothed_grade"]
STEP_COLUMNS = {
    "workout": pl.String,  # "<source>/<workout_id>"
    "source": pl.String,
    "user": pl.String,  # "<source>/<user_id>"
    "step": pl.Int32,  # grid step within the workout
    "elapsed_s": pl.Float32,
    "speed": pl.Float32,  # km/h, as the model saw it (raw, before scaling)
    "altitude": pl.Float32,
    "grade": pl.Float32,
    "mask": pl.Boolean,
    "measured": pl.Float32,  # null where mask is false
    "predicted": pl.Float32,  # sequence mode
}


def step_table(split: TensorSplit, users: list[str], predicted: np.ndarray) -> pl.DataFrame:
    """The real steps of every window of `split`, with `predicted` [N, T] beside them; sorted
    by workout and step (a workout's windows are consecutive, non-overlapping pieces)."""
    length = np.asarray(split.length)
    real = np.arange(split.heart_rate.shape[1])[None, :] < length[:, None]
    window, t = np.nonzero(real)
    features = np.asarray(split.features)[window, t]
    mask = np.asarray(split.mask)[window, t]
    workout = np.asarray(split.workout_id)[window]
    frame = pl.DataFrame(
        {
            "workout": workout,
            "source": np.char.partition(workout.astype(str), "/")[:, 0],
            "user": np.asarray(users)[np.asarray(split.user_index)[window]],
            "step": np.asarray(split.window_start)[window] + t,
            "elapsed_s": features[:, ELAPSED],
            "speed": features[:, SPEED],
            "altitude": features[:, ALTITUDE],
            "grade": features[:, GRADE],
            "mask": mask,
            "measured": np.where(mask, np.asarray(split.heart_rate)[window, t], np.nan),
            "predicted": predicted[window, t],
        }
    )
    return (
        frame.with_columns(pl.col("measured").fill_nan(None))
        .cast(STEP_COLUMNS)
        .sort("workout", "step")
    )
