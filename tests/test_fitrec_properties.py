"""Property: whatever path a chunk takes, it yields what the line-by-line reference parse yields."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.fitrec_literal import parse_slow
from assets.fitrec_parse import parse_chunk

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32)
series = st.one_of(st.none(), st.lists(finite, max_size=6))
text = st.one_of(st.none(), st.text(alphabet="abcdefgh (),'\"é", max_size=12))
workout = st.fixed_dictionaries(
    {"id": st.integers(1, 2**62), "userId": st.integers(1, 2**40)},
    optional={
        "longitude": series,
        "altitude": series,
        "latitude": series,
        "heart_rate": series,
        "speed": series,
        "sport": text,
        "gender": text,
        "url": text,
        "timestamp": st.lists(st.integers(0, 2**40), max_size=6),
    },
)
# A line as the file holds it: intact, or cut short at some fraction of its length.
line = st.tuples(workout, st.one_of(st.none(), st.floats(0, 1)))


@settings(max_examples=80, deadline=None)
@given(st.lists(line, min_size=1, max_size=12))
def test_chunk_parse_matches_line_by_line_reference(lines_spec):
    lines = []
    for record, cut in lines_spec:
        text_line = repr(record).encode()
        lines.append(text_line if cut is None else text_line[: int(cut * len(text_line))])
    workouts, rejected = parse_chunk(b"".join(line + b"\n" for line in lines), 1, "f")
    reference, reference_rejected = parse_slow(lines, range(1, len(lines) + 1), "f")
    assert workouts.equals(reference)
    assert rejected.equals(reference_rejected)
    intact = [i + 1 for i, (_, cut) in enumerate(lines_spec) if cut is None]
    assert set(intact) <= set(workouts["line_number"].to_list())
    assert workouts.height + rejected.height == len(lines)


@settings(max_examples=30, deadline=None)
@given(st.lists(workout, min_size=1, max_size=8))
def test_parsed_values_are_the_written_values(records):
    chunk = b"".join(repr(record).encode() + b"\n" for record in records)
    workouts, _ = parse_chunk(chunk, 1, "f")
    assert workouts["workout_id"].to_list() == [record["id"] for record in records]
    heart_rate = [record.get("heart_rate") for record in records]
    assert (
        workouts["heart_rate"].to_list()
        == pl.Series(heart_rate, dtype=pl.List(pl.Float32)).to_list()
    )
