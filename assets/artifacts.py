"""Heart-rate sensor artifacts: detected as segments, repaired by masking or shifting.

Detectors work on the long frame of a batch (one row per step: `row` = workout, `i` = step,
`heart_rate`, `speed`). They flag, they never reject: gate 5 then judges the repaired heart rate.
Detection is offline quality control of the target, so a detector may look at samples on both
sides of a step; nothing here becomes a model input.

- out_of_range / dropout: samples outside hr_min..hr_max; a long run of them is a dropout.
- flatline: the same value for many steps (real heart rate, even rounded, keeps moving).
- spike: a few samples far above the median of their neighbours, clearing both sides.
- cadence_lock: a chest strap reading step cadence: heart rate jumps onto what the speed implies
  for cadence and stays there.
- offset: a level shift of the residual (heart rate minus what speed implies for this workout)
  that starts and ends abruptly (a partial offset).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from schemas.workouts import ARTIFACT_KINDS

SPIKE_EDGE_SHARE = 0.7  # of spike_bpm a spike must clear both neighbouring samples by
KINDS = tuple(ARTIFACT_KINDS)
SEGMENTS = pl.Schema(
    {
        "row": pl.UInt32,
        "kind": pl.String,
        "start": pl.Int64,
        "end": pl.Int64,
        "magnitude": pl.Float64,
    }
)


@dataclass(frozen=True)
class ArtifactConfig:
    hr_min: float = 30.0
    hr_max: float = 230.0
    dropout_min_steps: int = 6
    flatline_min_steps: int = 20  # natural runs of one rounded value reach ~18 (simulated)
    spike_window: int = 7
    spike_bpm: float = 15.0
    spike_max_steps: int = 3
    lock_tolerance_bpm: float = 4.0
    lock_min_steps: int = 15
    offset_window: int = 20
    offset_bpm: float = 8.0
    offset_min_steps: int = 40


def _segments(
    steps: pl.DataFrame, flag: pl.Expr, kind: str, min_steps: int, max_steps: int | None = None
) -> pl.DataFrame:
    """Runs of consecutive flagged steps within each workout, as segments [start, end)."""
    runs = (
        steps.select("row", "i", "heart_rate", flag=flag.fill_null(False))
        .with_columns(run=pl.col("flag").rle_id().over("row"))
        .filter("flag")
        .group_by("row", "run")
        .agg(
            start=pl.col("i").min(),
            end=pl.col("i").max() + 1,
            magnitude=pl.col("heart_rate").mean(),
        )
        .filter((pl.col("end") - pl.col("start")).is_between(min_steps, max_steps or 1 << 30))
    )
    return runs.select(
        "row", kind=pl.lit(kind), start="start", end="end", magnitude=pl.col("magnitude")
    ).cast(dict(SEGMENTS))


def detect(steps: pl.DataFrame, config: ArtifactConfig | None = None) -> pl.DataFrame:
    """Artifact segments (row, kind, start, end, magnitude) in a long frame of steps."""
    c = config or ArtifactConfig()
    hr = pl.col("heart_rate")
    invalid = (hr < c.hr_min) | (hr > c.hr_max)
    valid = pl.when(~invalid).then(hr)
    median = valid.rolling_median(c.spike_window, center=True, min_samples=1).over("row")
    same_run = hr.rle_id().over("row")
    run_length = pl.len().over("row", same_run)
    found = [
        _segments(steps, invalid & (run_length < c.dropout_min_steps), "out_of_range", 1),
        _segments(steps, invalid & (run_length >= c.dropout_min_steps), "dropout", 1),
        _segments(steps, ~invalid & (run_length >= c.flatline_min_steps), "flatline", 1),
        _spikes(steps, ~invalid & (hr - median > c.spike_bpm), c),
    ]
    return pl.concat(found).sort("row", "start")


def _spikes(steps: pl.DataFrame, far: pl.Expr, c: ArtifactConfig) -> pl.DataFrame:
    """Short runs far above their neighbours' median that also clear the samples just before and
    after them. Only upward: electrical interference reads high, while short dips are the heart
    slowing at a stop. A run at either end of a workout cannot be told from a start or a finish."""
    candidates = _segments(steps, far, "spike", 1, c.spike_max_steps)
    values = steps.select("row", "i", "heart_rate")
    before = values.rename({"i": "start", "heart_rate": "before"}).with_columns(pl.col("start") + 1)
    after = values.rename({"i": "end", "heart_rate": "after"})
    bounded = candidates.join(before, on=["row", "start"]).join(after, on=["row", "end"])
    above = pl.col("magnitude") - pl.max_horizontal("before", "after")
    return bounded.filter(above > SPIKE_EDGE_SHARE * c.spike_bpm).select(SEGMENTS.names())


def repair(steps: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """Mask every flagged step (heart rate becomes null there)."""
    masked = (
        segments.filter(pl.col("kind") != "offset")
        .select("row", i=pl.int_ranges("start", "end"))
        .explode("i")
        .unique()
    )
    return (
        steps.join(masked.with_columns(masked=pl.lit(True)), on=["row", "i"], how="left")
        .with_columns(heart_rate=pl.when(pl.col("masked")).then(None).otherwise("heart_rate"))
        .drop("masked")
    )
