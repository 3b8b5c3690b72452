"""Artifact detectors on hand-made heart-rate series with one artifact at a known place."""

import math

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.quality.artifacts import detect, repair


def steps(*series: list[float], speed: float | list[float] = 10.0, step_s: int = 8) -> pl.DataFrame:
    """Long frame of workouts (row = index of the series), a step every `step_s`, at `speed`
    km/h (one value, or one per step) on the flat, with no positions (speed as recorded)."""
    rows = [
        {
            "row": row,
            "step": step,
            "timestamp": step_s * step,
            "heart_rate": hr,
            "speed": speed if isinstance(speed, float) else speed[step],
            "altitude": 10.0,
            "step_m": None,
            "dt": step_s if step else None,
        }
        for row, values in enumerate(series)
        for step, hr in enumerate(values)
    ]
    return pl.DataFrame(
        rows,
        schema={
            "row": pl.UInt32,
            "step": pl.Int64,
            "timestamp": pl.Int64,
            "heart_rate": pl.Float64,
            "speed": pl.Float32,
            "altitude": pl.Float64,
            "step_m": pl.Float64,
            "dt": pl.Int64,
        },
    )


def smooth(length: int = 100, base: float = 140.0) -> list[float]:
    """Heart rate that keeps moving a little, as measured heart rate does."""
    return [base + (i % 7) - 3 for i in range(length)]


def found(*series: list[float], speed: float = 10.0) -> list[tuple]:
    return detect(steps(*series, speed=speed)).select("row", "kind", "start", "end").rows()


def test_spike_is_found_where_it_is():
    hr = smooth()
    hr[40:42] = [hr[40] + 35, hr[41] + 30]
    assert found(hr) == [(0, "spike", 40, 42)]


def test_a_dip_at_a_stop_and_a_fast_start_are_not_spikes():
    dip = smooth()
    dip[50:56] = [120, 105, 98, 101, 118, 135]
    start = [85, 107, 117, 121, 130, *smooth(95, 135)]
    assert found(dip, start) == []


def test_flatline_dropout_and_out_of_range():
    flat, drop, wild = smooth(), smooth(), smooth()
    flat[20:45] = [150.0] * 25
    drop[60:72] = [0.0] * 12
    wild[10:12] = [250.0, 251.0]
    assert found(flat, drop, wild) == [
        (0, "flatline", 20, 45),
        (1, "dropout", 60, 72),
        (2, "out_of_range", 10, 12),
    ]


def test_interpolated_one_hertz_heart_rate_holding_a_minute_is_no_flatline():
    hr = smooth(300)
    hr[100:160] = [150.0] * 60  # two equal samples a minute apart, interpolated at 1 Hz
    frame = steps(hr, step_s=1)
    assert detect(frame).filter(pl.col("kind") == "flatline").height == 0


def test_heart_rate_jumping_onto_step_cadence_is_flagged_as_a_lock():
    hr = smooth(base=135)
    hr[30:60] = [156.0 + (i % 2) for i in range(30)]  # 10 km/h -> cadence 156
    assert found(hr) == [(0, "cadence_lock", 30, 60)]


def test_a_lock_entered_without_a_jump_is_found_where_heart_rate_follows_the_speed():
    """The heart beats near the cadence already, so no jump marks the lock: only heart rate
    moving with the speed, step by step, does."""
    speed = [10.0 + ((3 * i) % 5 - 2) * 0.4 for i in range(120)]
    hr = smooth(120, base=156)
    hr[40:80] = [float(round(156 + 3 * (v - 10))) for v in speed[40:80]]
    locks = detect(steps(hr, speed=speed)).filter(pl.col("kind") == "cadence_lock")
    assert locks.height == 1
    assert abs(locks["start"][0] - 40) <= 7 and abs(locks["end"][0] - 80) <= 7


def test_a_lock_left_without_a_jump_is_found_up_to_where_heart_rate_stops_following():
    """Jumped onto, but let go where the heart beats near the cadence anyway: the run near the
    cadence holds the heart's own beats too, and the span that follows the speed is the lock."""
    speed = [10.0 + ((3 * i) % 5 - 2) * 0.4 for i in range(120)]
    hr = smooth(40, base=135) + [float(round(156 + 3 * (v - 10))) for v in speed[40:80]]
    hr += [158.0 + 2 * ((i % 7) - 3) for i in range(40)]  # within 10 bpm of the cadence
    locks = detect(steps(hr, speed=speed)).filter(pl.col("kind") == "cadence_lock")
    assert locks.height == 1
    assert abs(locks["start"][0] - 40) <= 7 and abs(locks["end"][0] - 80) <= 7


def test_an_offset_step_is_found_with_its_size_and_shifted_back():
    hr = smooth(200)
    hr[80:140] = [v + 20 for v in hr[80:140]]
    frame = steps(hr)
    found = detect(frame).select("kind", "start", "end", pl.col("magnitude").round(0)).rows()
    assert found == [("offset", 80, 140, 20.0)]
    assert repair(frame, detect(frame))["heart_rate"].to_list() == smooth(200)


