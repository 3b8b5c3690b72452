"""Heart rate for one activity file from a trained checkpoint, on the grid it was trained on (the
checkpoint's step and heart-rate gap, see `checkpoint_grid`).

The file is read by the activity-files source's reader, put in a one-row unified frame, its
speed completed from positions as the gates do, and turned into the 14 features by
`assets.features.features.workout_features`: the very code that made the training tensors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from assets.features.features import workout_features
from assets.features.grid import DEFAULT_GRID_HR_MAX_GAP_S, DEFAULT_STEP_SECONDS
from assets.quality.steps import null_list_like, with_completed_speed
from assets.sources.activity_files.folder import activity_sport, unified_row
from assets.sources.activity_files.readers import Activity, ActivityFileError, read_activities
from assets.sources.unify import UNIFIED
from models.tensors import FEATURE_NAMES

# Two minutes is 15 grid steps: fewer, and the lags and trailing means (up to 30 steps) have
# barely left their start-of-workout values, so there is nothing a model could say; a real
# run is always longer.
MIN_SECONDS = 120
WINDOW = 500  # steps per window when the checkpoint does not say (the tensors' T)
# A heart rate outside this range is no runner's: a model fed a file it cannot make sense of (a
# clock jump once gave 900 bpm) must not print one. Clipped in prediction only; training never
# sees it, so a model that needs the clip stays visible in the scores.
HR_RANGE_BPM = (30.0, 230.0)
OUTPUT_COLUMNS = ("time", "elapsed_s", "speed_kmh", "altitude_m", "predicted_hr", "measured_hr")


@dataclass(frozen=True)
class Bundle:
    """A loaded checkpoint: the model, its scaler and user vocabulary, its window length and
    the grid its training tensors were cut on."""

    model: object
    scaler: object
    vocabulary: list[str]
    window: int
    step_seconds: float
    grid_hr_max_gap_s: float


def checkpoint_grid(saved: dict) -> dict[str, float]:
    """{"step_seconds", "grid_hr_max_gap_s"} of the grid a checkpoint's training tensors were
    made on: new workouts must be gridded the same way, or the model reads steps of another
    length than it learnt."""
    from models.checkpoint import GRID_FIELDS  # torch is imported only when a model is used

    # Checkpoints written before the grid was saved have no "grid": they fall back to the
    # defaults, the grid prediction always used for them.
    default = dict(zip(GRID_FIELDS, (DEFAULT_STEP_SECONDS, DEFAULT_GRID_HR_MAX_GAP_S), strict=True))
    return {**default, **saved.get("grid", {})}


def load_bundle(path: Path) -> Bundle:
    """The checkpoint at `path`; ValueError when its feature list is not this code's."""
    from models.checkpoint import load_checkpoint
    from models.tensors import Scaler

    model, saved = load_checkpoint(path)
    window = (saved.get("train_config") or {}).get("sequence_length") or WINDOW
    scaler = Scaler.from_dict(saved["scaler"])
    return Bundle(model, scaler, list(saved["users"]), window, **checkpoint_grid(saved))


def grid_features(
    activity: Activity, step_seconds: float, grid_hr_max_gap_s: float
) -> pl.DataFrame:
    """(step, the 14 features, heart_rate) on the given grid (the checkpoint's: no default, so
    no caller can forget it), or ActivityFileError when the file cannot be predicted (too short,
    neither speed nor positions). The reader already cleaned the samples (`clean_series`: sorted,
    one per second, a flat profile where the file has no altitude), as the source's are."""
    series, name = activity.series, activity.path
    span = int(series["timestamp"][-1] - series["timestamp"][0])
    if span < MIN_SECONDS:
        raise ActivityFileError(f"{name}: {span} s long; at least {MIN_SECONDS} s are needed")
    if series["speed"].is_null().all() and series["latitude"].is_null().all():
        raise ActivityFileError(f"{name}: neither speed nor positions in any sample")
    row = unified_row(activity, name.name, "", activity_sport(activity))
    row = with_completed_speed(row).with_columns(
        null_list_like("heart_rate", UNIFIED["heart_rate"])
    )
    return workout_features(row, step_seconds, grid_hr_max_gap_s).drop("row")


def predict_activity(bundle: Bundle, activity: Activity, user: str | None) -> pl.DataFrame:
    """OUTPUT_COLUMNS at every step of the checkpoint's grid: UTC time, seconds since the
    start, speed and altitude on the grid, the predicted heart rate and the measured one (null
    where not measured)."""
    from models.predict import predict_sequence, user_row

    step_seconds = bundle.step_seconds
    features = grid_features(activity, step_seconds, bundle.grid_hr_max_gap_s)
    inputs = features.select(FEATURE_NAMES).to_numpy().astype(np.float32)
    predicted = predict_sequence(
        bundle.model, bundle.scaler, inputs, user_row(bundle.vocabulary, user), bundle.window
    )
    first = activity.series["timestamp"].min()
    elapsed = pl.col("step").cast(pl.Int64) * int(step_seconds)
    return features.select(
        time=pl.from_epoch(elapsed + first, "s").dt.replace_time_zone("UTC"),
        elapsed_s=elapsed,
        speed_kmh="speed",
        altitude_m="altitude",
        predicted_hr=pl.Series(predicted, dtype=pl.Float32).clip(*HR_RANGE_BPM),
        measured_hr="heart_rate",
    )


def errors(prediction: pl.DataFrame) -> tuple[float, float, int]:
    """(MAE, RMSE, steps) over the steps with a measured heart rate; NaN when there are none."""
    measured = prediction.filter(pl.col("measured_hr").is_not_null())
    if measured.height == 0:
        return math.nan, math.nan, 0
    diff = (measured["predicted_hr"] - measured["measured_hr"]).cast(pl.Float64)
    return float(diff.abs().mean()), float((diff**2).mean() ** 0.5), measured.height


def label(path: Path, activity: Activity) -> str:
    """The file, with `#k` for the k-th activity of a file that holds several."""
    return f"{path}#{activity.part}" if activity.part else str(path)


def read_runs(paths: list[Path]) -> tuple[list[tuple[Path, Activity]], list[str], list[str]]:
    """((path, activity) to predict, refusals, notes), each message starting with its file. In
    a file of several activities only the running ones are predicted (a multisport file's ride
    is left out, with a note); an unreadable file never stops the others."""
    found, refused, notes = [], [], []
    for path in paths:
        try:
            activities = read_activities(path)
        except ActivityFileError as error:
            refused.append(str(error))
            continue
        except Exception as error:  # an odd file never stops the others; named, with the bug
            refused.append(f"{path}: cannot be read: {type(error).__name__}: {error}")
            continue
        for activity in activities:
            sport = activity_sport(activity)
            if len(activities) > 1 and sport != "run":
                notes.append(f"{label(path, activity)}: left out, its sport is {sport!r}")
            else:
                found.append((path, activity))
    return found, refused, notes
