"""The string-split fast path: exact values for lines in shape, every other line left to the
`ast` slow path, and agreement with that slow path on generated lines."""

import math

import polars as pl
import pytest
from conftest import fitrec_line
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.sources.fitrec.literal import parse_slow
from assets.sources.fitrec.split import parse_chunk, parse_split
from assets.sources.fitrec.tables import WORKOUT_SCHEMA


def record(**changes) -> dict:
    """A workout in the real key order; `speed=None` drops the key."""
    base = {
        "longitude": [24.5, -0.25, 1e-05],
        "altitude": [41.6, -3, 1.5e-07],
        "latitude": [60.173348765820265, -33.9, 2],
        "sport": "run",
        "id": 396826535,
        "heart_rate": [100, 101.5, 99],
        "gender": "male",
        "timestamp": [1408898746, 1408898754, 1408898762],
        "url": "https://www.endomondo.com/users/7/workouts/396826535",
        "userId": 7,
        "speed": [6.8652, 0.0, 12],
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None or key != "speed"}


def split(*records: dict | str):
    lines = [item if isinstance(item, str) else repr(item) for item in records]
    return parse_split(("\n".join(lines) + "\n").encode(), 1, "f.json")


def test_values_are_exact_with_and_without_speed():
    workouts, rejected = split(record(), record(id=2, speed=None))
    assert rejected == [] and workouts.schema == WORKOUT_SCHEMA
    first, second = workouts.rows(named=True)
    assert first["longitude"] == [24.5, -0.25, 1e-05]
    assert first["latitude"] == [60.173348765820265, -33.9, 2.0]
    assert first["timestamp"] == [1408898746, 1408898754, 1408898762]
    float32 = pl.Series(
        [[41.6, -3.0, 1.5e-07], [100, 101.5, 99], [6.8652, 0.0, 12]], dtype=pl.List(pl.Float32)
    )
    assert [first["altitude"], first["heart_rate"], first["speed"]] == float32.to_list()
    assert (first["workout_id"], first["user_id"], first["sport"], first["gender"]) == (
        396826535,
        7,
        "run",
        "male",
    )
    assert (first["source_file"], first["line_number"], second["line_number"]) == ("f.json", 1, 2)
    assert second["workout_id"] == 2 and second["speed"] is None


def test_rows_equal_the_slow_path_bit_for_bit():
    lines = [
        repr(record(id=i, speed=None if i % 2 else [i / 7, -i * 1e-05])).encode() for i in (1, 2, 3)
    ]
    workouts, rejected = parse_split(b"\n".join(lines) + b"\n", 5, "f")
    assert rejected == []
    assert workouts.equals(parse_slow(lines, [5, 6, 7], "f")[0])


@pytest.mark.parametrize(
    "line",
    [
        repr(record(heart_rate=[100, math.nan])),  # nan, inf, None: Python-only values
        repr(record(altitude=[1.0, -math.inf])),
        repr(record(speed=[1.0, None])),
        repr(record(heart_rate=[])),  # an empty array (read as [""] by the split)
        repr(dict(reversed(record().items()))),  # keys in another order
        repr({key: value for key, value in record().items() if key != "gender"}),
        repr(record(url="https://example.com/runner's")),  # repr switches to double quotes
        repr(record(url="https://example.com/[1]")),  # a `[` that is no array
        repr(record(url="https://example.com/[1]", speed=None)),  # ... nor speed
        repr(record(sport="[", speed=None)),
        repr(record(sport="a\\b")),
        repr(record(id=0)),
        repr(record(userId=2**63)),  # not an int64
        repr(record(timestamp=[1.0, 2.0])),
        repr(record()).replace("[100, ", "[0100, "),  # Python refuses leading zeros
        repr(record()).replace(", 101.5", ", 07"),
        repr(record()).replace("[100, ", "[-0, "),  # int -0 is 0, not -0.0
        repr(record()).replace(", 'id'", ",  'id'"),  # spacing repr never writes
        repr(record()) + " ",
        repr(record()) + "[",
        repr(record(speed=None)) + "[1, 2",  # an unclosed piece where speed would be
        repr(record(speed=None)) + "[1, 2}",
        repr(record())[:-40],  # truncated
        "",
    ],
)
def test_lines_not_exactly_in_shape_are_left_to_the_slow_path(line):
    workouts, rejected = split(record(id=1), line, record(id=3))
    assert rejected == [1]
    assert workouts["line_number"].to_list() == [1, 3]


