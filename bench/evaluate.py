"""Benchmark: evaluating one model's test predictions at full-lake scale, after inference (the
model's own speed is bench/train_throughput.py's): the step table, input-only categories,
forecast mode, headline metrics and breakdowns, the figures and GIF, then the comparison's
paired bootstrap over 8 models.

The test split of a 250,000-workout lake is ~37,500 workouts, ~45,000 windows of 500 steps;
the arrays here have that shape, filled with plausible running values.

Target: the whole evaluation of one model in under TARGET_SECONDS on this machine.
"""

import argparse
import time

import numpy as np
from benchlib import peak_rss_mb

from assets.evaluation.bootstrap import intervals
from assets.evaluation.defs import figures
from assets.evaluation.forecast import with_forecasts
from assets.evaluation.metrics import per_workout
from assets.evaluation.score import breakdowns, headline
from assets.evaluation.steps import step_table
from assets.evaluation.workout_categories import workout_categories
from models.tensors import FEATURE_NAMES, Scaler, TensorSplit

TARGET_SECONDS = 120.0
T = 500


def synthetic_split(windows: int, seed: int) -> tuple[TensorSplit, np.ndarray]:
    """Windows of one workout each (lengths 150-500 steps), HR lagging speed, 3 % unmeasured."""
    rng = np.random.default_rng(seed)
    length = rng.integers(150, T + 1, windows).astype(np.int32)
    t = np.arange(T)
    speed = (
        10
        + 2 * np.sin(t[None, :] / rng.uniform(20, 80, (windows, 1)))
        + rng.normal(0, 0.5, (windows, T))
    )
    features = np.zeros((windows, T, len(FEATURE_NAMES)), np.float32)
    features[..., FEATURE_NAMES.index("speed")] = speed
    features[..., FEATURE_NAMES.index("altitude")] = np.cumsum(rng.normal(0, 0.3, (windows, T)), 1)
    features[..., FEATURE_NAMES.index("elapsed_time")] = 8.0 * t
    real = t[None, :] < length[:, None]
    heart_rate = (90 + 5 * speed + rng.normal(0, 3, (windows, T))).astype(np.float32)
    mask = real & (rng.random((windows, T)) > 0.03)
    heart_rate[~mask] = 0
    split = TensorSplit(
        features=features,
        heart_rate=heart_rate,
        mask=mask,
        user_index=rng.integers(0, 5000, windows).astype(np.int32),
        workout_id=np.array([f"fitrec/{i}" for i in range(windows)]),
        window_start=np.zeros(windows, np.int32),
        length=length,
        scaler=Scaler(FEATURE_NAMES, np.zeros(len(FEATURE_NAMES)), np.ones(len(FEATURE_NAMES))),
    )
    predicted = heart_rate + rng.normal(0, 8, heart_rate.shape).astype(np.float32)
    return split, predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--windows", type=int, default=45_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    split, predicted = synthetic_split(args.windows, args.seed)
    users = [f"fitrec/{u}" for u in range(5000)]
    timings = {}

    start = time.perf_counter()
    steps = step_table(split, users, predicted)
    steps = with_forecasts(steps.join(workout_categories(steps), on="workout", how="left"))
    steps = steps.with_columns(latent=None, quality_class=None)
    timings["steps"] = time.perf_counter() - start
    start = time.perf_counter()
    workouts = per_workout(steps)
    summary, tables = headline(steps, workouts), breakdowns(steps)
    timings["metrics"] = time.perf_counter() - start
    start = time.perf_counter()
    images = figures(steps, workouts, "bench")
    timings["figures"] = time.perf_counter() - start
    start = time.perf_counter()
    workouts = workouts.sort("workout")
    abs_error = np.stack([workouts["abs_error"].to_numpy() * (1 + 0.01 * m) for m in range(8)])
    counts = np.stack([workouts["steps"].to_numpy().astype(float)] * 8)
    intervals(abs_error, counts, reference=0)
    timings["bootstrap_8_models"] = time.perf_counter() - start

    total = sum(timings.values())
    rate = steps.height / total
    print(
        f"{steps.height:,} steps of {workouts.height:,} workouts ({len(tables)} breakdowns, "
        f"{len(images)} figures, test MAE {summary['test_mae']:.2f}): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        + f"; {rate / 1e6:.2f} M steps/s, peak RSS {peak_rss_mb():.0f} MB"
    )
    met = total < TARGET_SECONDS
    print(
        f"BENCH evaluate steps={steps.height} workouts={workouts.height} seconds={total:.1f} "
        f"target_seconds={TARGET_SECONDS:.0f} steps_per_s={rate:.0f} "
        f"peak_rss_mb={peak_rss_mb():.0f} target_met={str(met).lower()}"
    )


if __name__ == "__main__":
    main()
