"""Pieces of the data-quality audit report: tables and figures, as pure functions."""

from __future__ import annotations

import polars as pl

from assets.lake.figures import plt, png

# Gates whose verdict depends on heart rate, the target: their rejections change what a model is
# evaluated on, so the report counts them per split.
HR_GATES = ("required", "aligned", "heart_rate")


def distributions(clean: pl.LazyFrame) -> pl.DataFrame:
    """Per source: workouts, heart rate and speed (mean, std over steps), duration quantiles."""
    steps = clean.select("source", "heart_rate", "speed").explode("heart_rate", "speed")
    per_step = steps.group_by("source").agg(
        hr_mean=pl.col("heart_rate").mean(),
        hr_std=pl.col("heart_rate").std(),
        speed_mean_kmh=pl.col("speed").mean(),
        speed_std_kmh=pl.col("speed").std(),
    )
    minutes = (pl.col("timestamp").list.last() - pl.col("timestamp").list.first()) / 60
    per_workout = clean.group_by("source").agg(
        workouts=pl.len(),
        duration_min_p10=minutes.quantile(0.1),
        duration_min_p50=minutes.quantile(0.5),
        duration_min_p90=minutes.quantile(0.9),
    )
    return per_workout.join(per_step, on="source").sort("source").collect()


def speed_hr_correlation(workouts: pl.LazyFrame) -> pl.DataFrame:
    """Pooled Pearson r between speed and heart rate over every step, per source (workouts
    without a speed series, which only gating derives, are left out)."""
    paired = pl.col("speed").list.len() == pl.col("heart_rate").list.len()
    steps = (
        workouts.filter(paired.fill_null(False))
        .select("source", "heart_rate", "speed")
        .explode("heart_rate", "speed")
        .drop_nulls()
    )
    return (
        steps.group_by("source")
        .agg(r=pl.corr("speed", "heart_rate"), steps=pl.len())
        .sort("source")
        .collect()
    )


def histograms(clean: pl.LazyFrame) -> bytes:
    """Heart rate and speed distributions of the clean steps, one line per source."""
    steps = clean.select("source", "heart_rate", "speed").explode("heart_rate", "speed").collect()
    figure, axes = plt.subplots(1, 2, figsize=(9, 3))
    for source, part in steps.group_by("source", maintain_order=True):
        for ax, column, unit in zip(axes, ("heart_rate", "speed"), ("bpm", "km/h"), strict=True):
            ax.hist(
                part[column].drop_nulls(), bins=60, histtype="step", density=True, label=source[0]
            )
            ax.set_xlabel(f"{column.replace('_', ' ')} ({unit})")
    axes[0].legend()
    return png(figure)


def artifact_example(heart_rate: list[float | None], flag: dict) -> bytes:
    """One workout's measured heart rate with the flagged steps shaded."""
    figure, ax = plt.subplots(figsize=(9, 2.4))
    ax.plot(range(len(heart_rate)), heart_rate, linewidth=0.8)
    ax.axvspan(flag["start"], flag["end"] - 1, alpha=0.3, color="tab:red")
    ax.set_title(f"{flag['kind']} in {flag['source']} workout {flag['workout_id']}")
    ax.set_xlabel("step")
    ax.set_ylabel("bpm")
    return png(figure)


def rejections_by_split(rejected: pl.DataFrame, users: pl.DataFrame) -> pl.DataFrame:
    """Rejected workouts per gate and user_disjoint split of their user ("none": the user has
    no clean workout, so no split), then the clean workouts per split: how much each gate
    thinned each evaluation population."""
    split = pl.col("split").fill_null("none")
    keys = ["source", "user_id"]
    per_gate = (
        rejected.join(users.select(*keys, "split"), on=keys, how="left")
        .group_by("gate_number", "gate", split)
        .agg(workouts=pl.len().cast(pl.Int64))
    )
    kept = users.group_by("split").agg(workouts=pl.col("workouts").sum().cast(pl.Int64))
    kept = kept.select(
        gate_number=pl.lit(8, pl.Int8),
        gate=pl.lit("kept (clean)"),
        split=split,
        workouts="workouts",
    )
    counts = (
        pl.concat([per_gate, kept])
        .pivot("split", index=["gate_number", "gate"], values="workouts")
        .fill_null(0)
        .sort("gate_number")
    )
    columns = [s for s in ("train", "val", "test", "none") if s in counts.columns]
    return counts.select("gate", pl.col("gate").is_in(HR_GATES).alias("reads_heart_rate"), *columns)
