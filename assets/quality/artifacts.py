"""Heart-rate sensor artifacts: detected as segments, repaired by masking.

Detectors work on the long frame of a batch (one row per step: `row` = workout, `step` = its
index in the workout, `heart_rate`, `speed`). They flag, they never reject: gate 5 then judges
the repaired heart rate. Detection is offline quality control of the target, so a detector may
look at samples on both sides of a step; nothing here becomes a model input. Steps are in
(row, step) order, so windows run over the whole frame, masked by `step` near workout
boundaries, and reads and writes go by position: no window function per workout and no join on
(row, step).

- out_of_range / dropout: samples outside hr_min..hr_max; a long run of them is a dropout.
- flatline: the same value for many steps (real heart rate, even rounded, keeps moving).
- spike: a few samples far above the level their neighbours hold, clearing both sides.
- cadence_lock: a chest strap reading step cadence: heart rate sits on what the speed implies
  for cadence and follows the speed step by step.
- offset: a constant shift of a whole or part of a workout, found against what speed and grade
  imply (assets/quality/artifact_offsets.py) and repaired by shifting back.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from assets.quality.artifact_offsets import CADENCE_PER_KMH, offsets
from schemas.workouts import ARTIFACT_KINDS

RUN_CADENCE_AT_8_KMH, RUN_CADENCE_RANGE = 150.0, (150.0, 185.0)
# Repaired by masking (set to null, never invented); offsets are shifted back instead.
REPAIRED = ("out_of_range", "dropout", "flatline", "spike", "cadence_lock")
SPIKE_EDGE_SHARE = 0.7  # of spike_bpm a spike must clear both neighbouring samples by
KINDS = tuple(ARTIFACT_KINDS)
step_index = pl.col("step")
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
    # and as long in time: interpolated 1 Hz heart rate (Apple) repeats a value between samples
    flatline_min_seconds: float = 90.0
    spike_bpm: float = 15.0
    spike_max_steps: int = 3
    lock_tolerance_bpm: float = 10.0  # |heart rate - cadence implied by speed|
    lock_min_steps: int = 18
    lock_jump_bpm: float = 12.0  # a strap locks on (or lets go) from one sample to the next
    lock_spread_bpm: float = 2.0  # sd of heart rate around the cadence fitted over the run
    lock_window: int = 15  # steps around each step over which a lock must follow the speed
    lock_follow_share: float = 0.6  # of heart rate's sd left once 3 bpm per km/h is taken off
    offset_window: int = 40  # steps each side of an edge over which the level shift must hold
    offset_bpm: float = 9.5  # smallest edge, and smallest gap of a piece to the baseline
    # a whole workout against the user's others: day-to-day sd ~5 bpm plus ~3 of level estimate.
    # 60,000 simulated workouts, seeds 5/7/11: offset precision 0.89-0.91 at 18, 0.91-0.93 at 19
    # (recall 1-2 points lower); a false flag shifts a clean workout's heart rate
    offset_whole_bpm: float = 19.0
    offset_min_workouts: int = 3  # of the user in the batch, for a reference level


def _segments(
    steps: pl.DataFrame, flag: pl.Expr, kind: str, min_steps: int, max_steps: int | None = None
) -> pl.DataFrame:
    """Runs of consecutive flagged steps within each workout, as segments [start, end), with
    their mean heart rate and duration.

    Only flagged steps are kept, in (row, step) order: a run opens where the flagged step before
    is not the step just before, and closes where the next one opens. Means come from a running
    sum read at both ends (every flag compares the heart rate, so flagged steps have one): no
    group_by over the runs."""
    step, row = pl.col("step"), pl.col("row")
    flagged = (
        steps.filter(flag.fill_null(False))
        .select(
            "row",
            "step",
            "timestamp",
            hr=pl.col("heart_rate").cast(pl.Float64),
            opens=((step != step.shift(1) + 1) | (row != row.shift(1))).fill_null(True),
        )
        .with_columns(total=pl.col("hr").cum_sum())
    )
    last = flagged.filter(pl.col("opens").shift(-1, fill_value=True))
    end = last["step"] + 1
    runs = flagged.filter("opens").select(
        "row",
        kind=pl.lit(kind),
        start="step",
        end=end,
        magnitude=(last["total"] - pl.col("total") + pl.col("hr")) / (end - pl.col("step")),
        seconds=last["timestamp"] - pl.col("timestamp"),
    )
    return runs.filter(
        (pl.col("end") - pl.col("start")).is_between(min_steps, max_steps or 1 << 30)
    ).cast(dict(SEGMENTS) | {"seconds": pl.Int64})


def detect(
    steps: pl.DataFrame, config: ArtifactConfig | None = None, users: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Artifact segments (row, kind, start, end, magnitude) in a long frame of steps; `users`
    (row, user_id) lets offsets be judged against the user's other workouts."""
    config = config or ArtifactConfig()
    hr = pl.col("heart_rate")
    invalid = (hr < config.hr_min) | (hr > config.hr_max)
    implausible = _segments(steps, invalid, "out_of_range", 1)
    long = (pl.col("end") - pl.col("start")) >= config.dropout_min_steps
    # a run of n equal values is n - 1 steps equal to the one before, plus its first step
    repeats = _segments(steps, ~invalid & (step_index >= 1) & (hr == hr.shift()), "flatline", 1)
    flat = repeats.with_columns(pl.col("start") - 1).filter(
        (pl.col("end") - pl.col("start") >= config.flatline_min_steps)
        & (pl.col("seconds") >= config.flatline_min_seconds)
    )
    locks = _cadence_locks(steps, config)
    found = pl.concat(
        [
            segments.select(SEGMENTS.names()).cast(dict(SEGMENTS))
            for segments in (
                implausible.with_columns(
                    kind=pl.when(long).then(pl.lit("dropout")).otherwise("kind")
                ),
                _spikes(steps, invalid, config),
                locks,
                _outside(flat, locks),
            )
        ]
    )
    # offsets are judged on the heart rate left once every other artifact is masked
    shifted = offsets(_masked(steps, found), users, config).with_columns(kind=pl.lit("offset"))
    return pl.concat([found, shifted.select(SEGMENTS.names()).cast(dict(SEGMENTS))]).sort(
        "row", "start"
    )


