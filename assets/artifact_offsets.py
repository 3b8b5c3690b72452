"""Constant heart-rate offsets (a strap or a watch reading a fixed amount high or low), found
against what the workout's speed and grade imply, not against heart-rate statistics alone.

Physiology: heart rate approaches a steady state that rises linearly with the metabolic cost
of running (ACSM: cost ~ speed * (1 + 4.5 grade), descents counting half), with first-order
kinetics (time constant ~30 s). Fitted per workout as a one-step model, HR_i = HR_i-1 +
a_i * (A + B * cost_i - HR_i-1) with a_i = 1 - exp(-dt_i / tau), so a heart-rate change the
speed explains leaves no innovation, while an offset switching on or off leaves an innovation
of its full size at one step, and a level shift that persists on both sides of it.

A workout is cut into pieces at those edges. Each piece's level (heart rate minus what the
user's cost slope implies) is compared with the level of the user's other workouts in the batch
(the median, so one bad workout does not move it); the piece closest to it is the baseline and
pieces far from it are offsets. A whole-workout offset has no edge: only the user comparison
finds it, so it needs a few workouts of the same user.
"""

from __future__ import annotations

import polars as pl

TAU_S = 30.0  # heart-rate time constant (rise 20-45 s in the literature)
GRADE_COST = 4.5  # ACSM: 0.9 v grade against 0.2 v on the flat


def _features(steps: pl.DataFrame) -> pl.DataFrame:
    """Cost of running at each step (from positions where present) and the one-step model's
    innovation, with the per-workout fit of A and B."""
    hr = pl.col("heart_rate").cast(pl.Float64)
    climb = (pl.col("altitude") - pl.col("altitude").shift(1)).over("row")
    ran = pl.col("step_m").rolling_sum(3, center=True, min_samples=1).over("row").clip(3, None)
    grade = (climb.rolling_sum(3, center=True, min_samples=1).over("row") / ran).clip(-0.15, 0.15)
    grade = grade.fill_null(0.0)
    speed = pl.coalesce(pl.col("step_m") / pl.col("dt") * 3.6, pl.col("speed")).cast(pl.Float64)
    frame = steps.select(
        "row",
        "i",
        hr=hr,
        cost=speed * (1 + GRADE_COST * pl.when(grade < 0).then(grade / 2).otherwise(grade)),
        gain=1 - (-pl.col("dt") / TAU_S).exp(),
        prev=hr.shift(1).over("row"),
    ).with_columns(y=pl.col("hr") - (1 - pl.col("gain")) * pl.col("prev"))
    a, c, y = pl.col("gain"), pl.col("cost"), pl.col("y")
    fit = (
        frame.filter(y.is_not_null() & c.is_not_null())
        .group_by("row")
        .agg(
            s11=(a * a).sum(),
            s12=(a * a * c).sum(),
            s22=(a * a * c * c).sum(),
            t1=(a * y).sum(),
            t2=(a * c * y).sum(),
        )
        .with_columns(det=pl.col("s11") * pl.col("s22") - pl.col("s12") ** 2)
        .with_columns(  # a steady pace cannot separate A from B: heart rate is then level
            B=pl.when(pl.col("det") > 1e-6 * pl.col("s11") * pl.col("s22"))
            .then((pl.col("s11") * pl.col("t2") - pl.col("s12") * pl.col("t1")) / pl.col("det"))
            .otherwise(0.0)
        )
        .select("row", "B", A=(pl.col("t1") - pl.col("B") * pl.col("s12")) / pl.col("s11"))
    )
    return frame.join(fit, on="row", how="left").with_columns(
        innovation=y - a * (pl.col("A") + pl.col("B") * c),
        lagged=c.fill_null(strategy="forward").ewm_mean(alpha=0.2).over("row"),
    )


def _edges(frame: pl.DataFrame, c) -> pl.DataFrame:
    """Steps where an offset switches on or off: a one-step innovation the speed does not
    explain, and a level shift of the same sign over the next and previous `offset_window`
    steps; the sharpest within a window."""
    w = c.offset_window
    level = pl.col("hr") - pl.col("B") * pl.col("lagged")
    after = level.rolling_median(w, min_samples=w // 2).shift(-w + 1).over("row")
    before = level.rolling_median(w, min_samples=w // 2).shift(1).over("row")
    shift = pl.col("shift")
    frame = frame.with_columns(shift=after - before)
    jump = pl.col("innovation").abs()
    strongest = jump.rolling_max(2 * w + 1, center=True, min_samples=1).over("row")
    return frame.filter(
        (pl.col("innovation").abs() >= c.offset_bpm)
        & (shift.abs() >= c.offset_bpm)
        & (pl.col("innovation").sign() == shift.sign())
        & (jump >= strongest)
    ).select("row", "i")


def offsets(steps: pl.DataFrame, users: pl.DataFrame | None, c) -> pl.DataFrame:
    """Offset segments (row, start, end, magnitude: bpm to subtract) in a long frame of steps
    whose other artifacts are masked (null), `users` mapping each row to its user (None: only
    edges within a workout count)."""
    frame = _features(steps)
    edges = _edges(frame, c)
    cuts = pl.concat([frame.group_by("row").agg(i=pl.lit(0, pl.Int64)), edges]).unique()
    pieces = frame.join(cuts.with_columns(piece=pl.col("i")), on=["row", "i"], how="left")
    pieces = pieces.with_columns(pl.col("piece").forward_fill().over("row"))
    users = users if users is not None else steps.select("row").unique().with_columns(user_id=None)
    slope = (
        frame.group_by("row")
        .agg(pl.col("B").first())
        .join(users.select("row", "user_id"), on="row", how="left")
        .with_columns(
            slope=pl.when(pl.col("user_id").is_null())
            .then("B")
            .otherwise(pl.col("B").median().over("user_id"))
        )
    )
    level = pl.col("hr") - pl.col("slope") * pl.col("lagged")
    found = (
        pieces.join(slope.select("row", "user_id", "slope"), on="row")
        .group_by("row", "piece")
        .agg(
            pl.col("user_id").first(),
            end=pl.col("i").max() + 1,
            level=level.median(),
            steps=level.count(),
        )
        .filter(pl.col("steps") > 0)
    )
    workout = found.group_by("row").agg(
        pl.col("user_id").first(), level=pl.col("level").sort_by("steps").last()
    )
    peers = (
        workout.filter(pl.col("user_id").is_not_null())
        .group_by("user_id")
        .agg(reference=pl.col("level").median(), workouts=pl.len())
        .filter(pl.col("workouts") >= c.offset_min_workouts)
    )
    found = found.join(peers, on="user_id", how="left").with_columns(
        pieces=pl.len().over("row"), distance=(pl.col("level") - pl.col("reference")).abs()
    )
    baseline = (
        pl.when(pl.col("reference").is_null())
        .then(pl.col("level").sort_by("steps").last())
        .otherwise(pl.col("level").sort_by("distance").first())
        .over("row")
    )
    off = pl.col("level") - pl.when(pl.col("pieces") > 1).then(baseline).otherwise("reference")
    threshold = pl.when(pl.col("pieces") > 1).then(c.offset_bpm).otherwise(c.offset_whole_bpm)
    return (
        found.with_columns(magnitude=off)
        .filter(pl.col("magnitude").abs() >= threshold)
        .select("row", start="piece", end="end", magnitude="magnitude")
    )
