"""Exact behaviour of the FitRec line parser on tiny hand-written inputs."""

import gzip
from pathlib import Path

import polars as pl
import pytest
from conftest import fitrec_line

from assets.sources.fitrec.chunks import iter_line_chunks
from assets.sources.fitrec.reader import FitrecPass, count_lines, ingest_fitrec_file
from assets.sources.fitrec.split import parse_chunk
from assets.sources.fitrec.tables import QUARANTINE_SCHEMA, WORKOUT_SCHEMA


def parse(*lines: str):
    return parse_chunk(("\n".join(lines) + "\n").encode(), 1, "f.json")


def test_well_formed_line_becomes_typed_row_with_provenance():
    workouts, quarantine = parse(fitrec_line(396826535, user_id=10921915))
    assert workouts.schema == WORKOUT_SCHEMA
    assert quarantine.is_empty()
    row = workouts.row(0, named=True)
    assert (row["workout_id"], row["user_id"], row["sport"], row["gender"]) == (
        396826535,
        10921915,
        "run",
        "male",
    )
    assert row["url"] == "https://www.endomondo.com/users/10921915/workouts/396826535"
    assert (row["source_file"], row["line_number"]) == ("f.json", 1)
    assert row["timestamp"] == [1408898746, 1408898754, 1408898762]
    assert row["heart_rate"] == [100.0, 101.0, 102.0]
    assert row["latitude"][0] == 60.173348765820265
    assert row["speed"] == pytest.approx([6.8652, 7.8652, 8.8652])


def test_missing_speed_is_null_not_an_error():
    workouts, quarantine = parse(fitrec_line(1, speed=False), fitrec_line(2))
    assert quarantine.is_empty()
    assert workouts["speed"].to_list()[0] is None
    assert workouts["speed"].to_list()[1] is not None


def test_apostrophe_in_string_parses_through_fallback():
    line = fitrec_line(5, sport="runner's loop")
    assert '"runner\'s loop"' in line  # repr switched to double quotes
    workouts, quarantine = parse(fitrec_line(4), line, fitrec_line(6))
    assert quarantine.is_empty()
    assert workouts["sport"].to_list() == ["run", "runner's loop", "run"]
    assert workouts["line_number"].to_list() == [1, 2, 3]


def test_nan_and_inf_values_are_kept_for_gating():
    line = fitrec_line(8).replace("'heart_rate': [100, 101, 102]", "'heart_rate': [nan, 101, -inf]")
    workouts, quarantine = parse(line)
    assert quarantine.is_empty()
    heart_rate = workouts["heart_rate"].to_list()[0]
    assert heart_rate[0] != heart_rate[0] and heart_rate[1:] == [101.0, float("-inf")]


def test_truncated_line_is_quarantined_with_reason_and_neighbours_survive():
    truncated = fitrec_line(10)[:80]
    workouts, quarantine = parse(fitrec_line(9), truncated, fitrec_line(11))
    assert workouts["workout_id"].to_list() == [9, 11]
    assert quarantine.schema == QUARANTINE_SCHEMA
    assert quarantine.rows() == [
        (
            "f.json",
            2,
            "syntax error at column 74: unterminated string literal (detected at line 1)",
            truncated,
        )
    ]


def test_non_running_sport_is_kept_in_bronze():
    workouts, _ = parse(fitrec_line(12, sport="mountain bike"), fitrec_line(13, sport="run"))
    assert workouts["sport"].to_list() == ["mountain bike", "run"]


