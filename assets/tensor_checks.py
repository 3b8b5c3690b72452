"""What the tensor asset checks measure, read block by block from the memory-mapped splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from assets.npy import blocks
from assets.splits import workout_starts
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


def train_moments(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of the *stored* (standardised) training features over masked steps: a
    scaler fitted on exactly these steps leaves 0 and 1 (or 0 and 0 for a constant feature)."""
    tensors = load_split(folder, "train")
    count, total, squares = 0, 0.0, 0.0
    for rows in blocks(len(tensors), BLOCK_WINDOWS):
        steps = tensors.features[rows][tensors.mask[rows]].astype(np.float64)
        count += len(steps)
        total = total + steps.sum(axis=0)
        squares = squares + np.square(steps).sum(axis=0)
    mean = total / max(count, 1)
    return mean, np.sqrt(np.maximum(squares / max(count, 1) - mean**2, 0.0))


def scaler_refit_error(folder: Path) -> float:
    """Largest deviation from mean 0 / std 1 (std 0 allowed for a feature constant in train)."""
    mean, std = train_moments(folder)
    std_error = np.minimum(np.abs(std - 1.0), np.abs(std))
    return float(max(np.abs(mean).max(), std_error.max()))


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
