"""Heart rate onto the GPS clock, per running workout, entirely in UTC.

HR samples are interpolated linearly onto each route point from the samples just before and
just after it, but never across a gap longer than `max_gap_s` (the
`hr_interpolation_max_gap_s` setting of `apple_aligned`): such steps stay null (masked
downstream), never invented. Points outside the span the HR samples cover are dropped.
"""

from __future__ import annotations

import polars as pl

from assets.sources.geo import trailing_speed_kmh
from assets.sources.unify import UNIFIED

HR_INTERPOLATION_MAX_GAP_S = 60.0
GOOD_PER_MIN, MEDIUM_PER_MIN = 5.0, 1.0
MAX_WATCH_SPEED_MS = 12.5  # 45 km/h: above this the Watch's speed is not a runner's
GPX_SPEED_MIN_SHARE = 0.9
EPOCH_S = pl.col("time").dt.epoch("s")


def quality_class(per_min: pl.Expr) -> pl.Expr:
    return (
        pl.when(per_min >= GOOD_PER_MIN)
        .then(pl.lit("GOOD"))
        .when(per_min >= MEDIUM_PER_MIN)
        .then(pl.lit("MEDIUM"))
        .otherwise(pl.lit("SPARSE"))
    )


def samples_per_workout(hr: pl.DataFrame, runs: pl.DataFrame, margin_s: float) -> pl.DataFrame:
    """HR samples (workout_id, time, value) within each run's [start - margin, end + margin]."""
    windows = runs.select(
        "user_id",
        "workout_id",
        window_start=pl.col("start") - pl.duration(seconds=margin_s),
        window_end=pl.col("end") + pl.duration(seconds=margin_s),
    ).sort("window_start")
    return (
        hr.select("user_id", time=pl.col("start"), value="value")
        .sort("time")
        .join_asof(
            windows, left_on="time", right_on="window_start", by="user_id", check_sortedness=False
        )
        .filter(pl.col("time") <= pl.col("window_end"))
        .select("workout_id", "time", "value")
    )


def interpolate_hr(points: pl.DataFrame, samples: pl.DataFrame, max_gap_s: float) -> pl.DataFrame:
    """Add `heart_rate` to route points (workout_id, time, ...) and drop points outside the
    span of the workout's samples."""
    ordered = samples.sort("time")
    before = ordered.select("workout_id", "time", t0="time", v0="value")
    after = ordered.select("workout_id", "time", t1="time", v1="value")
    joined = (  # both sides sorted by time, hence within each workout too
        points.sort("time")
        .join_asof(before, on="time", by="workout_id", strategy="backward", check_sortedness=False)
        .join_asof(after, on="time", by="workout_id", strategy="forward", check_sortedness=False)
        .filter(pl.col("t0").is_not_null() & pl.col("t1").is_not_null())
    )
    span = (pl.col("t1") - pl.col("t0")).dt.total_microseconds() / 1e6
    into = (pl.col("time") - pl.col("t0")).dt.total_microseconds() / 1e6
    heart_rate = (
        pl.when(span == 0)
        .then(pl.col("v0"))
        .when(span <= max_gap_s)
        .then(pl.col("v0") + (pl.col("v1") - pl.col("v0")) * into / span)
    )
    return joined.with_columns(heart_rate=heart_rate.cast(pl.Float32)).drop("t0", "v0", "t1", "v1")


def speed_sources(points: pl.DataFrame) -> pl.DataFrame:
    """Per workout: 'gpx' when the Watch's speed is nearly always present and plausible,
    else 'haversine' (derived from positions)."""
    usable = pl.col("speed").is_between(0, MAX_WATCH_SPEED_MS)
    return points.group_by("workout_id").agg(
        speed_source=pl.when(usable.mean() >= GPX_SPEED_MIN_SHARE)
        .then(pl.lit("gpx"))
        .otherwise(pl.lit("haversine"))
    )


