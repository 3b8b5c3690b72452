"""The seven gates on hand-made unified workouts: exactly which gate, what it measured, why."""

from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.quality.gate_pass import GatePass, funnel_table
from assets.quality.gates import GATES, GateConfig, gate_batch
from assets.sources.source import WATCH_GATES
from assets.sources.unify import UNIFIED

M_PER_DEG = 111_195.0


def workout(wid: str, samples: int = 60, step: int = 8, kmh: float = 10.0, **changes) -> dict:
    """A clean run: `samples` fixes `step` s apart heading north at `kmh`, HR around 142."""
    metres = kmh / 3.6 * step
    row = {
        "source": "fitrec",
        "workout_id": wid,
        "user_id": "7",
        "sport": "run",
        "gender": "male",
        "start_time": datetime(2014, 8, 24, tzinfo=UTC),
        "source_file": "f.json",
        "timestamp": [1_408_898_746 + step * i for i in range(samples)],
        "heart_rate": [140.0 + i % 5 for i in range(samples)],  # a constant would be a flatline
        "speed": [kmh] * samples,
        "altitude": [50.0] * samples,
        "latitude": [60.0 + i * metres / M_PER_DEG for i in range(samples)],
        "longitude": [24.0] * samples,
    }
    return row | changes


def gate(*rows: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    clean, rejected, _ = gate_batch(pl.DataFrame(list(rows), schema=dict(UNIFIED)))
    return clean, rejected


def rejection(row: dict) -> tuple:
    clean, rejected = gate(row)
    assert clean.height == 0
    return rejected.select("gate", "measured", "reason").row(0)


def test_a_clean_run_passes_untouched():
    clean, rejected = gate(workout("ok"))
    assert rejected.height == 0
    assert (
        clean.drop("speed_source").rows()
        == pl.DataFrame([workout("ok")], schema=dict(UNIFIED)).rows()
    )
    assert clean["speed_source"].to_list() == ["recorded"]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (workout("b", sport="bike"), ("sport", None, "sport is 'bike'")),
        (workout("g", gender=None), ("required", None, "gender missing")),
        (workout("h", heart_rate=[]), ("required", None, "heart_rate missing")),
        (
            workout("s", speed=None, latitude=None, longitude=None),
            ("required", None, "speed or positions missing"),
        ),
        (workout("l", altitude=[50.0] * 59), ("aligned", None, "series lengths differ")),
        (
            workout("n", heart_rate=[140.0] * 59 + [float("nan")]),
            ("aligned", None, "non-finite values"),
        ),
        (
            workout("t", timestamp=[1_408_898_746 + 8 * i for i in range(59)] + [1_408_898_746]),
            ("aligned", None, "timestamps not strictly increasing"),
        ),
        (workout("short", samples=49), ("size", 49.0, "49 samples over 384 s")),
        (workout("brief", samples=50, step=5), ("size", 50.0, "50 samples over 245 s")),
        (
            workout("hr", heart_rate=[140.0 + i % 5 for i in range(29)] + [250.0] * 31),
            (
                "heart_rate",
                31 / 60,
                "heart rate unusable on 0.517 of steps (missing, implausible or an artifact)",
            ),
        ),
        (
            workout("cov", heart_rate=[140.0 + i % 5 for i in range(29)] + [None] * 31),
            (
                "heart_rate",
                31 / 60,
                "heart rate unusable on 0.517 of steps (missing, implausible or an artifact)",
            ),
        ),
        (
            workout("alt", altitude=[50.0] * 59 + [6001.0]),
            ("speed_altitude", 6001.0, "altitude 50.0..6001.0 m"),
        ),
        (workout("fast", kmh=26.0), ("speed_altitude", 26.0, "smoothed speed 26.0..26.0 km/h")),
        (
            workout("jump", latitude=[60.0 + i * 22.2 / M_PER_DEG for i in range(59)] + [61.0]),
            ("speed_altitude", pytest.approx(49_458.4, rel=1e-5), "position jump at 49458.4 km/h"),
        ),
        (
            workout("stuck", latitude=[60.0] * 60),
            ("gps", 0.0, "GPS stuck: position changed on 0.0 of steps"),
        ),
        (
            workout("gap", timestamp=[1_408_898_746 + 8 * i + 400 * (i > 30) for i in range(60)]),
            ("gps", 408.0, "gap of 408 s"),
        ),
    ],
)
def test_each_gate_rejects_with_its_measure(row, expected):
    assert rejection(row) == expected


def test_first_failing_gate_wins():
    both = workout("x", sport="bike", heart_rate=[None] * 60)
    assert rejection(both)[0] == "sport"


def test_missing_speed_is_derived_from_positions_with_the_past_only():
    clean, _ = gate(workout("d", speed=None))
    speed = clean["speed"].item().to_list()
    assert speed[0] is None  # nothing before the first fix to measure from
    assert speed[1:] == pytest.approx([10.0] * 59, rel=1e-4)
    assert clean["speed_source"].item() == "derived"
    changed = workout("d", speed=None, latitude=workout("d")["latitude"][:30] + [70.0] * 30)
    early = (
        gate_batch(
            pl.DataFrame([changed], schema=dict(UNIFIED)),
            # a far jump later must not change earlier speeds: loosen the gates that would reject it
            GateConfig(teleport_kmh=1e9, speed_max_kmh=1e9),
        )[0]["speed"]
        .item()
        .to_list()
    )
    assert early[:30] == speed[:30]


def test_rows_in_equal_clean_plus_rejected():
    rows = [workout(str(i), sport="bike" if i % 3 == 0 else "run") for i in range(12)]
    clean, rejected = gate(*rows)
    assert clean.height + rejected.height == 12
    assert sorted([*clean["workout_id"], *rejected["workout_id"]]) == sorted(
        r["workout_id"] for r in rows
    )


@settings(max_examples=50, deadline=None)
@given(
    entered=st.integers(0, 500),
    gates_hit=st.lists(st.integers(1, 7), max_size=200),
)
def test_funnel_leaving_one_gate_is_entering_the_next(entered, gates_hit):
    gates_hit = gates_hit[:entered]
    rejected = pl.DataFrame(
        {"source": ["fitrec"] * len(gates_hit), "gate_number": gates_hit},
        schema={"source": pl.String, "gate_number": pl.Int8},
    )
    funnel = funnel_table({"fitrec": entered}, rejected)
    assert funnel["gate"].to_list() == list(GATES)
    assert funnel["entering"][0] == entered
    assert funnel["entering"][1:].to_list() == funnel["leaving"][:-1].to_list()
    assert funnel["leaving"][-1] == entered - len(gates_hit)
    assert funnel["rejected"].sum() == len(gates_hit)


def test_a_pause_rejects_a_fitrec_run_but_not_a_watch_run():
    paused = [1_408_898_746 + 8 * i + 400 * (i > 30) for i in range(60)]
    sources = {
        name: pl.DataFrame([workout(name, source=name, timestamp=paused)], schema=dict(UNIFIED))
        for name in ("fitrec", "activity_files")
    }
    gates = GatePass(
        {name: frame.lazy() for name, frame in sources.items()},
        overrides={"activity_files": WATCH_GATES},
    )

    clean = pl.concat(gates.clean.collect_batches())
    assert clean["source"].to_list() == ["activity_files"]
    assert gates.rejected.select("source", "gate", "measured").rows() == [("fitrec", "gps", 408.0)]
