"""Constant heart-rate offsets (a strap or a watch reading a fixed amount high or low), found
against what the workout's speed and grade imply, not against heart-rate statistics alone.

Physiology: heart rate approaches a steady state that rises linearly with the metabolic cost
of running (ACSM: cost ~ speed * (1 + 4.5 grade), descents counting half), with first-order
kinetics (time constant ~30 s). Fitted per workout as a one-step model, HR_i = HR_i-1 +
a_i * (A + B * cost_i - HR_i-1) with a_i = 1 - exp(-dt_i / tau), so a heart-rate change the
speed explains leaves no innovation, while an offset switching on or off leaves an innovation
of its full size at one step, and a level shift that persists on both sides of it.

A workout is cut into pieces at those edges (never across a recording gap: heart rate settles
anew there). Each piece's level (heart rate minus what the user's slopes imply for the cost
heart rate lags behind, from rest at the start, and for the drift that grows with the work
done) is compared with the level of the user's other workouts in the batch (the median, so
one bad workout does not move it); the piece closest to it is the baseline and pieces far
from it are offsets. A whole-workout offset has no edge: only the user comparison finds it,
so it needs a few workouts of the same user, and one smaller than the day-to-day spread of
heart rate (sd ~5 bpm) cannot be told from a good or bad day.

Speed: the steps come as one long frame in (row, step) order, so every per-step quantity is a
whole-frame shift, rolling window or running sum, masked by the step index `step` where it would
reach into the neighbouring workout; per-workout values are broadcast back by the workout's
ordinal. No window function runs per workout and no step-level join is needed; per-workout
sums group by that ordinal, a key sorted by construction.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:  # artifacts imports this module
    from assets.quality.artifacts import ArtifactConfig

TAU_S = 30.0  # heart-rate time constant (rise 20-45 s in the literature)
GRADE_COST = 4.5  # ACSM: 0.9 v grade against 0.2 v on the flat
CADENCE_PER_KMH = 3.0  # running cadence rises ~3 steps/min per km/h (cadence locks use it too)
# of offset_bpm the level shift around an edge must reach: the window means also move with
# heart rate's own wander (several bpm), and a piece cut where no offset starts keeps its level
SHIFT_SHARE = 0.5
WORKOUT_PAUSE_S = 10**7  # between workouts on the frame's clock: no average carries over

step_index = pl.col("step")
first_step = step_index == 0
workout_ordinal = first_step.cum_sum() - 1  # each step's workout, by position in the frame


def _around(values: pl.Expr) -> pl.Expr:
    """Sum of `values` over a step and its two neighbours in the same workout (`values` is 0 at
    step 0, so the next workout's first step adds nothing)."""
    before = pl.when(step_index >= 1).then(values.shift(1)).otherwise(0.0)
    return values + before + values.shift(-1).fill_null(0.0)


def _sums(frame: pl.DataFrame, **columns: pl.Expr) -> pl.DataFrame:
    """Per workout, in frame order: its row and the sum of each of `columns`. Grouped by the
    workout's ordinal, sorted by construction: a key known to be sorted groups without hashing."""
    return (
        frame.select("workout", "row", **columns)
        .group_by("workout", maintain_order=True)
        .agg(pl.col("row").first(), *(pl.col(name).sum() for name in columns))
        .drop("workout")
    )


def _one_step() -> tuple[dict[str, pl.Expr], dict[str, pl.Expr]]:
    """The one-step model's least squares of y_i = HR_i - (1 - a_i) HR_i-1 (`target`) on a_i
    (`gain`) and a_i cost_i: the sums per workout it needs, and its A (`intercept`) and B
    (`cost_slope`) from them."""
    valid = pl.col("target").is_not_null() & pl.col("cost").is_not_null()
    a, c, y = (pl.when(valid).then(pl.col(name)) for name in ("gain", "cost", "target"))
    sums = dict(s11=a * a, s12=a * a * c, s22=a * a * c * c, t1=a * y, t2=a * c * y)
    s11, s12, s22, t1, t2 = (pl.col(name) for name in sums)
    det = s11 * s22 - s12**2
    # a steady pace cannot separate A from B: heart rate is then level
    b = pl.when(det > 1e-6 * s11 * s22).then((s11 * t2 - s12 * t1) / det).otherwise(0.0)
    return sums, dict(intercept=pl.when(s11 > 0).then((t1 - b * s12) / s11), cost_slope=b)


def _drifting() -> tuple[dict[str, pl.Expr], dict[str, pl.Expr]]:
    """Least squares of heart rate on the lagging cost and the effort so far: the sums per
    workout it needs, and its slopes from them: `lagged_slope` (bpm per unit of lagging cost)
    and `drift_slope` (bpm per cost hour of effort). Heart rate creeps up with the work done
    (cardiac drift, some bpm an hour), so a level that ignored it would tell long and late
    from short and early."""
    valid = pl.col("hr").is_not_null() & pl.col("lagged").is_not_null()
    x, z, y = (pl.when(valid).then(pl.col(name)) for name in ("lagged", "effort", "hr"))
    sums = dict(
        n=valid.cast(pl.Float64), x=x, z=z, y=y, xx=x * x, xz=x * z, zz=z * z, xy=x * y, zy=z * y
    )
    n, x, z, y = (pl.col(name) for name in ("n", "x", "z", "y"))
    sxx, sxz, szz = pl.col("xx") - x * x / n, pl.col("xz") - x * z / n, pl.col("zz") - z * z / n
    sxy, szy = pl.col("xy") - x * y / n, pl.col("zy") - z * y / n
    det = sxx * szz - sxz**2
    solvable = det > 1e-6 * sxx * szz  # a steady pace from the first step on: nothing to fit
    return sums, dict(
        lagged_slope=pl.when(solvable).then((szz * sxy - sxz * szy) / det).otherwise(0.0),
        drift_slope=pl.when(solvable).then((sxx * szy - sxz * sxy) / det).otherwise(0.0),
    )


def _features(steps: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per step: its workout's ordinal, heart rate, the one-step model's innovation, the
    workout's cost slope B, the cost heart rate lags behind and the effort so far (the cost's
    running integral, in cost hours); and per workout (row, cost_slope, lagged_slope,
    drift_slope): see `_one_step` and `_drifting`."""
    hr = pl.col("heart_rate").cast(pl.Float64)
    climb = pl.when(step_index >= 1).then(pl.col("altitude") - pl.col("altitude").shift(1))
    frame = steps.select(
        "row",
        "step",
        workout=workout_ordinal.set_sorted(),
        hr=hr,
        prev=pl.when(step_index >= 1).then(hr.shift(1)),
        dt=pl.col("dt").cast(pl.Int64),
        gain=1 - (-pl.col("dt") / TAU_S).exp(),
        speed=pl.coalesce(pl.col("step_m") / pl.col("dt") * 3.6, pl.col("speed")),
        climb=climb.fill_null(0.0),
        ran=pl.col("step_m").fill_null(0.0),
    )
    grade = (_around(pl.col("climb")) / _around(pl.col("ran")).clip(3, None)).clip(-0.15, 0.15)
    frame = frame.with_columns(
        target=pl.col("hr") - (1 - pl.col("gain")) * pl.col("prev"), grade=grade
    ).with_columns(
        cost=pl.col("speed").cast(pl.Float64)
        * (1 + GRADE_COST * pl.when(pl.col("grade") < 0).then(0.5).otherwise(1.0) * pl.col("grade"))
    )
    # the lagging cost: an exponential average over time, started at rest (0) at each workout's
    # first step. One average over the whole frame, on a clock that pauses long between
    # workouts (so each starts from its first cost), less that first cost as it decays.
    frame = frame.with_columns(
        clock=pl.when(first_step).then(WORKOUT_PAUSE_S).otherwise("dt").cum_sum(),
        # a workout whose speed starts missing starts from its second step's cost
        cost_filled=pl.when(first_step)
        .then(pl.coalesce("cost", pl.col("cost").shift(-1)))
        .otherwise("cost")
        .forward_fill(),
    )
    average = pl.col("cost_filled").ewm_mean_by("clock", half_life=f"{round(TAU_S * math.log(2))}i")
    since_start = (pl.col("clock") - pl.when(first_step).then("clock").forward_fill()) / TAU_S
    at_start = pl.when(first_step).then("cost_filled").forward_fill()
    work = (pl.col("cost_filled") * pl.col("dt").fill_null(0)).cum_sum()
    frame = frame.with_columns(
        lagged=average - at_start * (-since_start).exp(),
        effort=(work - pl.when(first_step).then(work).forward_fill()) / 3600,
    )
    (one_step, model), (drifting, level) = _one_step(), _drifting()
    fit = _sums(frame, **one_step, **drifting).select("row", **model, **level)
    intercept = fit["intercept"].gather(frame["workout"])
    cost_slope = fit["cost_slope"].gather(frame["workout"])
    return frame.select(
        "row",
        "step",
        "workout",
        "hr",
        "dt",
        "lagged",
        "effort",
        "speed",
        cost_slope=cost_slope,
        innovation=pl.col("target") - pl.col("gain") * (intercept + cost_slope * pl.col("cost")),
    ), fit.select("row", "cost_slope", "lagged_slope", "drift_slope")


def _edges(frame: pl.DataFrame, config: ArtifactConfig) -> pl.Series:
    """Steps where an offset switches on or off: a one-step innovation the speed does not
    explain, and a level shift of the same sign (SHIFT_SHARE) between the next and the previous
    `offset_window` steps (means: the other artifacts are masked already); the sharpest within
    `offset_window` steps either way. Both windows must lie inside the workout. Not across a
    recording gap longer than the heart's time constant: heart rate settles anew there (a stop,
    a restart), by more than the one-step model's level explains.

    Only a step whose innovation reaches `offset_bpm` can be an edge or outdo one, so the tests
    run on those few, reading the whole frame's window means by position."""
    window, height = config.offset_window, frame.height
    level = (pl.col("hr") - pl.col("cost_slope") * pl.col("lagged")).rolling_mean(
        window, min_samples=window // 2
    )
    means, index = frame.select(level).to_series(), frame["step"]

    def at(by: int, series: pl.Series) -> pl.Expr:
        """`series` read `by` positions past each row's position in the frame."""
        return pl.lit(series).gather((pl.col("position").cast(pl.Int64) + by).clip(0, height - 1))

    step, jump = pl.col("step"), pl.col("innovation").abs()
    after = pl.when(at(window - 1, index) == step + window - 1).then(at(window - 1, means))
    shift = after - pl.when(step >= window).then(at(-1, means))
    behind = jump.rolling_max_by("position", window_size=f"{window + 1}i")
    ahead = jump.rolling_max_by(height - pl.col("position"), window_size=f"{window + 1}i")
    edges = (
        frame.select("step", "dt", "innovation")
        .with_row_index("position")
        .filter(jump >= config.offset_bpm)
        .with_columns(shift=shift, behind=behind)
        .reverse()
        .with_columns(ahead=ahead)
        .filter(
            (pl.col("shift").abs() >= SHIFT_SHARE * config.offset_bpm)
            & (pl.col("innovation").sign() == pl.col("shift").sign())
            & (jump >= pl.max_horizontal("behind", "ahead"))
            & (pl.col("dt") <= TAU_S)
        )
    )
    return pl.repeat(False, height, eager=True).scatter(edges["position"], True)