def test_code_in_a_line_is_quarantined_never_executed(tmp_path: Path):
    marker = tmp_path / "pwned"
    line = f"__import__('os').system('touch {marker}')"
    workouts, quarantine = parse(line)
    assert workouts.is_empty()
    assert quarantine["reason"].to_list() == ["not a plain literal: Call at column 1"]
    assert not marker.exists()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[1, 2]", "line is a list, not a dict"),
        ("{'userId': 3}", "missing required key 'id'"),
        ("{'id': 0, 'userId': 3}", "'id' must be positive, got 0"),
        ("{'id': 'x', 'userId': 3}", "'id' must be an integer, got str"),
        (
            "{'id': 1, 'userId': 3, 'heart_rate': 'high'}",
            "'heart_rate' must be a list of numbers, got str",
        ),
        (
            "{'id': 1, 'userId': 3, 'heart_rate': [1, True]}",
            "'heart_rate'[1] is bool, not a number",
        ),
        (
            "{'id': 1, 'userId': 3, 'timestamp': [1.5]}",
            "'timestamp'[0] = 1.5 is not an integer epoch second",
        ),
        ("{'id': 1, 'userId': 3, 'sport': [5]}", "'sport' must be a string, got list"),
        ("{'id': 1, 'userId': 3, 'gender': 1}", "'gender' must be a string, got int"),
        (
            "{'id': 1, 'userId': 3, 'heart_rate': [1 + 2]}",
            "not a plain literal: BinOp at column 39",
        ),
        (
            "{'id': 1, 'userId': 3, 'sport': -'run'}",
            "not a plain literal: malformed node or string on line 1: <ast.Constant>",
        ),
        ("", "empty line"),
    ],
)
def test_unusable_lines_get_a_precise_reason(line, reason):
    workouts, quarantine = parse(fitrec_line(1), line)
    assert workouts["workout_id"].to_list() == [1]
    assert quarantine.select("line_number", "reason").rows() == [(2, reason)]


def test_invalid_utf8_is_quarantined():
    chunk = fitrec_line(1).encode() + b"\n{'id': 2, 'userId': 3, 'sport': '\xff'}\n"
    workouts, quarantine = parse_chunk(chunk, 1, "f.json")
    assert workouts.height == 1
    assert quarantine["reason"].to_list() == ["not valid UTF-8 at column 34"]


def test_crlf_line_endings_parse_like_lf():
    chunk = (fitrec_line(1) + "\r\n" + fitrec_line(2) + "\r\n").encode()
    workouts, quarantine = parse_chunk(chunk, 1, "f.json")
    assert quarantine.is_empty() and workouts["workout_id"].to_list() == [1, 2]


def test_file_chunking_gzip_and_missing_final_newline_do_not_change_the_result(tmp_path: Path):
    lines = [fitrec_line(i, n=20) for i in range(1, 40)]
    lines[17] = "{'id': 18, 'userId': 7"  # truncated, in the middle of some chunk
    text = "\n".join(lines)  # no newline after the last line
    plain, packed = tmp_path / "a.json", tmp_path / "a.json.gz"
    plain.write_text(text)
    packed.write_bytes(gzip.compress(text.encode()))
    assert len(list(iter_line_chunks(plain, 3000))) > 1
    results = []
    for source, chunk_bytes in ((plain, 1 << 20), (plain, 3000), (packed, 5000)):
        fitrec = FitrecPass(source, chunk_bytes)
        workouts = fitrec.workouts.drop("source_file").collect(engine="streaming")
        results.append((workouts, fitrec.quarantine.drop("source_file")))
    assert count_lines(plain) == count_lines(packed) == 39
    for workouts, quarantine in results:
        assert workouts.equals(results[0][0]) and quarantine.equals(results[0][1])
        assert quarantine["line_number"].to_list() == [18]
        assert workouts.height == 38 and workouts["line_number"].max() == 39


def test_ingest_file_writes_both_tables_and_counts(tmp_path: Path):
    source = tmp_path / "in.json"
    source.write_text(f"{fitrec_line(1)}\nnot a workout\n{fitrec_line(2, speed=False)}\n")
    stats = ingest_fitrec_file(source, tmp_path / "w.parquet", tmp_path / "q.parquet")
    assert (stats.lines, stats.workouts, stats.quarantined) == (3, 2, 1)
    assert stats.bytes_read == source.stat().st_size
    assert pl.read_parquet(tmp_path / "w.parquet")["line_number"].to_list() == [1, 3]
    assert pl.read_parquet(tmp_path / "q.parquet")["excerpt"].to_list() == ["not a workout"]