def _outside(segments: pl.DataFrame, others: pl.DataFrame) -> pl.DataFrame:
    """`segments` that overlap none of `others` in the same workout."""
    hits = segments.join(others, on="row", suffix="_o").filter(
        (pl.col("start") < pl.col("end_o")) & (pl.col("start_o") < pl.col("end"))
    )
    return segments.join(hits.select("row", "start"), on=["row", "start"], how="anti")


def _placed(segments: pl.DataFrame, steps: pl.DataFrame) -> pl.DataFrame:
    """Add each segment's workout's first position `workout_start` in `steps` (in (row, step)
    order) and its length `workout_length`: step (row, step) lies at position workout_start + step,
    so reads and writes need no join."""
    starts = steps.select("row", "step").with_row_index("position").filter(pl.col("step") == 0)
    starts = starts.select(
        "row",
        workout_start="position",
        workout_length=pl.col("position").shift(-1, fill_value=steps.height) - pl.col("position"),
    )
    return segments.join(starts, on="row")


def _positions(placed: pl.DataFrame, *keep: str) -> pl.DataFrame:
    """One row per step inside the placed segments: its position `at`, with the `keep` columns."""
    first = pl.col("workout_start")
    at = pl.int_ranges(first + pl.col("start"), first + pl.col("end"))
    return placed.select(*keep, at=at).explode("at").drop_nulls("at")


def _edges(segments: pl.DataFrame, steps: pl.DataFrame) -> pl.DataFrame:
    """Add the heart rate just before, first inside, last inside and just after each segment
    (null past either end of the workout), read by position; and `workout_start` (see `_placed`)."""
    placed = _placed(segments, steps)
    heart_rate = steps["heart_rate"]
    at = {"before": ("start", -1), "first": ("start", 0), "last": ("end", -1), "after": ("end", 0)}
    columns = {}
    for name, (edge, shift) in at.items():
        step = placed[edge] + shift
        inside = (step >= 0) & (step < placed["workout_length"])
        index = (placed["workout_start"] + step.clip(0, None)).clip(0, heart_rate.len() - 1)
        columns[name] = pl.select(pl.when(inside).then(heart_rate.gather(index))).to_series()
    return placed.drop("workout_length").with_columns(**columns)


