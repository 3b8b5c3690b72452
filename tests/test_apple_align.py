"""GPX reading and heart-rate alignment onto the GPS clock."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.sources.apple_health.align import align_runs, interpolate_hr, quality_class
from assets.sources.apple_health.routes import parse_gpx
from tests.apple_builders import gpx

T0 = datetime(2021, 7, 10, 6, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(seconds: float) -> str:
    return at(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_speed_read_from_the_gpx_namespace_extension():
    points = parse_gpx(gpx([(iso(0), 52.5, 13.4, 2.83), (iso(1), 52.50001, 13.4, None)]).encode())
    assert points.select("time", "latitude", "longitude", "altitude", "speed").rows() == [
        (at(0), 52.5, 13.4, 34.5, 2.83),
        (at(1), 52.50001, 13.4, 34.5, None),
    ]
    assert points.select("course", "h_acc", "v_acc").row(0) == (90.0, 3.0, 2.0)


def test_prefixed_gpx_namespace_is_read_and_foreign_namespaces_are_not():
    prefixed = gpx([(iso(0), 52.5, 13.4, 3.1)], prefix="g")
    assert parse_gpx(prefixed.encode())["speed"].to_list() == [3.1]
    foreign = prefixed.replace('http://www.topografix.com/GPX/1/1" >', "x", 1).replace(
        'xmlns:g="http://www.topografix.com/GPX/1/1"', 'xmlns:g="http://example.com/other"'
    )
    assert parse_gpx(foreign.encode())["speed"].to_list() == [None]


def frame(times, values=None, workout="w"):
    data = {"workout_id": [workout] * len(times), "time": [at(t) for t in times]}
    if values is not None:
        data["value"] = values
    return pl.DataFrame(data, schema_overrides={"time": pl.Datetime("us", "UTC")})


def test_interpolation_never_bridges_a_long_gap():
    samples = frame([0, 10, 100], [100.0, 110.0, 150.0])
    points = frame([-5, 0, 5, 10, 50, 100, 105])
    out = interpolate_hr(points, samples, max_gap_s=60)
    assert out["time"].to_list() == [at(t) for t in (0, 5, 10, 50, 100)]  # overlap only
    assert out["heart_rate"].to_list() == [100.0, 105.0, 110.0, None, 150.0]


@settings(max_examples=50, deadline=None)
@given(
    sample_times=st.lists(st.integers(0, 600), min_size=2, max_size=30, unique=True),
    max_gap=st.integers(1, 120),
)
def test_interpolated_hr_lies_between_neighbours_and_is_null_only_over_gaps(sample_times, max_gap):
    sample_times = sorted(sample_times)
    values = [60.0 + (t * 7919 % 97) for t in sample_times]
    out = interpolate_hr(frame(range(0, 601)), frame(sample_times, values), max_gap)
    for t, hr in zip(out["time"], out["heart_rate"], strict=True):
        s = (t - T0).total_seconds()
        before = max(i for i, x in enumerate(sample_times) if x <= s)
        after = min(i for i, x in enumerate(sample_times) if x >= s)
        gap = sample_times[after] - sample_times[before]
        if gap > max_gap:
            assert hr is None
        else:
            low, high = sorted((values[before], values[after]))
            assert low - 1e-3 <= hr <= high + 1e-3


def test_quality_classes():
    rates = pl.DataFrame({"r": [0.5, 1.0, 4.9, 5.0, 12.0]})
    assert rates.select(quality_class(pl.col("r")).alias("c"))["c"].to_list() == [
        "SPARSE",
        "MEDIUM",
        "MEDIUM",
        "GOOD",
        "GOOD",
    ]


def workouts(*rows):
    keys = ("workout_id", "user_id", "sport", "start", "end", "indoor", "route_path")
    schema = {"start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC")}
    return pl.DataFrame([dict(zip(keys, r, strict=True)) for r in rows], schema_overrides=schema)


def test_align_runs_end_to_end():
    runs = workouts(
        ("anna/a", "anna", "run", at(0), at(600), False, "/workout-routes/a.gpx"),
        ("anna/b", "anna", "run", at(3600), at(4200), True, None),
        ("anna/c", "anna", "walk", at(7200), at(7800), False, "/workout-routes/c.gpx"),
    )
    lat = [52.5 + i * 3 / 111_195 for i in range(601)]  # 3 m/s due north
    points = pl.DataFrame(
        {
            "user_id": "anna",
            "workout_id": "anna/a",
            "time": [at(i) for i in range(601)],
            "latitude": lat,
            "longitude": 13.4,
            "altitude": 30.0,
            "speed": None,
        },
        schema_overrides={"time": pl.Datetime("us", "UTC"), "speed": pl.Float64},
    )
    hr = pl.DataFrame(
        {"user_id": "anna", "start": [at(t) for t in range(0, 601, 5)], "value": 150.0},
        schema_overrides={"start": pl.Datetime("us", "UTC")},
    )
    users = pl.DataFrame({"user_id": ["anna"], "gender": ["female"]})
    unified, report = align_runs(runs, points, hr, users)
    row = unified.row(0, named=True)
    assert (row["source"], row["workout_id"], row["gender"]) == ("apple_health", "anna/a", "female")
    assert row["timestamp"][:2] == [int(at(0).timestamp()), int(at(1).timestamp())]
    assert set(row["heart_rate"]) == {150.0}
    assert row["speed"][0] is None
    assert row["speed"][10] == pytest.approx(10.8, rel=1e-3)  # 3 m/s from positions
    assert report.select("workout_id", "status", "quality_class", "speed_source").rows() == [
        ("anna/a", "aligned", "GOOD", "haversine"),
        ("anna/b", "indoor", "SPARSE", None),
    ]
    assert report["hr_per_min"][0] == pytest.approx(121 / 10)
    assert report["valid_hr_share"][0] == 1.0
