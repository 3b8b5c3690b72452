"""Silver workouts to masked window tensors, one split scheme at a time, a chunk of workouts at a
time: features per chunk (polars), windows cut by one numpy gather, appended to .npy files whose
sizes are planned up front. The scaler is fitted from running sums over the training steps and
saved beside the raw features; the loader applies it (models/tensors.py), so the features are
written once instead of written, re-read and rewritten scaled (at 250,000 workouts that pass
alone moves 17 GB).
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl

from assets.features.features import workout_features
from assets.features.grid import DEFAULT_GRID_HR_MAX_GAP_S, DEFAULT_STEP_SECONDS, grid_length
from assets.lake.npy import NpyWriter
from models.tensors import ARRAYS, FEATURE_NAMES, METADATA_FILE, SPLITS, Scaler

FEATURE_INPUTS = ("timestamp", "speed", "altitude", "heart_rate", "gender")
MIN_STD = 1e-6  # a constant feature (one gender only) is centred, not blown up


@dataclass(frozen=True)
class WindowConfig:
    step_seconds: float = DEFAULT_STEP_SECONDS
    grid_hr_max_gap_s: float = DEFAULT_GRID_HR_MAX_GAP_S
    window: int = 500  # T, steps per sequence
    stride: int = 500  # steps between window starts; < window overlaps
    chunk_workouts: int = 8192

    def __post_init__(self):
        if not 0 < self.stride <= self.window:
            raise ValueError(f"stride must be in 1..window ({self.window}), not {self.stride}")


def window_counts(lengths: np.ndarray, config: WindowConfig) -> np.ndarray:
    """Windows per workout: starts 0, stride, ... until one reaches the last step."""
    over = np.maximum(lengths - config.window, 0)
    return 1 + -(-over // config.stride)


def plan(workouts: pl.LazyFrame, assignment: pl.LazyFrame, config: WindowConfig) -> pl.DataFrame:
    """Per workout, in table order: its key, user, split, grid length and window count."""
    planned = (
        workouts.select(
            "source",
            "workout_id",
            "user_id",
            key=pl.format("{}/{}", "source", "workout_id"),
            user=pl.format("{}/{}", "source", "user_id"),
            length=grid_length(config.step_seconds),
        )
        .join(assignment, on=["source", "workout_id"], how="left", maintain_order="left")
        .collect()
    )
    missing = planned.filter(pl.col("split").is_null())
    if missing.height:
        raise ValueError(
            f"{missing.height} workouts have no split (first: {missing['key'][0]}); "
            "materialize the split table from the same workouts_clean"
        )
    return planned.with_columns(
        windows=pl.Series(window_counts(planned["length"].to_numpy(), config))
    )


def cut_windows(
    features: np.ndarray,
    heart_rate: np.ndarray,
    offsets: np.ndarray,
    lengths: np.ndarray,
    config: WindowConfig,
) -> dict[str, np.ndarray]:
    """Windows of the workouts whose grid steps start at `offsets` in `features` [R, 14]."""
    counts = window_counts(lengths, config)
    workout = np.repeat(np.arange(len(lengths)), counts)
    first_window = np.repeat(np.cumsum(counts) - counts, counts)
    start = (np.arange(len(workout)) - first_window) * config.stride
    length = np.minimum(config.window, lengths[workout] - start)
    t = np.arange(config.window)
    padding = t[None, :] >= length[:, None]
    index = offsets[workout][:, None] + start[:, None] + t[None, :]
    index[padding] = 0
    windowed, hr = features[index], heart_rate[index]
    windowed[padding] = 0.0
    mask = ~padding & ~np.isnan(hr)
    hr[~mask] = 0.0
    return {
        "features": windowed,
        "heart_rate": hr,
        "mask": mask,
        "workout": workout,
        "window_start": start.astype(np.int32),
        "length": length.astype(np.int32),
    }


class SplitWriters:
    """The seven .npy files of one split, sized from the plan."""

    def __init__(self, folder: Path, windows: int, id_width: int, window: int):
        folder.mkdir(parents=True)
        shapes = {"features": (windows, window, len(FEATURE_NAMES))}
        shapes |= {"heart_rate": (windows, window), "mask": (windows, window)}
        dtypes = {**ARRAYS, "workout_id": np.dtype(f"<U{max(id_width, 1)}")}
        self.files = {
            name: NpyWriter(folder / f"{name}.npy", dtypes[name], shapes.get(name, (windows,)))
            for name in ARRAYS
        }

    def append(self, arrays: dict[str, np.ndarray]) -> None:
        for name, writer in self.files.items():
            writer.append(arrays[name])

    def close(self) -> None:
        for writer in self.files.values():
            writer.close()


class TrainMoments:
    """Running per-feature sums over the training steps with a measured heart rate, each
    step once (overlapping windows do not count it twice)."""

    def __init__(self):
        self.count = 0
        self.total, self.squares = np.zeros(len(FEATURE_NAMES)), np.zeros(len(FEATURE_NAMES))

    def add(self, steps: pl.DataFrame) -> None:
        wide = steps.select(pl.col(FEATURE_NAMES).cast(pl.Float64))
        self.count += steps.height
        self.total += wide.sum().to_numpy()[0]
        self.squares += wide.select(pl.all().pow(2).sum()).to_numpy()[0]

    def scaler(self) -> Scaler:
        if self.count == 0:
            raise ValueError("the training split has no step with a measured heart rate")
        mean = self.total / self.count
        std = np.sqrt(np.maximum(self.squares / self.count - mean**2, 0.0))
        return Scaler(FEATURE_NAMES, mean, np.where(std < MIN_STD, 1.0, std))


def step_arrays(
    workouts: pl.LazyFrame, rows: pl.DataFrame, start: int, moments: TrainMoments, config
) -> tuple[np.ndarray, np.ndarray]:
    """Grid features [R, 14] and heart rate [R] (NaN: not measured) of the workouts at
    rows `start`.. of the table; their training steps go into `moments`."""
    chunk = workouts.select(FEATURE_INPUTS).slice(start, rows.height).collect()
    grid = workout_features(chunk, config.step_seconds, config.grid_hr_max_gap_s)
    in_train = pl.col("row").is_in(rows.with_row_index().filter(split="train")["index"].implode())
    moments.add(grid.filter(in_train & pl.col("heart_rate").is_not_null()))
    return grid.select(FEATURE_NAMES).to_numpy(order="c"), grid["heart_rate"].to_numpy()


def write_windows(
    features: np.ndarray, heart_rate: np.ndarray, rows: pl.DataFrame, writers: dict, config
) -> None:
    lengths = rows["length"].to_numpy()
    offsets = np.cumsum(lengths) - lengths
    split = rows["split"].to_numpy()
    for name, writer in writers.items():
        chosen = np.flatnonzero(split == name)
        windows = cut_windows(features, heart_rate, offsets[chosen], lengths[chosen], config)
        workout = chosen[windows.pop("workout")]
        windows["user_index"] = rows["user_index"].to_numpy()[workout]
        windows["workout_id"] = rows["key"].to_numpy()[workout]
        writer.append(windows)


def split_counts(planned: pl.DataFrame) -> dict[str, dict[str, int]]:
    counts = planned.group_by("split").agg(
        windows=pl.col("windows").sum(), workouts=pl.len(), users=pl.col("user").n_unique()
    )
    found = {row.pop("split"): row for row in counts.iter_rows(named=True)}
    return {name: found.get(name, {"windows": 0, "workouts": 0, "users": 0}) for name in SPLITS}


def write_tensors(
    workouts: pl.LazyFrame,
    assignment: pl.LazyFrame,
    out: Path,
    config: WindowConfig,
    lake_version: dict,
    scaler: Scaler | None = None,
) -> dict:
    """Write `out/{train,val,test}/*.npy` and `out/metadata.json` (returned); the folder is
    replaced whole, so readers never see a half-written set. `scaler` fixes the scaling instead
    of fitting it on the training split: fine-tuning a checkpoint must see inputs scaled as the
    checkpoint was trained."""
    planned = plan(workouts, assignment, config)
    users = planned["user"].unique().sort()
    planned = planned.with_columns(user_index=pl.col("user").rank("dense").cast(pl.Int32) - 1)
    counts = split_counts(planned)
    staging = out.with_name(f".{out.name}.{uuid.uuid4().hex}")
    try:
        id_width = int(planned["key"].str.len_chars().max() or 1)
        writers = {
            name: SplitWriters(staging / name, counts[name]["windows"], id_width, config.window)
            for name in SPLITS
        }
        moments = TrainMoments()
        for start in range(0, planned.height, config.chunk_workouts):
            rows = planned.slice(start, config.chunk_workouts)
            features, heart_rate = step_arrays(workouts, rows, start, moments, config)
            write_windows(features, heart_rate, rows, writers, config)
        for writer in writers.values():
            writer.close()
        scaler = scaler or moments.scaler()
        metadata = {
            "feature_names": list(FEATURE_NAMES),
            **{k: v for k, v in asdict(config).items() if k != "chunk_workouts"},
            "counts": counts,
            "train_steps_fitted": moments.count,
            "scaler": scaler.to_dict(),
            "users": users.to_list(),
            "lake_version": lake_version,
        }
        (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=1, default=str))
        replace_folder(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return metadata


def replace_folder(staging: Path, out: Path) -> None:
    previous = out.with_name(f".{out.name}.previous.{uuid.uuid4().hex}")
    if out.exists():
        out.rename(previous)
    staging.rename(out)
    shutil.rmtree(previous, ignore_errors=True)
