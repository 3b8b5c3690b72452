"""What interpolating sparse heart rate costs: aligned HR vs the simulator's latent HR.

Simulates Apple Health exports (the sample preset unless told otherwise), runs pulselake's
ingestion and alignment exactly as the assets do, and compares every aligned step with the
truth sidecar's noise-free heart rate on the same GPS clock, per quality class. GOOD steps carry
only the optical sensor's noise; MEDIUM and SPARSE add what interpolation between samples loses.
Target: every aligned step finds its truth step (the clocks agree), GOOD MAE <= 5 bpm.
"""

import argparse
import shutil
import tempfile
from pathlib import Path

import polars as pl

from assets.sources.apple_health.align import align_runs
from assets.sources.apple_health.export import find_exports
from assets.sources.apple_health.export_pass import ApplePass
from assets.sources.apple_health.routes import read_all_routes
from simulator import APPLE_SAMPLE_PRESET, write_apple_exports

GOOD_MAE_TARGET = 5.0


def truth_of(folder: Path) -> pl.DataFrame:
    frames = [
        pl.read_parquet(path / "export.truth" / "latent_hr.parquet").select(
            user_id=pl.lit(path.name),
            start_time="workout_start",
            time="time",
            latent_hr="latent_hr",
        )
        for path in sorted(folder.iterdir())
    ]
    return pl.concat(frames)


def aligned_vs_truth(folder: Path) -> pl.DataFrame:
    exports = find_exports(folder)
    export_pass = ApplePass(exports)
    hr = export_pass.hr_samples.collect()
    workouts = export_pass.workouts
    with_route = workouts.filter(pl.col("route_path").is_not_null())
    tasks = [
        (
            e,
            with_route.filter(pl.col("user_id") == e.user_id)
            .select("workout_id", "route_path")
            .rows(),
        )
        for e in exports
    ]
    points, _ = read_all_routes(tasks)
    runs, report = align_runs(workouts, points, hr, export_pass.users)
    steps = (
        runs.select("workout_id", "user_id", "start_time", "timestamp", "heart_rate")
        .explode("timestamp", "heart_rate")
        .with_columns(time=pl.from_epoch("timestamp", "s").dt.replace_time_zone("UTC"))
        .filter(pl.col("heart_rate").is_not_null())
    )
    return steps.join(truth_of(folder), on=["user_id", "start_time", "time"], how="left").join(
        report.select("workout_id", "quality_class"), on="workout_id"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--users", type=int, default=APPLE_SAMPLE_PRESET["users"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-align-"))
    try:
        preset = {**APPLE_SAMPLE_PRESET, "users": args.users}
        write_apple_exports(work, seed=args.seed, **preset)
        steps = aligned_vs_truth(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    unmatched = steps["latent_hr"].null_count()
    by_class = (
        steps.group_by("quality_class")
        .agg(
            steps=pl.len(),
            workouts=pl.col("workout_id").n_unique(),
            mae_bpm=(pl.col("heart_rate") - pl.col("latent_hr")).abs().mean(),
        )
        .sort("quality_class")
    )
    print(by_class)
    mae = dict(by_class.select("quality_class", "mae_bpm").iter_rows())
    met = unmatched == 0 and mae.get("GOOD", float("inf")) <= GOOD_MAE_TARGET
    figures = " ".join(f"mae_{k.lower()}_bpm={v:.2f}" for k, v in sorted(mae.items()))
    print(
        f"BENCH apple_alignment steps={steps.height} unmatched_steps={unmatched} {figures} "
        f"target_met={str(met).lower()}"
    )


if __name__ == "__main__":
    main()
