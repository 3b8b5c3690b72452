"""Bootstrap confidence intervals over workouts: a workout's steps are correlated, so the unit
resampled is the workout, and models are compared on the same resampled workouts (paired), which
tells a real difference from the luck of which workouts landed in the test set."""

from __future__ import annotations

import numpy as np

DRAWS = 1000
LEVEL = 0.95
CHUNK = 100  # draws per block, bounding memory at CHUNK x workouts indices


def resampled_mae(abs_error: np.ndarray, steps: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """abs_error and steps [models, workouts] (sums per workout) -> pooled MAE [models, draws]
    on `draws` resamples of the workouts, the same resamples for every model."""
    rng = np.random.default_rng(seed)
    n = abs_error.shape[1]
    out = np.empty((abs_error.shape[0], draws))
    for start in range(0, draws, CHUNK):
        size = min(CHUNK, draws - start)
        pick = rng.integers(0, n, size=(size, n))
        weights = np.stack([np.bincount(row, minlength=n) for row in pick]).T  # [workouts, size]
        out[:, start : start + size] = (abs_error @ weights) / (steps @ weights)
    return out


def intervals(
    abs_error: np.ndarray,
    steps: np.ndarray,
    reference: int,
    draws: int = DRAWS,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Per model: the MAE's percentile interval, and the interval of its MAE minus the
    `reference` model's (row index) on the same resamples. An interval of the difference that
    excludes 0 is a real difference at LEVEL."""
    mae = resampled_mae(abs_error, steps, draws, seed)
    difference = mae - mae[reference]
    tails = [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2]
    low, high = np.percentile(mae, tails, axis=1)
    diff_low, diff_high = np.percentile(difference, tails, axis=1)
    return {"mae_low": low, "mae_high": high, "diff_low": diff_low, "diff_high": diff_high}
