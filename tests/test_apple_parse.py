"""export.xml parsing on hand-written miniatures: exact values, UTC, traps, defects."""

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.sources.apple_health.export import AppleExport, find_exports
from assets.sources.apple_health.export_pass import ApplePass
from assets.sources.apple_health.records import apple_time, attribute_columns
from tests.apple_builders import BROKEN_DTD, OWNER, export_xml, hr, workout, write_export

DST_AND_TRIP = export_xml(
    hr("2021-10-31 02:30:00 +0200", "61", motion=1),  # before the clocks go back: 00:30 UTC
    hr("2021-10-31 02:30:00 +0100", "58"),  # the same wall time an hour later: 01:30 UTC
    hr("2021-07-10 08:00:00 -0400", "120.5", motion=2),  # on a trip to New York: 12:00 UTC
    hr("2021-07-10 08:05:00 -0400", "45.2", kind="HeartRateVariabilitySDNN"),
    hr("2021-07-10 00:00:00 -0400", "52", kind="RestingHeartRate"),
    hr("2021-07-10 00:00:00 -0400", "95", kind="WalkingHeartRateAverage"),
    hr("2021-07-10 09:00:00 -0400", "30", kind="HeartRateRecoveryOneMinute"),
    workout("2021-07-10 07:30:00 -0400", "2021-07-10 08:00:00 -0400", "/workout-routes/r.gpx"),
)


def ingest(path: Path, chunk_bytes: int = 1 << 20) -> ApplePass:
    export_pass = ApplePass(find_exports(path), chunk_bytes=chunk_bytes)
    export_pass.hr_samples.collect()  # drives the pass
    return export_pass


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_heart_rate_exact_values_in_utc_across_dst_and_a_trip(tmp_path):
    write_export(tmp_path / "anna", DST_AND_TRIP)
    export_pass = ApplePass(find_exports(tmp_path), chunk_bytes=1 << 20)
    samples = export_pass.hr_samples.collect()
    assert samples.select("user_id", "start", "end", "value", "motion_context").rows() == [
        ("anna", utc(2021, 10, 31, 0, 30), utc(2021, 10, 31, 0, 30), 61.0, 1),
        ("anna", utc(2021, 10, 31, 1, 30), utc(2021, 10, 31, 1, 30), 58.0, None),
        ("anna", utc(2021, 7, 10, 12, 0), utc(2021, 7, 10, 12, 0), 120.5, 2),
    ]
    assert samples["source_name"].unique().to_list() == [f"{OWNER} Apple Watch"]
    assert samples["device"][0] == "<<HKDevice: 0x2>, name:Apple Watch, hardware:Watch6,2>"
    assert samples["line_number"].to_list() == [12, 15, 16]
    assert samples.schema["start"] == pl.Datetime("us", "UTC")


def test_lookalike_types_never_become_heart_rate(tmp_path):
    """HRV, resting, walking-average and recovery records all contain 'HeartRate'."""
    export_pass = ingest(write_export(tmp_path / "anna", DST_AND_TRIP))
    assert export_pass.users["records"].item() == 7
    assert export_pass.users["hr_records"].item() == 3


def test_workout_fields_normalised(tmp_path):
    export_pass = ingest(write_export(tmp_path / "anna", DST_AND_TRIP))
    row = export_pass.workouts.row(0, named=True)
    assert row["workout_id"] == "anna/20210710T113000Z"
    assert (row["start"], row["end"]) == (utc(2021, 7, 10, 11, 30), utc(2021, 7, 10, 12, 0))
    assert row["utc_offset_min"] == -240
    assert (row["sport"], row["duration_s"], row["distance_km"]) == ("run", 1800.0, 5.12)
    assert row["elevation_gain_m"] == pytest.approx(9.56)
    assert (row["indoor"], row["time_zone"]) == (False, "Europe/Berlin")
    assert row["route_path"] == "/workout-routes/r.gpx"
    user = export_pass.users.row(0, named=True)
    assert (user["gender"], str(user["date_of_birth"]), user["dtd"]) == (
        "female",
        "1987-05-02",
        "ok",
    )
    assert user["export_date"] == utc(2021, 11, 1, 19)


def test_records_nested_in_a_correlation_are_not_counted_twice(tmp_path):
    nested = (
        ' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Cuff" '
        'creationDate="2021-07-10 08:00:00 +0200" startDate="2021-07-10 08:00:00 +0200" '
        'endDate="2021-07-10 08:00:00 +0200">\n'
        f"{hr('2021-07-10 08:00:00 +0200', '70').replace(' <Record', '  <Record')}\n"
        " </Correlation>"
    )
    xml = export_xml(hr("2021-07-10 08:00:00 +0200", "70"), nested)
    export_pass = ingest(write_export(tmp_path / "anna", xml))
    assert export_pass.users.select("records", "nested_records", "hr_records").row(0) == (1, 1, 1)


def test_bad_records_are_quarantined_with_line_and_reason(tmp_path):
    xml = export_xml(
        hr("2021-07-10 08:00:00 +0200", "abc"),
        hr("2021-07-10 08:00:00", "70"),
        hr("2021-07-10 08:00:00 +0200", "71").replace(OWNER, "Anna&nbsp;s"),
        hr("2021-07-10 08:01:00 +0200", "72").replace(OWNER, "Anna&#8217;s"),
        hr("2021-07-10 08:02:00 +0200", "73").replace(' value="73"', ""),
        hr("2021-07-10 08:03:00 +0200", "74").replace(' unit="count/min"', ""),
    )
    export_pass = ingest(write_export(tmp_path / "anna", xml))
    quarantine = export_pass.quarantine
    assert quarantine.select("line_number", "reason").rows() == [
        (12, "value 'abc' is not a number"),
        (13, "startDate/endDate missing or not 'YYYY-MM-DD HH:MM:SS +HHMM'"),
        (14, "undefined entity reference in an attribute"),
        (16, "value missing"),
        (17, "unit missing, expected 'count/min'"),
    ]
    assert quarantine["excerpt"][0].startswith('<Record type="HKQuantityTypeIdentifierHeartRate"')
    assert quarantine["file"][0].endswith("apple_health_export/export.xml")
    samples = export_pass.hr_samples.collect()
    assert samples.select("value", "source_name").rows() == [(72.0, f"{OWNER} Apple Watch")]


