"""Detector precision and recall against a log of injected artifacts (the simulator's truth)."""

import polars as pl


def overlaps(found: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """found/truth: workout_id, kind, start, end -> pairs of the same kind that overlap, by
    their positions `found_at` and `truth_at` in `found` and `truth`."""
    return (
        found.with_row_index("found_at")
        .join(truth.with_row_index("truth_at"), on=["workout_id", "kind"], suffix="_truth")
        .filter((pl.col("start") < pl.col("end_truth")) & (pl.col("start_truth") < pl.col("end")))
    )


def recall_by_size(found: pl.DataFrame, truth: pl.DataFrame, kind: str, width: int) -> pl.DataFrame:
    """Recall of one kind per `width`-bpm band of |magnitude| (truth needs a magnitude column),
    bands named by their lower edge: how much a detector misses depends on how far an artifact
    moves the heart rate."""
    logged = truth.filter(pl.col("kind") == kind).with_row_index("truth_at")
    hit = overlaps(found, logged.drop("truth_at")).select("truth_at").unique()
    hit = hit.with_columns(tp=pl.lit(True))
    size = (pl.col("magnitude").abs() // width * width).cast(pl.Int64).alias("bpm_from")
    return (
        logged.join(hit, on="truth_at", how="left")
        .group_by(size)
        .agg(logged=pl.len(), recall=pl.col("tp").fill_null(False).mean())
        .sort("bpm_from")
    )


def scores(found: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    pairs = overlaps(found, truth)
    hit_found = pairs.select("found_at").unique().with_columns(tp=pl.lit(True))
    hit_truth = pairs.select("truth_at").unique().with_columns(tp=pl.lit(True))
    precision = (
        found.with_row_index("found_at")
        .join(hit_found, on="found_at", how="left")
        .group_by("kind")
        .agg(detected=pl.len(), precision=pl.col("tp").fill_null(False).mean())
    )
    recall = (
        truth.with_row_index("truth_at")
        .join(hit_truth, on="truth_at", how="left")
        .group_by("kind")
        .agg(logged=pl.len(), recall=pl.col("tp").fill_null(False).mean())
    )
    return recall.join(precision, on="kind", how="full", coalesce=True).sort("kind")


def offset_recall_ceiling(runs: pl.DataFrame, logged: pl.DataFrame, precision: float) -> float:
    """The highest offset recall any detector could reach at `precision`, on the simulator's
    own terms: partial offsets all found (their edges show), and each whole-workout offset seen
    as its workout's exact level, which the day's own offset (runs: workout_id, day_offset)
    moves as well, so only a threshold on |day offset + magnitude| can tell it from a clean run.
    `logged`: offsets (workout_id, magnitude, whole) on `runs`. Flagging runs from the highest
    |level| down, the recall of the longest prefix that keeps `precision`."""
    partial = logged.filter(~pl.col("whole")).height
    level = runs.join(logged, on="workout_id", how="left").filter(pl.col("whole").fill_null(True))
    ranked = level.select(
        offset=pl.col("magnitude").is_not_null(),
        size=(pl.col("day_offset") + pl.col("magnitude").fill_null(0.0)).abs(),
    ).sort("size", descending=True)
    found = ranked.select(
        hit=pl.col("offset").cum_sum() + partial, flagged=pl.int_range(1, pl.len() + 1) + partial
    )
    kept = found.filter(pl.col("hit") >= precision * pl.col("flagged"))["hit"]
    return max(kept.max() or 0, partial) / max(logged.height, 1)
