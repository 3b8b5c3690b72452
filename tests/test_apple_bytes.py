"""Properties of the in-place byte readers: each gives what the plain, general way gives."""

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.sources.apple_health.dates import DATE_BYTES, apple_instants
from assets.sources.apple_health.layout import SOURCES, apple_layout
from assets.sources.apple_health.lines import heart_rate_records, line_structure
from assets.sources.apple_health.records import (
    apple_time,
    attribute_columns,
    clean_texts,
    with_times,
)
from assets.sources.apple_health.spans import Template, spans, texts


@given(st.binary(max_size=80), st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1))))
def test_spans_are_the_byte_ranges(data, fractions):
    ranges = sorted(
        (sorted((int(a * len(data)), int(b * len(data)))) for a, b in fractions), key=tuple
    )
    starts = np.array([a for a, _ in ranges], np.int64)
    ends = np.array([b for _, b in ranges], np.int64)
    found, expected = spans(data, starts, ends), pl.Series([data[a:b] for a, b in ranges])
    assert found.to_list() == expected.to_list()
    # Short values are held in their view, zero-padded as Arrow requires: hashes and joins agree.
    assert found.hash().to_list() == expected.cast(pl.Binary).hash().to_list()
    assert (found == expected).all()


def test_texts_replace_invalid_utf8_and_keep_the_rest():
    assert texts(pl.Series([b"Anna\xe2\x80\x99s", None])).to_list() == ["Anna\u2019s", None]
    assert texts(pl.Series([b"ok", b"\xffx"])).to_list() == ["ok", "\ufffdx"]


template_part = st.one_of(st.binary(min_size=1, max_size=9).map(bytes), st.integers(1, 9))


@given(st.binary(max_size=60), st.lists(template_part, min_size=1, max_size=5), st.data())
def test_template_matches_like_a_slice_comparison(data, parts, draw):
    template = Template(*parts)
    if data and draw.draw(st.booleans()):  # plant the template somewhere, holes filled
        planted = b"".join(p if isinstance(p, bytes) else b"?" * p for p in parts)
        at = draw.draw(st.integers(0, len(data)))
        data = data[:at] + planted + data[at:]
    buffer = np.frombuffer(data, np.uint8)

    def by_slice(offset: int) -> bool:
        found = data[offset : offset + template.size]
        if len(found) < template.size:
            return False
        position = 0
        for part in parts:
            width = part if isinstance(part, int) else len(part)
            if isinstance(part, bytes) and found[position : position + width] != part:
                return False
            position += width
        return True

    offsets = np.arange(len(data) + 1)
    assert template.matches(buffer, offsets).tolist() == [by_slice(o) for o in offsets]


date_fields = st.tuples(
    st.integers(0, 10000),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from("+-x"),
    st.integers(0, 15),
    st.integers(0, 61),
)


def _date(year, month, day, hour, minute, second, sign, offset_hours, offset_minutes) -> str:
    return (
        f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d} "
        f"{sign}{offset_hours:02d}{offset_minutes:02d}"
    )


dates = st.one_of(
    date_fields.map(lambda fields: _date(*fields)),
    st.text(alphabet="0123456789-: +", min_size=DATE_BYTES, max_size=DATE_BYTES),
)


@settings(max_examples=60)
@given(st.lists(dates, min_size=1, max_size=30))
def test_dates_read_in_place_agree_with_apple_time(texts_):
    """Where a date is read in place it is apple_time's instant; dates it cannot read (apple_time
    may still accept some) are left to apple_time, and it never reads what apple_time refuses."""
    raw = np.frombuffer("".join(texts_).encode()[: 25 * len(texts_)], np.uint8)
    instants, read = apple_instants(raw.reshape(-1, DATE_BYTES))
    expected = pl.DataFrame({"t": texts_}).select(apple_time("t")[0].dt.epoch("us"))["t"]
    for instant, was_read, reference in zip(instants, read, expected.to_list(), strict=True):
        assert not was_read or instant == reference


