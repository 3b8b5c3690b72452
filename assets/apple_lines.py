"""Classify export.xml lines with polars: element tags, nesting, and the elements each line is in.

Nesting is a running sum of opening minus closing tags, so Records nested in a <Correlation>
(which Apple also lists at top level) are told apart from top-level ones, and children such as a
heart-rate record's MetadataEntry are tied to their parent by the parent's top-level number.
"""

from __future__ import annotations

import polars as pl

TAG = r"^\s*<(/?[A-Za-z][\w.:-]*)"
ROOT = "HealthData"
HR_TYPE_ATTRIBUTE = 'type="HKQuantityTypeIdentifierHeartRate"'
MOTION_KEY = 'key="HKMetadataKeyHeartRateMotionContext"'
# Top-level elements whose whole text is parsed with lxml (few per export).
BLOCK_TAGS = ("Workout", "Me", "ExportDate")


def classify(lines: pl.DataFrame) -> pl.DataFrame:
    """Add tag, depth_before/after (0 = in HealthData), top_start, top_no, top_tag per line.

    The root's own tags are ignored, so depth counts from inside <HealthData>. Lines that are not
    tags (blank, or a value continued from the line before) keep the element they are in.
    """
    tag = pl.col("tag")
    is_tag = tag.is_not_null() & ~tag.is_in([ROOT, f"/{ROOT}"])
    closes = is_tag & tag.str.starts_with("/")
    opens = is_tag & ~closes & ~pl.col("line").str.ends_with("/>")
    step = opens.cast(pl.Int32) - closes.cast(pl.Int32)
    starts = is_tag & ~closes & (pl.col("depth_before") == 0)  # the step is computed once
    return (
        lines.with_columns(tag=pl.col("line").str.extract(TAG))
        .with_columns(step=step, closes_root=tag == f"/{ROOT}")
        .with_columns(depth_after=pl.col("step").cum_sum())
        .with_columns(depth_before=pl.col("depth_after") - pl.col("step"))
        .with_columns(top_start=starts)
        .with_columns(top_no=pl.col("top_start").cum_sum())
        .with_columns(top_tag=pl.when("top_start").then(tag).forward_fill())
    )


def complete_prefix(classified: pl.DataFrame) -> int:
    """Lines that form whole top-level elements: everything before the last element starts,
    since that one may continue in the next block."""
    starts = classified.select(pl.arg_where("top_start")).to_series()
    return int(starts[-1]) if len(starts) else classified.height


def _motion_context() -> pl.Expr:
    """A motion MetadataEntry line's value, or null when the line is not as Apple writes it."""
    parts = pl.col("line").str.split('"')
    value = parts.list.get(3, null_on_oob=True).cast(pl.Int8, strict=False)
    return pl.when(parts.list.get(2, null_on_oob=True) == " value=").then(value)


MOTION_CONTEXT = _motion_context()


def heart_rate_lines(classified: pl.DataFrame) -> pl.DataFrame:
    """Top-level heart-rate Records (exact type, never HRV or resting HR) with their motion context.

    Returns line_number, line and motion_context (the child MetadataEntry's value, or null).
    """
    lines = classified.lazy()
    records = lines.filter(
        (pl.col("tag") == "Record")
        & pl.col("top_start")
        & pl.col("line").str.contains(HR_TYPE_ATTRIBUTE, literal=True)
    )
    motion = lines.filter(
        (pl.col("tag") == "MetadataEntry")
        & (pl.col("depth_before") == 1)
        & (pl.col("top_tag") == "Record")
        & pl.col("line").str.contains(MOTION_KEY, literal=True)
    ).select("top_no", motion_context=MOTION_CONTEXT)
    return (
        records.join(motion, on="top_no", how="left", maintain_order="left")
        .select("line_number", "line", "motion_context")
        .collect()
    )


def element_blocks(classified: pl.DataFrame) -> pl.DataFrame:
    """Whole text of each top-level Workout, Me and ExportDate element (line_number, tag, text)."""
    return (
        classified.filter(
            pl.col("top_tag").is_in(BLOCK_TAGS)
            & (pl.col("top_start") | (pl.col("depth_before") > 0))
        )
        .group_by("top_no", maintain_order=True)
        .agg(
            pl.col("line_number").first(),
            pl.col("top_tag").first().alias("tag"),
            pl.col("line").str.join("\n").alias("text"),
        )
        .drop("top_no")
    )


def record_counts(classified: pl.DataFrame) -> dict[str, int]:
    """How many Records were seen, top level and nested (nested ones duplicate top-level ones)."""
    record = pl.col("tag") == "Record"
    counts = classified.select(
        records=(record & pl.col("top_start")).sum(),
        nested_records=(record & ~pl.col("top_start")).sum(),
    ).row(0, named=True)
    return {key: int(value) for key, value in counts.items()}