def test_a_first_line_with_many_brackets_does_not_stop_the_reader():
    workouts, rejected = split("[[[[[[[[[[", record(id=2))
    assert rejected == [0] and workouts["workout_id"].to_list() == [2]


def test_byte_order_mark_and_invalid_utf8_are_left_to_the_slow_path():
    line = repr(record()).encode()
    chunk = (
        b"\xef\xbb\xbf" + line + b"\n" + line.replace(b"'run'", b"'r\xffn'") + b"\n" + line + b"\n"
    )
    workouts, rejected = parse_split(chunk, 1, "f")
    assert rejected == [0, 1] and workouts["line_number"].to_list() == [3]


def test_rejected_lines_are_parsed_by_the_slow_path_in_line_order():
    odd = repr(record(id=2, heart_rate=[math.nan, 1.0], url="https://x/runner's"))
    reordered = repr(dict(reversed(record(id=3).items())))
    text = "\n".join([repr(record(id=1)), odd, reordered, "{'id': 4", repr(record(id=5))])
    workouts, quarantine = parse_chunk((text + "\n").encode(), 1, "f")
    assert workouts["workout_id"].to_list() == [1, 2, 3, 5]
    assert workouts["url"][1] == "https://x/runner's" and math.isnan(workouts["heart_rate"][1][0])
    assert quarantine["line_number"].to_list() == [4]


def test_a_repeated_key_keeps_its_last_value_as_in_python():
    line = repr(record())[:-1] + ", 'speed': [1.0]}"  # the NDJSON reader used to keep the first
    workouts, quarantine = parse_chunk((line + "\n").encode(), 1, "f")
    assert quarantine.is_empty() and workouts["speed"].to_list() == [[1.0]]


def test_crlf_lines_stay_on_the_fast_path():
    workouts, rejected = parse_split(
        (fitrec_line(1) + "\r\n" + fitrec_line(2) + "\r\n").encode(), 1, "f"
    )
    assert rejected == [] and workouts["workout_id"].to_list() == [1, 2]


# Bounded so that no array's sum overflows (an overflow only costs a slow parse).
finite = st.one_of(st.floats(-1e300, 1e300), st.integers(-(2**53), 2**53))
series = st.lists(finite, min_size=1, max_size=5)
# Mostly text the fast path takes, sometimes with quotes or backslashes (left to the slow path).
text = st.one_of(
    st.text(alphabet="abé ,:{}]-/", max_size=10), st.text(alphabet="ab'\"\\", max_size=3)
)
shaped = st.fixed_dictionaries(
    {
        "longitude": series,
        "altitude": series,
        "latitude": series,
        "sport": text,
        "id": st.integers(1, 2**63 - 1),
        "heart_rate": series,
        "gender": text,
        "timestamp": st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=5),
        "url": text,
        "userId": st.integers(1, 2**63 - 1),
    },
    optional={
        "speed": st.one_of(series, st.lists(st.sampled_from([math.nan, -math.inf]), min_size=1))
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(shaped, min_size=1, max_size=6))
def test_split_path_agrees_with_the_slow_path(records):
    records = [{key: item[key] for key in record() if key in item} for item in records]
    lines = [repr(item).encode() for item in records]
    workouts, rejected = parse_split(b"\n".join(lines) + b"\n", 1, "f")
    kept = [i for i in range(len(lines)) if i not in rejected]
    reference, _ = parse_slow([lines[i] for i in kept], [i + 1 for i in kept], "f")
    assert workouts.equals(reference)
    for i in rejected:  # only lines repr writes otherwise than the fast path expects
        fields = [records[i][key] for key in ("sport", "gender", "url")]
        odd_text = any(set(value) & set("'\"\\") for value in fields)
        odd_number = any(not math.isfinite(v) for v in records[i].get("speed", []))
        assert odd_text or odd_number, lines[i]
