"""Workout category from the inputs alone (speed and altitude profile), never from heart rate:
the research code's categories read the test heart rate, so "MAE per category" partly measured
the labels. First rule that holds wins, in this order:

- intervals: the pace alternates, at least INTERVAL_SHARE of moving time both well above and well
  below the workout's median pace, switching at least INTERVAL_SWITCHES times;
- hills: at least HILLS_CLIMB_M_PER_KM metres climbed per kilometre;
- progressive: the last third of moving time at least PROGRESSIVE_GAIN faster than the first;
- recovery: slower than the runner's usual pace (median over their evaluated workouts) by
  RECOVERY_SLOWER and no longer than their usual duration: relative, since 10 km/h is an easy
  run for one runner and a hard one for another;
- steady: everything else.
"""

from __future__ import annotations

import polars as pl

CATEGORIES = ("intervals", "hills", "progressive", "recovery", "steady")
MOVING_KMH = 3.0  # slower is a stop (traffic light, walking a water station)
FAST, SLOW = 1.15, 0.85  # x the workout's median moving pace
INTERVAL_SHARE = 0.10
INTERVAL_SWITCHES = 7
HILLS_CLIMB_M_PER_KM = 16.0
PROGRESSIVE_GAIN = 1.08
RECOVERY_SLOWER = 0.95
SMOOTH_STEPS = 4  # trailing steps averaged before counting pace switches (GPS jitter)


def workout_profiles(steps: pl.DataFrame) -> pl.DataFrame:
    """Per workout: the pace and climb statistics the rules read."""
    speed = pl.col("speed")
    moving = speed >= MOVING_KMH
    dt = pl.col("elapsed_s").diff().over("workout").fill_null(0.0)
    climb = pl.col("altitude").diff().over("workout").clip(lower_bound=0.0).fill_null(0.0)
    smooth = speed.rolling_mean(SMOOTH_STEPS, min_samples=1).over("workout")
    frame = steps.select(
        "workout", "user", "speed", "elapsed_s", moving=moving, dt=dt, climb=climb, smooth=smooth
    )
    median = pl.col("speed").filter("moving").median()
    level = (
        pl.when(pl.col("smooth") > FAST * median)
        .then(1)
        .when(pl.col("smooth") < SLOW * median)
        .then(-1)
    )
    moving_speed = pl.col("speed").filter("moving")
    third = (moving_speed.len() // 3).clip(lower_bound=1)
    return frame.group_by("workout", maintain_order=True).agg(
        pl.col("user").first(),
        median_kmh=median,
        fast_share=(pl.col("moving") & (pl.col("smooth") > FAST * median)).mean(),
        slow_share=(pl.col("moving") & (pl.col("smooth") < SLOW * median)).mean(),
        switches=(level.drop_nulls().diff().abs() > 0).sum(),
        climb_m_per_km=pl.col("climb").sum()
        / (pl.col("speed") * pl.col("dt")).sum().truediv(3600.0).clip(lower_bound=0.1),
        progress=moving_speed.tail(third).mean() / moving_speed.head(third).mean(),
        minutes=pl.col("elapsed_s").max() / 60.0,
    )


def categorise(profiles: pl.DataFrame) -> pl.DataFrame:
    """(workout, category) from `workout_profiles`."""
    usual = profiles.group_by("user").agg(
        usual_kmh=pl.col("median_kmh").median(), usual_minutes=pl.col("minutes").median()
    )
    intervals = (
        (pl.col("fast_share") >= INTERVAL_SHARE)
        & (pl.col("slow_share") >= INTERVAL_SHARE)
        & (pl.col("switches") >= INTERVAL_SWITCHES)
    )
    recovery = (pl.col("median_kmh") < RECOVERY_SLOWER * pl.col("usual_kmh")) & (
        pl.col("minutes") <= pl.col("usual_minutes")
    )
    category = (
        pl.when(intervals)
        .then(pl.lit("intervals"))
        .when(pl.col("climb_m_per_km") >= HILLS_CLIMB_M_PER_KM)
        .then(pl.lit("hills"))
        .when(pl.col("progress") >= PROGRESSIVE_GAIN)
        .then(pl.lit("progressive"))
        .when(recovery)
        .then(pl.lit("recovery"))
        .otherwise(pl.lit("steady"))
    )
    return profiles.join(usual, on="user", how="left", maintain_order="left").select(
        "workout", category=category
    )


def workout_categories(steps: pl.DataFrame) -> pl.DataFrame:
    return categorise(workout_profiles(steps))