def _end(name: str, index: int) -> pl.Expr:
    """`name` of its workout's first (index 0) or last (index -1) piece, on every piece."""
    return pl.col(name).sort_by("start").get(index).over("row")


def offsets(
    steps: pl.DataFrame, users: pl.DataFrame | None, config: ArtifactConfig
) -> pl.DataFrame:
    """Offset segments (row, start, end, magnitude: bpm to subtract) in a long frame of steps
    (in (row, step) order) whose other artifacts are masked (null), `users` mapping each row to its
    user (None: only edges within a workout count)."""
    frame, fit = _features(steps)
    users = users if users is not None else fit.select("row", user_id=pl.lit(None, pl.String))
    slope = fit.join(users.select("row", "user_id"), on="row", how="left", maintain_order="left")
    slope = slope.select(
        "row",
        "user_id",
        # drift is told from an offset only across the user's workouts: alone, a workout keeps
        # its one-step slope and no drift (its own fit would take part of an offset for drift)
        lagged_slope=pl.when(pl.col("user_id").is_null())
        .then("cost_slope")
        .otherwise(pl.col("lagged_slope").median().over("user_id")),
        drift_slope=pl.when(pl.col("user_id").is_null())
        .then(0.0)
        .otherwise(pl.col("drift_slope").median().over("user_id")),
    )
    # pieces are runs of steps between cuts, numbered by a running count of cuts
    ordinal = frame["workout"]
    level = (
        pl.col("hr")
        - slope["lagged_slope"].gather(ordinal) * pl.col("lagged")
        - slope["drift_slope"].gather(ordinal) * pl.col("effort")
    )
    found = (
        frame.select(
            "row",
            "step",
            "hr",
            piece=(first_step | _edges(frame, config)).cum_sum().set_sorted(),
            level=level,
            off_cadence=pl.col("hr") - CADENCE_PER_KMH * pl.col("speed"),
        )
        .group_by("piece", maintain_order=True)
        .agg(
            pl.col("row").first(),
            start=pl.col("step").first(),
            end=pl.col("step").last() + 1,
            level=pl.col("level").median(),
            steps=pl.col("level").count(),
            # a strap reading step cadence follows the speed step by step, which a heart's own
            # lag and noise never do: such a piece is a cadence lock, not an offset
            locked=pl.col("off_cadence").std() < config.lock_follow_share * pl.col("hr").std(),
        )
        .filter(pl.col("steps") > 0)
        .join(slope.select("row", "user_id"), on="row")
    )
    workout = found.group_by("row").agg(
        pl.col("user_id").first(), level=pl.col("level").sort_by("steps").last()
    )
    peers = (
        workout.filter(pl.col("user_id").is_not_null())
        .group_by("user_id")
        .agg(reference=pl.col("level").median(), workouts=pl.len())
        .filter(pl.col("workouts") >= config.offset_min_workouts)
    )
    found = found.join(peers, on="user_id", how="left").with_columns(
        pieces=pl.len().over("row"), distance=(pl.col("level") - pl.col("reference")).abs()
    )

    # an offset is one stretch: where the first and last pieces agree, around pieces that do
    # not, the ends hold the workout's own level (the longer one), whatever the day did to it
    ends_agree = (pl.col("pieces") >= 3) & (
        (_end("level", 0) - _end("level", -1)).abs() < config.offset_bpm
    )
    baseline = (
        pl.when(ends_agree)
        .then(
            pl.when(_end("steps", 0) >= _end("steps", -1))
            .then(_end("level", 0))
            .otherwise(_end("level", -1))
        )
        .when(pl.col("reference").is_null())
        .then(pl.col("level").sort_by("steps").last().over("row"))
        .otherwise(pl.col("level").sort_by("distance").first().over("row"))
    )
    off = pl.col("level") - pl.when(pl.col("pieces") > 1).then(baseline).otherwise("reference")
    threshold = (
        pl.when(pl.col("pieces") > 1).then(config.offset_bpm).otherwise(config.offset_whole_bpm)
    )
    return (
        found.with_columns(magnitude=off.round(0))  # heart rate is recorded in whole bpm
        .filter((pl.col("magnitude").abs() >= threshold) & ~pl.col("locked").fill_null(False))
        .select("row", "start", "end", "magnitude")
    )