def test_broken_ios16_dtd_is_skipped(tmp_path):
    xml = export_xml(hr("2021-07-10 08:00:00 +0200", "70"), dtd=BROKEN_DTD)
    export_pass = ingest(write_export(tmp_path / "anna", xml))
    assert export_pass.users["dtd"].item() == "malformed"
    assert export_pass.hr_samples.collect()["value"].to_list() == [70.0]


def test_truncated_export_keeps_what_it_has_and_says_so(tmp_path):
    xml = export_xml(hr("2021-07-10 08:00:00 +0200", "70"), close=False)
    export_pass = ingest(write_export(tmp_path / "anna", xml))
    assert export_pass.hr_samples.collect().height == 1
    assert export_pass.quarantine.select("line_number", "reason").rows() == [
        (xml.count("\n"), "export.xml ends without </HealthData>: the export is truncated")
    ]
    assert export_pass.quarantine["excerpt"][0].startswith("<Record ")


def test_zip_reads_like_the_folder(tmp_path):
    folder = ingest(write_export(tmp_path / "a" / "anna", DST_AND_TRIP))
    zipped = ingest(write_export(tmp_path / "z" / "anna", DST_AND_TRIP, zipped=True))
    assert zipped.hr_samples.collect().equals(folder.hr_samples.collect())
    assert zipped.workouts.equals(folder.workouts)
    assert find_exports(tmp_path / "z")[0] == AppleExport(tmp_path / "z/anna/export.zip", "anna")


@settings(max_examples=25, deadline=None)
@given(chunk_bytes=st.integers(min_value=1, max_value=5000))
def test_any_block_size_gives_the_same_tables(tmp_path_factory, chunk_bytes):
    """Elements cut by a block boundary are carried over whole, wherever the cut falls."""
    path = tmp_path_factory.mktemp("export")
    write_export(path / "anna", DST_AND_TRIP)
    reference, chunked = ingest(path), ingest(path, chunk_bytes)
    assert chunked.hr_samples.collect().equals(reference.hr_samples.collect())
    assert chunked.workouts.equals(reference.workouts)
    assert chunked.users.drop("bytes_read").equals(reference.users.drop("bytes_read"))


@settings(max_examples=20, deadline=None)
@given(chunk_bytes=st.integers(min_value=1, max_value=3000), indent=st.sampled_from(["", " "]))
def test_blocks_are_mended_where_the_layout_misleads_the_cut(tmp_path_factory, chunk_bytes, indent):
    """Blocks are cut before lines indented as Apple indents top-level elements; an export
    indented otherwise (not at all, or one space on every line) reads the same."""
    path = tmp_path_factory.mktemp("export")
    write_export(path / "apple" / "anna", DST_AND_TRIP)
    body = DST_AND_TRIP.index("\n", DST_AND_TRIP.index("<HealthData locale")) + 1
    lines = DST_AND_TRIP[body:].splitlines()
    flat = DST_AND_TRIP[:body] + "\n".join(indent + line.strip() for line in lines)
    write_export(path / "flat" / "anna", flat)
    reference, mended = ingest(path / "apple"), ingest(path / "flat", chunk_bytes)
    assert mended.hr_samples.collect().equals(reference.hr_samples.collect())
    assert mended.workouts.equals(reference.workouts)
    unchanged = pl.exclude("bytes_read", "export_path")
    assert mended.users.select(unchanged).equals(reference.users.select(unchanged))


def test_apple_time_reads_half_hour_and_negative_offsets():
    texts = pl.DataFrame(
        {"t": ["2019-06-01 07:12:58 -0530", "2019-06-01 07:12:58 +0545", "2019-06-01 07:12", None]}
    )
    instant, offset = apple_time("t")
    assert texts.select(instant, offset.alias("o")).rows() == [
        (utc(2019, 6, 1, 12, 42, 58), -330),
        (utc(2019, 6, 1, 1, 27, 58), 345),
        (None, None),
        (None, None),
    ]


def test_records_written_in_another_attribute_order_are_read_by_name():
    """Apple's order is read by position; any other order falls back to one regex per name,
    and both kinds of line keep their file order."""
    apple = hr("2021-07-10 08:00:00 -0400", "120.5")
    shuffled = (
        ' <Record value="63" unit="count/min" type="HKQuantityTypeIdentifierHeartRate" '
        f'startDate="2021-07-10 08:01:00 -0400" endDate="2021-07-10 08:01:05 -0400" '
        f'sourceName="{OWNER} Apple Watch"/>'
    )
    lines = pl.DataFrame(
        {"line_number": [7, 9], "motion_context": [None, None], "line": [apple, shuffled]},
        schema_overrides={"motion_context": pl.Int8},
    )
    rows = attribute_columns(lines).select("line_number", "source_name", "device", "end_raw")
    device = "&lt;&lt;HKDevice: 0x2&gt;, name:Apple Watch, hardware:Watch6,2&gt;"
    assert rows.rows() == [
        (7, f"{OWNER} Apple Watch", device, "2021-07-10 08:00:00 -0400"),
        (9, f"{OWNER} Apple Watch", None, "2021-07-10 08:01:05 -0400"),
    ]
