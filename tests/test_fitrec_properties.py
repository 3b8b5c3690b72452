"""Property: whatever path a chunk takes, it yields what the line-by-line reference parse yields."""

import ast
import gzip
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.sources.fitrec.chunks import iter_line_chunks
from assets.sources.fitrec.literal import parse_slow, unclosed_list
from assets.sources.fitrec.split import parse_chunk

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


@settings(max_examples=200, deadline=None)
@given(workout, st.floats(0, 1))
def test_a_cut_line_is_refused_with_the_parsers_own_reason(record, cut):
    """Cut lines mostly skip the parser (`unclosed_list`): the reason must be the parser's."""
    text = repr(record)[: max(1, int(cut * len(repr(record))))]
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        _, rejected = parse_slow([text.encode()], [1], "f")
        assert rejected["reason"].to_list() == [
            f"syntax error at column {error.offset}: {error.msg}"
        ]


def test_only_a_bracket_outside_strings_and_comments_followed_by_numbers_is_unclosed():
    assert unclosed_list("{'a': [1, 2.5, -3") == 7
    assert unclosed_list("{'é': [1, 2.5, -3") == 7  # columns count characters, as Python's do
    assert unclosed_list("{'a': '[1, 2") is None  # in a string
    assert unclosed_list("{'a': 1} # [1, 2") is None  # in a comment
    assert unclosed_list("{'a': [1, 2.5e") is None  # Python names the number instead
    assert unclosed_list("{'a': [1, 2]") is None
    assert unclosed_list("{'a': [1, 'x") is None


# Lines of any bytes, with or without a final line end; a file starting as gzip does is read
# as gzip, so none does.
line_bytes = st.binary(max_size=40).map(lambda raw: raw.replace(b"\n", b""))
file_bytes = st.builds(
    lambda lines, final: b"\n".join(lines) + final,
    st.lists(line_bytes, max_size=12),
    st.sampled_from([b"", b"\n"]),
).filter(lambda raw: not raw.startswith(b"\x1f\x8b"))


@settings(max_examples=100, deadline=None)
@given(file_bytes, st.integers(1, 64))
def test_chunks_are_whole_lines_that_rejoin_to_the_file(content, chunk_bytes):
    """Plain files are cut by seeking, gzip ones by reading on: both give whole lines only."""
    expected = content if content.endswith(b"\n") or not content else content + b"\n"
    with tempfile.TemporaryDirectory() as folder:
        plain, packed = Path(folder, "a.json"), Path(folder, "a.json.gz")
        plain.write_bytes(content)
        packed.write_bytes(gzip.compress(content))
        for source in (plain, packed):
            chunks = list(iter_line_chunks(source, chunk_bytes))
            assert b"".join(chunks) == expected
            # each ends at the first line end from its `chunk_bytes`-th byte on
            assert all(chunk.endswith(b"\n") for chunk in chunks)
            assert all(b"\n" not in chunk[chunk_bytes - 1 : -1] for chunk in chunks)
            assert all(len(chunk) >= chunk_bytes for chunk in chunks[:-1])
