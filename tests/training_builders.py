"""Tiny workouts and tensor sets for training and evaluation tests: heart rate follows speed
one step later, so any model that reads speed can learn it in a few epochs."""

from pathlib import Path

import numpy as np
import polars as pl

from assets.features.grid import DEFAULT_STEP_SECONDS
from assets.features.tensor_store import WindowConfig, write_tensors
from schemas.tables import polars_schema
from schemas.workouts import CleanWorkouts

T0 = 1_500_000_000


def workout(wid: int, user: int, n: int = 48) -> dict:
    """Speed steps between paces every 12 fixes; heart rate follows speed one step later."""
    rng = np.random.default_rng(wid)
    speed = np.repeat(rng.uniform(7, 15, n // 12 + 1), 12)[:n]
    heart_rate = 90 + 5 * np.concatenate([[speed[0]], speed[:-1]]) + user
    return {
        "source": "fitrec",
        "workout_id": str(wid),
        "user_id": str(user),
        "sport": "run",
        "gender": "male" if user % 2 else "female",
        "start_time": None,
        "source_file": "sim.json",
        "timestamp": [T0 + wid * 86_400 + 8 * i for i in range(n)],
        "heart_rate": heart_rate.tolist(),
        "speed": speed.tolist(),
        "altitude": [50.0] * n,
        "latitude": [60.0] * n,
        "longitude": [24.0] * n,
        "speed_source": "recorded",
    }


def tensor_set(folder: Path, step_seconds: float = DEFAULT_STEP_SECONDS) -> Path:
    """Users 0-5 train, 6-7 validate, 8 tests: 3 workouts each, windows of 16 steps of
    `step_seconds`."""
    rows = [workout(10 * user + k, user) for user in range(9) for k in range(3)]
    table = pl.DataFrame(rows, schema=polars_schema(CleanWorkouts))
    split = {str(u): "train" if u < 6 else "val" if u < 8 else "test" for u in range(9)}
    assignment = table.lazy().select(
        "source", "workout_id", split=pl.col("user_id").replace_strict(split)
    )
    config = WindowConfig(step_seconds=step_seconds, window=16, stride=16)
    write_tensors(table.lazy(), assignment, folder, config, {})
    return folder
