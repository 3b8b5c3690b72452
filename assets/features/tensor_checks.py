"""What the tensor asset checks measure, read block by block from the memory-mapped splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from assets.features.splits import workout_starts
from assets.features.tensor_store import MIN_STD
from assets.lake.npy import blocks
from models.tensors import SPLITS, load_metadata, load_split

BLOCK_WINDOWS = 4096
SCALER_TOLERANCE = 1e-3


def integrity(folder: Path) -> dict[str, int]:
    """Counts of broken promises over all splits: non-finite features or targets, mask beyond a
    window's length, non-zero padding, lengths outside 1..T."""
    found = dict.fromkeys(("non_finite", "mask_beyond_length", "nonzero_padding", "bad_length"), 0)
    for split in SPLITS:
        tensors = load_split(folder, split)
        steps = np.arange(tensors.mask.shape[1])
        found["bad_length"] += int(((tensors.length < 1) | (tensors.length > len(steps))).sum())
        for rows in blocks(len(tensors), BLOCK_WINDOWS):
            features, mask = tensors.features[rows], tensors.mask[rows]
            padding = steps[None, :] >= tensors.length[rows][:, None]
            found["non_finite"] += int((~np.isfinite(features)).sum())
            found["non_finite"] += int((~np.isfinite(tensors.heart_rate[rows])).sum())
            found["mask_beyond_length"] += int((mask & padding).sum())
            found["nonzero_padding"] += int((features[padding] != 0).sum())
    return found


def owned_steps(workout_id: np.ndarray, length: np.ndarray, stride: int) -> np.ndarray:
    """[N] leading steps of each window seen there first: with overlapping windows (stride < T)
    a window owns its first `stride` steps, the last window of a workout all of its own."""
    last_of_workout = np.append(workout_id[1:] != workout_id[:-1], True)
    return np.where(last_of_workout, length, np.minimum(length, stride))


def train_moments(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std over the stored training steps with a measured heart rate, each step once."""
    tensors = load_split(folder, "train")
    owned = owned_steps(tensors.workout_id, tensors.length, load_metadata(folder)["stride"])
    steps_of = np.arange(tensors.mask.shape[1])[None, :]
    count, total, squares = 0, 0.0, 0.0
    for rows in blocks(len(tensors), BLOCK_WINDOWS):
        fitted = tensors.mask[rows] & (steps_of < owned[rows][:, None])
        steps = tensors.features[rows][fitted].astype(np.float64)
        count += len(steps)
        total = total + steps.sum(axis=0)
        squares = squares + np.square(steps).sum(axis=0)
    mean = total / max(count, 1)
    return mean, np.sqrt(np.maximum(squares / max(count, 1) - mean**2, 0.0))


def scaler_refit_error(folder: Path) -> float:
    """Largest difference between the saved scaler and one refitted on the stored training
    steps, in units of the saved std (a feature constant in train has std 1 saved, 0 refitted)."""
    saved = load_split(folder, "train").scaler
    mean, std = train_moments(folder)
    std = np.where(std < MIN_STD, 1.0, std)
    mean_error = np.abs(mean - saved.mean) / saved.std
    return float(max(mean_error.max(), np.abs(std / saved.std - 1).max()))


def users_by_split(folder: Path) -> dict[str, set[int]]:
    return {
        split: set(np.unique(load_split(folder, split).user_index).tolist()) for split in SPLITS
    }


def shared_users(folder: Path) -> int:
    """Users that appear in more than one split."""
    users = users_by_split(folder)
    return len(
        (users["train"] & users["val"])
        | (users["train"] & users["test"])
        | (users["val"] & users["test"])
    )


def windows_by_split(folder: Path) -> pl.DataFrame:
    """(key, split) for every window, key being "<source>/<workout_id>"."""
    return pl.concat(
        pl.DataFrame({"key": load_split(folder, split).workout_id, "split": split})
        for split in SPLITS
    )


def temporal_violations(folder: Path, workouts: pl.LazyFrame) -> int:
    """Users with a train workout starting after a val one, or a val after a test one."""
    starts = workout_starts(workouts).select(
        "source", "user_id", "start", key=pl.format("{}/{}", "source", "workout_id")
    )
    order = pl.col("split").replace_strict({s: i for i, s in enumerate(SPLITS)})
    per_user_split = (
        windows_by_split(folder)
        .lazy()
        .unique()
        .join(starts, on="key")
        .with_columns(rank=order)
        .group_by("source", "user_id", "rank")
        .agg(first=pl.col("start").min(), last=pl.col("start").max())
        .sort("source", "user_id", "rank")
    )
    later_split_starts_earlier = pl.col("first") < pl.col("last").shift(1)
    return (
        per_user_split.with_columns(
            bad=later_split_starts_earlier.over("source", "user_id").fill_null(False)
        )
        .filter("bad")
        .select(pl.struct("source", "user_id").n_unique())
        .collect()
        .item()
    )


def describe(folder: Path) -> dict:
    """Counts per split from metadata.json, flattened for asset metadata."""
    meta = load_metadata(folder)
    return {
        f"{split}_{what}": n
        for split, counts in meta["counts"].items()
        for what, n in counts.items()
    }
