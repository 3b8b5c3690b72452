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

Speed: the steps come as one long frame in (row, i) order, so every per-step quantity is a
whole-frame shift, rolling window or running sum, masked by the step index `i` where it would
reach into the neighbouring workout; per-workout values are broadcast back by the workout's
ordinal. No window function runs per workout and no step-level join is needed; per-workout
sums group by that ordinal, a key sorted by construction.
"""

from __future__ import annotations

import math

import polars as pl

TAU_S = 30.0  # heart-rate time constant (rise 20-45 s in the literature)
GRADE_COST = 4.5  # ACSM: 0.9 v grade against 0.2 v on the flat
CADENCE_PER_KMH = 3.0  # running cadence rises ~3 steps/min per km/h (cadence locks use it too)
# of offset_bpm the level shift around an edge must reach: the window means also move with
# heart rate's own wander (several bpm), and a piece cut where no offset starts keeps its level
SHIFT_SHARE = 0.5
WORKOUT_PAUSE_S = 10**7  # between workouts on the frame's clock: no average carries over

step_index = pl.col("i")
first_step = step_index == 0
workout_ordinal = first_step.cum_sum() - 1  # each step's workout, by position in the frame


def _around(x: pl.Expr) -> pl.Expr:
    """Sum of `x` over a step and its two neighbours in the same workout (`x` is 0 at i = 0,
    so the next workout's first step adds nothing)."""
    before = pl.when(step_index >= 1).then(x.shift(1)).otherwise(0.0)
    return x + before + x.shift(-1).fill_null(0.0)


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
    """The one-step model's least squares of y_i on a_i and a_i cost_i: the sums per workout it
    needs, and its (A, B) from them."""
    valid = pl.col("y").is_not_null() & pl.col("cost").is_not_null()
    a, c, y = (pl.when(valid).then(pl.col(name)) for name in ("gain", "cost", "y"))
    sums = dict(s11=a * a, s12=a * a * c, s22=a * a * c * c, t1=a * y, t2=a * c * y)
    s11, s12, s22, t1, t2 = (pl.col(name) for name in sums)
    det = s11 * s22 - s12**2
    # a steady pace cannot separate A from B: heart rate is then level
    b = pl.when(det > 1e-6 * s11 * s22).then((s11 * t2 - s12 * t1) / det).otherwise(0.0)
    return sums, dict(A=pl.when(s11 > 0).then((t1 - b * s12) / s11), B=b)


def _drifting() -> tuple[dict[str, pl.Expr], dict[str, pl.Expr]]:
    """Least squares of heart rate on the lagging cost and the effort so far: the sums per
    workout it needs, and its slopes (b, d) from them. Heart rate creeps up with the work done
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
        b=pl.when(solvable).then((szz * sxy - sxz * szy) / det).otherwise(0.0),
        d=pl.when(solvable).then((sxx * szy - sxz * sxy) / det).otherwise(0.0),
    )


def _features(steps: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per step: its workout's ordinal, heart rate, the one-step model's innovation, the
    workout's B, the cost heart rate lags behind and the effort so far (the cost's running
    integral, in cost hours); and per workout (row, B, b, d): see `_one_step` and `_drifting`."""
    hr = pl.col("heart_rate").cast(pl.Float64)
    climb = pl.when(step_index >= 1).then(pl.col("altitude") - pl.col("altitude").shift(1))
    frame = steps.select(
        "row",
        "i",
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
        y=pl.col("hr") - (1 - pl.col("gain")) * pl.col("prev"), grade=grade
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
    A, B = fit["A"].gather(frame["workout"]), fit["B"].gather(frame["workout"])
    return frame.select(
        "row",
        "i",
        "workout",
        "hr",
        "dt",
        "lagged",
        "effort",
        "speed",
        B=B,
        innovation=pl.col("y") - pl.col("gain") * (A + B * pl.col("cost")),
    ), fit.select("row", "B", "b", "d")


def _edges(frame: pl.DataFrame, c) -> pl.Series:
    """Steps where an offset switches on or off: a one-step innovation the speed does not
    explain, and a level shift of the same sign (SHIFT_SHARE) between the next and the previous
    `offset_window` steps (means: the other artifacts are masked already); the sharpest within
    `offset_window` steps either way. Both windows must lie inside the workout. Not across a
    recording gap longer than the heart's time constant: heart rate settles anew there (a stop,
    a restart), by more than the one-step model's level explains.

    Only a step whose innovation reaches `offset_bpm` can be an edge or outdo one, so the tests
    run on those few, reading the whole frame's window means by position."""
    w, n = c.offset_window, frame.height
    level = (pl.col("hr") - pl.col("B") * pl.col("lagged")).rolling_mean(w, min_samples=w // 2)
    means, index = frame.select(level).to_series(), frame["i"]

    def at(k: int, series: pl.Series) -> pl.Expr:
        return pl.lit(series).gather((pl.col("g").cast(pl.Int64) + k).clip(0, n - 1))

    i, jump = pl.col("i"), pl.col("innovation").abs()
    after = pl.when(at(w - 1, index) == i + w - 1).then(at(w - 1, means))
    shift = after - pl.when(i >= w).then(at(-1, means))
    behind = jump.rolling_max_by("g", window_size=f"{w + 1}i")
    ahead = jump.rolling_max_by(n - pl.col("g"), window_size=f"{w + 1}i")
    edges = (
        frame.select("i", "dt", "innovation")
        .with_row_index("g")
        .filter(jump >= c.offset_bpm)
        .with_columns(shift=shift, behind=behind)
        .reverse()
        .with_columns(ahead=ahead)
        .filter(
            (pl.col("shift").abs() >= SHIFT_SHARE * c.offset_bpm)
            & (pl.col("innovation").sign() == pl.col("shift").sign())
            & (jump >= pl.max_horizontal("behind", "ahead"))
            & (pl.col("dt") <= TAU_S)
        )
    )
    return pl.repeat(False, n, eager=True).scatter(edges["g"], True)


def _end(name: str, k: int) -> pl.Expr:
    """`name` of its workout's first (k = 0) or last (k = -1) piece, on every piece."""
    return pl.col(name).sort_by("start").get(k).over("row")


def offsets(steps: pl.DataFrame, users: pl.DataFrame | None, c) -> pl.DataFrame:
    """Offset segments (row, start, end, magnitude: bpm to subtract) in a long frame of steps
    (in (row, i) order) whose other artifacts are masked (null), `users` mapping each row to its
    user (None: only edges within a workout count)."""
    frame, fit = _features(steps)
    users = users if users is not None else fit.select("row", user_id=pl.lit(None, pl.String))
    slope = fit.join(users.select("row", "user_id"), on="row", how="left", maintain_order="left")
    slope = slope.select(
        "row",
        "user_id",
        # drift is told from an offset only across the user's workouts: alone, a workout keeps
        # its one-step slope and no drift (its own fit would take part of an offset for drift)
        b=pl.when(pl.col("user_id").is_null())
        .then("B")
        .otherwise(pl.col("b").median().over("user_id")),
        d=pl.when(pl.col("user_id").is_null())
        .then(0.0)
        .otherwise(pl.col("d").median().over("user_id")),
    )
    # pieces are runs of steps between cuts, numbered by a running count of cuts
    ordinal = frame["workout"]
    level = (
        pl.col("hr")
        - slope["b"].gather(ordinal) * pl.col("lagged")
        - slope["d"].gather(ordinal) * pl.col("effort")
    )
    found = (
        frame.select(
            "row",
            "i",
            "hr",
            piece=(first_step | _edges(frame, c)).cum_sum().set_sorted(),
            level=level,
            off_cadence=pl.col("hr") - CADENCE_PER_KMH * pl.col("speed"),
        )
        .group_by("piece", maintain_order=True)
        .agg(
            pl.col("row").first(),
            start=pl.col("i").first(),
            end=pl.col("i").last() + 1,
            level=pl.col("level").median(),
            steps=pl.col("level").count(),
            # a strap reading step cadence follows the speed step by step, which a heart's own
            # lag and noise never do: such a piece is a cadence lock, not an offset
            locked=pl.col("off_cadence").std() < c.lock_follow_share * pl.col("hr").std(),
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
        .filter(pl.col("workouts") >= c.offset_min_workouts)
    )
    found = found.join(peers, on="user_id", how="left").with_columns(
        pieces=pl.len().over("row"), distance=(pl.col("level") - pl.col("reference")).abs()
    )

    # an offset is one stretch: where the first and last pieces agree, around pieces that do
    # not, the ends hold the workout's own level (the longer one), whatever the day did to it
    ends_agree = (pl.col("pieces") >= 3) & (
        (_end("level", 0) - _end("level", -1)).abs() < c.offset_bpm
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
    threshold = pl.when(pl.col("pieces") > 1).then(c.offset_bpm).otherwise(c.offset_whole_bpm)
    return (
        found.with_columns(magnitude=off.round(0))  # heart rate is recorded in whole bpm
        .filter((pl.col("magnitude").abs() >= threshold) & ~pl.col("locked").fill_null(False))
        .select("row", "start", "end", "magnitude")
    )