def align_runs(
    workouts: pl.DataFrame,
    points: pl.DataFrame,
    hr: pl.DataFrame,
    users: pl.DataFrame,
    max_gap_s: float = HR_INTERPOLATION_MAX_GAP_S,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(unified Workouts rows for aligned runs, one report row per running workout)."""
    runs = workouts.filter(pl.col("sport") == "run")
    samples = samples_per_workout(hr, runs, max_gap_s)
    sources = speed_sources(points)
    aligned = (
        interpolate_hr(points.join(runs.select("workout_id"), on="workout_id"), samples, max_gap_s)
        .join(sources, on="workout_id")
        .sort("workout_id", "time")
        .with_columns(seconds=EPOCH_S)
        .with_columns(
            speed_kmh=pl.when(pl.col("speed_source") == "gpx")
            .then(pl.col("speed").clip(0) * 3.6)
            .otherwise(trailing_speed_kmh("latitude", "longitude", "seconds").over("workout_id"))
        )
    )
    series = aligned.group_by("workout_id", maintain_order=True).agg(
        timestamp="seconds",
        heart_rate="heart_rate",
        speed=pl.col("speed_kmh").cast(pl.Float32),
        altitude=pl.col("altitude").cast(pl.Float32),
        latitude="latitude",
        longitude="longitude",
        aligned_points=pl.len(),
        valid_hr=pl.col("heart_rate").is_not_null().sum(),
    )
    unified = (
        runs.join(series, on="workout_id")
        .join(users.select("user_id", "gender"), on="user_id", how="left")
        .select(
            source=pl.lit("apple_health"),
            workout_id="workout_id",
            user_id="user_id",
            sport="sport",
            gender="gender",
            start_time="start",
            source_file="route_path",
            **{c: c for c in ("timestamp", "heart_rate", "speed", "altitude")},
            latitude="latitude",
            longitude="longitude",
        )
        .cast(dict(UNIFIED))
    )
    return unified, _report(runs, points, samples, series, sources)


def _report(
    runs: pl.DataFrame,
    points: pl.DataFrame,
    samples: pl.DataFrame,
    series: pl.DataFrame,
    sources: pl.DataFrame,
) -> pl.DataFrame:
    """Per run: what alignment found, and why a run produced no aligned rows."""
    minutes = (pl.col("end") - pl.col("start")).dt.total_seconds() / 60
    inside = samples.join(runs.select("workout_id", "start", "end"), on="workout_id").filter(
        pl.col("time").is_between("start", "end")
    )
    counts = inside.group_by("workout_id").agg(hr_samples=pl.len())
    gps = points.group_by("workout_id").agg(gps_points=pl.len())
    status = (
        pl.when(pl.col("aligned_points") > 0)
        .then(pl.lit("aligned"))
        .when(pl.col("indoor"))
        .then(pl.lit("indoor"))
        .when(pl.col("route_path").is_null())
        .then(pl.lit("no_route"))
        .when(pl.col("gps_points") == 0)
        .then(pl.lit("route_unreadable"))
        .otherwise(pl.lit("no_hr_overlap"))
    )
    return (
        runs.select("workout_id", "user_id", "start", "end", "indoor", "route_path")
        .join(counts, on="workout_id", how="left")
        .join(gps, on="workout_id", how="left")
        .join(
            series.select("workout_id", "aligned_points", "valid_hr"), on="workout_id", how="left"
        )
        .join(sources, on="workout_id", how="left")
        .with_columns(pl.col("hr_samples", "gps_points", "aligned_points", "valid_hr").fill_null(0))
        .with_columns(hr_per_min=pl.col("hr_samples") / minutes)
        .select(
            "workout_id",
            "user_id",
            "start",
            status=status,
            gps_points="gps_points",
            aligned_points="aligned_points",
            hr_samples="hr_samples",
            hr_per_min="hr_per_min",
            quality_class=quality_class(pl.col("hr_per_min")),
            valid_hr_share=pl.when(pl.col("aligned_points") > 0).then(
                pl.col("valid_hr") / pl.col("aligned_points")
            ),
            speed_source="speed_source",
        )
        .sort("start")
    )