def _cadence_locks(steps: pl.DataFrame, config: ArtifactConfig) -> pl.DataFrame:
    """Runs where heart rate sits on the step cadence the speed implies (running cadence rises
    from about 150 to 185 steps/min with speed, 3 per km/h), and follows the speed step by step:
    heart rate minus the cadence fitted over the run barely moves, where a heart's own noise and
    lag would. Candidates are runs near the cadence entered or left by a jump no heart does, and
    runs where, around each step, following the speed removes most of the heart rate's variation
    (the locked span alone when the heart beat near the cadence already); a jumped run that
    tracks the cadence wins over the spans inside it."""
    speed = pl.coalesce(pl.col("step_m") / pl.col("dt") * 3.6, pl.col("speed"))
    cadence = (RUN_CADENCE_AT_8_KMH + CADENCE_PER_KMH * (speed - 8)).clip(*RUN_CADENCE_RANGE)
    near = (pl.col("heart_rate") - cadence).abs() <= config.lock_tolerance_bpm
    runs = _edges(_segments(steps, near, "cadence_lock", config.lock_min_steps), steps)
    jump = pl.max_horizontal(
        (pl.col("first") - pl.col("before")).abs(), (pl.col("last") - pl.col("after")).abs()
    )
    jumped = runs.filter(jump >= config.lock_jump_bpm)
    window = config.lock_window
    sd = {  # whole-frame windows: a few steps at either end of a workout see its neighbour
        name: values.rolling_std(window, center=True, min_samples=window // 2)
        for name, values in (
            ("hr", pl.col("heart_rate")),
            ("off", pl.col("heart_rate") - CADENCE_PER_KMH * speed),
        )
    }
    follows = near & (sd["off"] <= config.lock_follow_share * sd["hr"])
    following = _segments(steps, follows, "cadence_lock", config.lock_min_steps)
    candidates = pl.concat([found.select("row", "start", "end") for found in (jumped, following)])
    locked = _tracking(steps, candidates, speed, config)
    # a jumped run that also holds the heart's own beats fails; the locked span inside it stays
    jumped_locks = locked.join(jumped.select("row", "start", "end"), on=["row", "start", "end"])
    return pl.concat([jumped_locks, _outside(locked, jumped_locks)])


def _tracking(
    steps: pl.DataFrame, candidates: pl.DataFrame, speed: pl.Expr, config: ArtifactConfig
) -> pl.DataFrame:
    """The candidate runs whose heart rate sits within lock_spread_bpm of a cadence line that
    follows the speed (3 per km/h) at the run's own level."""
    inside = _positions(_placed(candidates, steps), "row", "start", "end")
    speeds = steps.select(speed.cast(pl.Float64)).to_series()
    tracked = pl.col("heart_rate") - CADENCE_PER_KMH * pl.col("speed")
    fitted = (pl.col("level") + CADENCE_PER_KMH * pl.col("speed")).clip(*RUN_CADENCE_RANGE)
    return (
        inside.with_columns(
            heart_rate=steps["heart_rate"].gather(inside["at"]), speed=speeds.gather(inside["at"])
        )
        .with_columns(level=tracked.median().over("row", "start", "end"))
        .group_by("row", "start", "end")
        .agg(spread=(pl.col("heart_rate") - fitted).std(), magnitude=pl.col("heart_rate").mean())
        .filter(pl.col("spread") <= config.lock_spread_bpm)
        .select("row", kind=pl.lit("cadence_lock"), start="start", end="end", magnitude="magnitude")
    )


def _opened(steps: pl.DataFrame, values: pl.Expr, width: int) -> pl.Series:
    """Morphological opening: at each step, the highest level that some `width` consecutive
    steps of the workout around it all reach. Upward bumps narrower than `width` vanish, while
    trends (a start, a climb) and dips stay: the baseline a spike stands above."""
    step = step_index
    ahead = (pl.when(step.shift(-k) == step + k).then(values.shift(-k)) for k in range(1, width))
    # lowest over the `width` steps from each step on (fewer at the end), then highest of those
    floor = steps.select(step_index, floor=pl.min_horizontal(values, *ahead))
    back = (pl.when(step >= k).then(pl.col("floor").shift(k)) for k in range(1, width))
    return floor.select(pl.max_horizontal("floor", *back)).to_series()


def _spikes(steps: pl.DataFrame, invalid: pl.Expr, config: ArtifactConfig) -> pl.DataFrame:
    """Short runs far above their neighbours that also clear the samples just before and after
    them. Only upward: electrical interference reads high, while short dips are the heart
    slowing at a stop. A run at either end of a workout cannot be told from a start or a finish."""
    valid = pl.when(~invalid).then(pl.col("heart_rate"))
    baseline = _opened(steps, valid, config.spike_max_steps + 1)
    far = ~invalid & (pl.col("heart_rate") - baseline > config.spike_bpm)
    candidates = _edges(_segments(steps, far, "spike", 1, config.spike_max_steps), steps)
    above = pl.col("magnitude") - pl.max_horizontal("before", "after")
    sided = pl.col("before").is_not_null() & pl.col("after").is_not_null()
    return candidates.filter(sided & (above > SPIKE_EDGE_SHARE * config.spike_bpm)).select(
        SEGMENTS.names()
    )


def _masked(steps: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """`steps` with the heart rate of every step inside one of `segments` set to null."""
    heart_rate = steps["heart_rate"].clone()  # scattered into a copy, never into `steps`
    heart_rate.scatter(_positions(_placed(segments, steps))["at"], None)
    return steps.with_columns(heart_rate)


def repair(steps: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """Shift offset segments back by their magnitude, then mask the steps of every segment
    whose kind is repaired by masking (REPAIRED)."""
    shifts = _positions(_placed(segments.filter(pl.col("kind") == "offset"), steps), "magnitude")
    if shifts.height:
        heart_rate = steps["heart_rate"].clone()
        back = heart_rate.gather(shifts["at"]).cast(pl.Float64) - shifts["magnitude"]
        heart_rate.scatter(shifts["at"], back.cast(heart_rate.dtype))
        steps = steps.with_columns(heart_rate)
    return _masked(steps, segments.filter(pl.col("kind").is_in(REPAIRED)))
