"""Property: the native fast path and the literal_eval fallback produce the same bronze rows."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.fitrec_parse import parse_chunk, parse_slow

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


@settings(max_examples=60, deadline=None)
@given(st.lists(workout, min_size=1, max_size=8))
def test_fast_and_slow_paths_agree(records):
    lines = [repr(record).encode() for record in records]
    fast, fast_rejected = parse_chunk(b"".join(line + b"\n" for line in lines), 1, "f")
    slow, slow_rejected = parse_slow(lines, range(1, len(lines) + 1), "f")
    assert fast_rejected.is_empty() and slow_rejected.is_empty()
    assert fast.equals(slow)
    assert fast["line_number"].to_list() == list(range(1, len(records) + 1))
    assert fast["workout_id"].to_list() == [record["id"] for record in records]
    heart_rate = [record.get("heart_rate") for record in records]
    assert (
        fast["heart_rate"].to_list() == pl.Series(heart_rate, dtype=pl.List(pl.Float32)).to_list()
    )
