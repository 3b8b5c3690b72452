"""The tensor contract between the feature assets and every model: feature names and order, the
on-disk layout of a split (plain .npy arrays, no pickle) and the scaler. numpy only, so training
and prediction read it on a GPU node that has torch but neither dagster nor polars.

Features are stored raw; `TensorSplit.inputs` standardises them with the scaler fitted on the
training split, the same `Scaler.transform` prediction applies to a new workout's features.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The 14 model inputs, in the order of the last tensor axis. Changing it invalidates checkpoints.
FEATURE_NAMES = (
    "speed",
    "altitude",
    "gender",
    "speed_lag_2",
    "speed_lag_5",
    "altitude_lag_30",
    "speed_derivative",
    "altitude_derivative",
    "rolling_speed_10",
    "rolling_speed_30",
    "cumulative_elevation_gain",
    "elapsed_time",
    "smoothed_grade",
    "exercise_intensity",
)
# Position of each feature on the last axis: every index into a features array comes from here.
FEATURE_INDEX = {name: index for index, name in enumerate(FEATURE_NAMES)}
SPLITS = ("train", "val", "test")
# One .npy per array, [N, ...] along the first axis (F = len(FEATURE_NAMES)); workout ids are
# fixed-width unicode.
ARRAYS = {
    "features": np.float32,  # [N, T, F] raw, 0 on padding; TensorSplit.inputs scales them
    "heart_rate": np.float32,  # [N, T] bpm, 0 where mask is 0
    "mask": np.bool_,  # [N, T] real step with a measured heart rate
    "user_index": np.int32,  # [N] row of metadata["users"]
    "workout_id": np.str_,  # [N] "<source>/<workout_id>"
    "window_start": np.int32,  # [N] first grid step of the window within its workout
    "length": np.int32,  # [N] real (unpadded) steps in the window
}
METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class Scaler:
    """Per-feature standardisation fitted on masked training steps."""

    feature_names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def from_dict(cls, saved: dict) -> Scaler:
        names = tuple(saved["feature_names"])
        if names != FEATURE_NAMES:
            raise ValueError(f"scaler features {names} are not this code's {FEATURE_NAMES}")
        return cls(names, np.asarray(saved["mean"]), np.asarray(saved["std"]))

    def to_dict(self) -> dict:
        return {
            "feature_names": list(self.feature_names),
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
        }

    def transform(self, features: np.ndarray) -> np.ndarray:
        """Raw features [..., F] to model inputs (prediction uses this on new workouts)."""
        scaled = features - self.mean.astype(np.float32)
        scaled /= self.std.astype(np.float32)
        return scaled


@dataclass(frozen=True)
class TensorSplit:
    features: np.ndarray
    heart_rate: np.ndarray
    mask: np.ndarray
    user_index: np.ndarray
    workout_id: np.ndarray
    window_start: np.ndarray
    length: np.ndarray
    scaler: Scaler

    def __len__(self) -> int:
        return len(self.length)

    def inputs(self, rows: slice | np.ndarray = slice(None)) -> np.ndarray:
        """Standardised features of the chosen windows, padding left at exactly 0."""
        scaled = self.scaler.transform(self.features[rows])
        padding = np.arange(scaled.shape[1])[None, :] >= self.length[rows][:, None]
        scaled[padding] = 0.0
        return scaled


def load_metadata(folder: str | Path) -> dict:
    """metadata.json, refusing tensors written for a different feature order."""
    meta = json.loads(Path(folder, METADATA_FILE).read_text())
    if "hr_max_gap_seconds" in meta:  # tensors written before the setting was renamed
        meta["grid_hr_max_gap_s"] = meta.pop("hr_max_gap_seconds")
    if tuple(meta["feature_names"]) != FEATURE_NAMES:
        raise ValueError(f"{folder}: feature names {meta['feature_names']} != {FEATURE_NAMES}")
    return meta


def load_scaler(folder: str | Path) -> Scaler:
    return Scaler.from_dict(load_metadata(folder)["scaler"])


def load_split(folder: str | Path, split: str, mmap: bool = True) -> TensorSplit:
    """One split's arrays; memory-mapped by default so a large split costs no RAM until read."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    mode = "r" if mmap else None
    arrays = {
        name: np.load(Path(folder, split, f"{name}.npy"), mmap_mode=mode, allow_pickle=False)
        for name in ARRAYS
    }
    return TensorSplit(**arrays, scaler=load_scaler(folder))