def test_dates_read_in_place_across_leap_days_and_offsets():
    texts_ = ["2024-02-29 23:30:00 -0130", "2023-02-29 00:00:00 +0000", "2019-06-01 07:12:58 +0545"]
    raw = np.frombuffer("".join(texts_).encode(), np.uint8).reshape(-1, DATE_BYTES)
    instants, read = apple_instants(raw)
    assert read.tolist() == [True, False, True]
    assert pl.Series(instants[read]).cast(pl.Datetime("us", "UTC")).dt.to_string().to_list() == [
        "2024-03-01 01:00:00.000000+00:00",
        "2019-06-01 01:27:58.000000+00:00",
    ]


HR = 'type="HKQuantityTypeIdentifierHeartRate"'
source_piece = st.sampled_from(["a", "é", "\u2019", " ", "&amp;", "&lt;", "&#8217;", "&nbsp;", "&"])
source_text = st.lists(source_piece, max_size=6).map("".join)
apple_date = st.sampled_from(
    ["2021-07-10 08:00:00 +0200", "2021-07-10 08:00:05 +0200", "2021-02-30 08:00:00 +0200"]
)
record = st.fixed_dictionaries(
    {
        "indent": st.sampled_from([" ", "  ", "\t"]),
        "sourceName": source_text,
        "sourceVersion": st.sampled_from(["8.0", "26.0.1", ""]),
        "device": source_text,
        "unit": st.sampled_from(["count/min", "ms", ""]),
        "creationDate": st.one_of(apple_date, st.just("2021-07-10")),
        "startDate": st.one_of(apple_date, st.just("2021-07-10 08:00")),
        "endDate": apple_date,
        "value": st.sampled_from(["82", "120.5", "", "abc", "1e3", "0" * 40]),
        "order": st.permutations(range(8)),
        "shuffled": st.booleans(),
        "type_first": st.booleans(),
        "motion": st.one_of(st.none(), st.sampled_from(["0", "1", "12"])),
    }
)


def _record_lines(spec: dict) -> list[str]:
    names = ["sourceName", "sourceVersion", "device", "unit"]
    names += ["creationDate", "startDate", "endDate", "value"]
    if spec["shuffled"]:
        names = [names[i] for i in spec["order"]]
    attributes = " ".join(f'{name}="{spec[name]}"' for name in names)
    attributes = f"{HR} {attributes}" if spec["type_first"] else f"{attributes} {HR}"
    head = f"{spec['indent']}<Record {attributes}"
    if spec["motion"] is None:
        return [head + "/>"]
    entry = f'  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="{spec["motion"]}"/>'
    return [head + ">", entry, " </Record>"]


def _read_in_place(spec: dict) -> bool:
    """Whether a record is in Apple's exact layout (the rest go to the general reader)."""
    return (
        spec["type_first"]
        and (not spec["shuffled"] or list(spec["order"]) == sorted(spec["order"]))
        and spec["unit"] == "count/min"
        and len(spec["creationDate"]) == len(spec["startDate"]) == DATE_BYTES
        and "-02-30" not in spec["startDate"] + spec["endDate"]
        and len(spec["value"]) <= 32
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(record, min_size=1, max_size=8))
def test_records_read_in_place_as_the_general_reader_reads_them(specs):
    record_lines = [_record_lines(spec) for spec in specs]
    data = "".join(line + "\n" for lines in record_lines for line in lines).encode()
    first_lines = np.cumsum([0] + [len(lines) for lines in record_lines])[:-1]
    lines = line_structure(data)
    records = heart_rate_records(lines)
    assert records["line_number"].to_list() == first_lines.tolist()
    motion = [None if spec["motion"] is None else int(spec["motion"]) for spec in specs]
    assert records["motion_context"].to_list() == motion
    read, others = apple_layout(lines, records)
    in_place = [int(n) for n, spec in zip(first_lines, specs, strict=True) if _read_in_place(spec)]
    assert read["line_number"].to_list() == in_place
    assert sorted(in_place + others["line_number"].to_list()) == first_lines.tolist()
    with_text = records.with_columns(line=lines.strings(records["line_number"].to_numpy()))
    general = with_times(clean_texts(attribute_columns(with_text), SOURCES))
    expected = general.join(read.select("line_number"), on="line_number", how="semi")
    assert read.select(general.columns).equals(expected)