def test_a_jump_onto_heart_rate_that_follows_the_speed_step_by_step_is_no_offset():
    """A strap reading step cadence 12 above what the speed implies (a cadence lock too far off
    for its own detector): the level jumps, but heart rate then follows the speed step by step."""
    speed = [13.0 + ((3 * i) % 5 - 2) * 0.4 for i in range(200)]
    hr = smooth(200)
    hr[80:140] = [float(round(150 + 3 * (v - 8) + 12)) for v in speed[80:140]]
    assert detect(steps(hr, speed=speed)).height == 0


def test_an_offset_ending_where_heart_rate_starts_to_climb_ends_there():
    """The strap reads 14 high from step 80 to 140, then right, while heart rate climbs 16 bpm
    over the next 60 steps: the level shift across the second edge is small, the jump is not."""
    hr = smooth(200, base=120)
    hr[80:140] = [v + 14 for v in hr[80:140]]
    hr[140:] = [v + round(16 * k / 60) for k, v in enumerate(hr[140:])]
    found = detect(steps(hr)).select("kind", "start", "end", "magnitude").rows()
    assert found == [("offset", 80, 140, 14.0)]


def test_heart_rate_rising_with_a_faster_pace_is_no_offset():
    """From 9 to 13 km/h at step 100: heart rate climbs 28 bpm with a 30 s time constant."""
    speed = [9.0] * 100 + [13.0] * 100
    hr = [140.0 + (i % 5) - 2 for i in range(100)]
    level = 140.0
    for i in range(100, 200):
        level += (168.0 - level) * (1 - math.exp(-8 / 30))
        hr.append(round(level) + (i % 5) - 2)
    assert detect(steps(hr, speed=speed)).height == 0


def test_heart_rate_settling_higher_across_a_recording_gap_is_no_offset():
    """The strap records nothing for a minute at step 100 (a stop, a restart): heart rate
    comes back 25 bpm higher and stays there, which no sensor did."""
    hr = smooth(200, base=115)
    hr[100:] = [v + 25 for v in hr[100:]]
    frame = steps(hr).with_columns(
        timestamp=pl.col("timestamp") + pl.when(pl.col("step") >= 100).then(52).otherwise(0),
        dt=pl.when(pl.col("step") == 100).then(60).otherwise("dt"),
    )
    assert detect(frame).height == 0


def test_a_whole_workout_offset_stands_out_against_the_users_other_workouts():
    frame = steps(smooth(), smooth(base=142), smooth(base=139), smooth(base=165))
    users = pl.DataFrame({"row": [0, 1, 2, 3], "user_id": ["u"] * 4}).cast({"row": pl.UInt32})
    found = detect(frame, users=users).select("row", "kind", "start", "end").rows()
    assert found == [(3, "offset", 0, 100)]


def test_a_long_workout_drifting_up_is_no_offset_against_the_users_shorter_ones():
    """Heart rate creeps up with the work done (cardiac drift), the same in every workout of
    the user: the long one ends 48 bpm higher without any sensor fault."""
    short, long = ([v + 0.08 * i for i, v in enumerate(smooth(n))] for n in (100, 600))
    frame = steps(short, short, short, long)
    users = pl.DataFrame({"row": [0, 1, 2, 3], "user_id": ["u"] * 4}).cast({"row": pl.UInt32})
    assert detect(frame, users=users).height == 0


def test_an_offset_on_a_low_day_is_told_by_the_workouts_ends_not_by_the_users_level():
    """A day 12 bpm below the user's others, and the strap reads 20 high from step 100 to 250:
    the offset lands nearer the user's level than the rest, but both ends agree without it."""
    hr = smooth(300, base=108)
    hr[100:250] = [v + 20 for v in hr[100:250]]
    frame = steps(smooth(base=120), smooth(base=121), smooth(base=119), hr)
    users = pl.DataFrame({"row": [0, 1, 2, 3], "user_id": ["u"] * 4}).cast({"row": pl.UInt32})
    found = detect(frame, users=users).select("row", "kind", "start", "end", "magnitude").rows()
    assert found == [(3, "offset", 100, 250, 20.0)]


def test_repair_masks_the_flagged_steps_only():
    hr = smooth()
    hr[40] += 40
    frame = steps(hr)
    repaired = repair(frame, detect(frame))["heart_rate"].to_list()
    assert repaired[40] is None
    assert repaired[:40] + repaired[41:] == hr[:40] + hr[41:]


@settings(max_examples=60, deadline=None)
@given(
    walk=st.lists(st.integers(-4, 4), min_size=30, max_size=300),
    start=st.integers(60, 170),
)
def test_repair_never_changes_a_clean_workout(walk, start):
    """Heart rate that moves by at most 4 bpm a step and never holds still long is clean."""
    hr, value = [], float(start)
    for step in walk:
        step = step or 1  # never flat
        value += step if 50 <= value + step <= 200 else -step  # turn back at the bounds
        hr.append(value)
    frame = steps(hr)
    flags = detect(frame)
    assert flags.height == 0
    assert repair(frame, flags)["heart_rate"].to_list() == hr
