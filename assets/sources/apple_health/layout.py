"""Heart-rate Record lines in Apple's exact layout, read in place with numpy.

Apple writes every heart-rate record the same way:

    <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="…" sourceVersion="…" device="…"
     unit="count/min" creationDate="2019-06-01 07:12:58 +0200" startDate="…" endDate="…" value="…"/>

After the three source texts every field has a fixed width except the value, which ends the
line; so a line is matched against that layout from both of its ends and its fields are cut
out where they must be. The source texts repeat on nearly every record: they are split and
unescaped once per distinct run of them. Lines of any other shape are left to the general
reader (assets.sources.apple_health.records), which gives the same columns for them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from assets.sources.apple_health.dates import DATE_BYTES, apple_instants
from assets.sources.apple_health.lines import APPLE_HR_TYPE, Lines
from assets.sources.apple_health.records import HR_UNIT, clean_texts
from assets.sources.apple_health.spans import Template, first_bytes, spans, texts

SOURCE_NAME = Template(b' sourceName="')  # after the type, which heart_rate_records checked
TAIL = Template(
    f'" unit="{HR_UNIT}" creationDate="'.encode(),
    DATE_BYTES,
    b'" startDate="',
    DATE_BYTES,
    b'" endDate="',
    DATE_BYTES,
    b'" value="',
)
START_AT = TAIL.size - len(b'" value="') - DATE_BYTES - len(b'" endDate="') - DATE_BYTES
END_AT = TAIL.size - len(b'" value="') - DATE_BYTES
MAX_VALUE_BYTES = 32
SOURCES = ("source_name", "source_version", "device")


def _opening_quotes(buffer: np.ndarray, closing: np.ndarray) -> np.ndarray:
    """The last '"' before each closing quote, up to MAX_VALUE_BYTES back (-1: none)."""
    found = np.full(len(closing), -1, np.int64)
    pending = np.arange(len(closing))
    for back in range(1, MAX_VALUE_BYTES + 2):
        at = closing[pending] - back
        hit = buffer[at] == ord('"')
        found[pending[hit]] = at[hit]
        pending = pending[~hit]
        if not len(pending):
            break
    return found


def _sources(runs: pl.DataFrame) -> pl.DataFrame:
    """Each distinct `sourceName…device` run (told apart by its hash) split into the three
    texts, unescaped, with text_problem; runs not written as Apple writes them are left out."""
    parts = pl.col("parts")
    distinct = runs.unique("hash")
    split = distinct.with_columns(parts=texts(distinct["run"]).str.split('"')).filter(
        (parts.list.len() == 5)
        & (parts.list.get(1) == " sourceVersion=")
        & (parts.list.get(3) == " device=")
    )
    columns = (parts.list.get(2 * i).alias(name) for i, name in enumerate(SOURCES))
    return clean_texts(split.select("run", "hash", *columns), SOURCES)


def _in_place(lines: Lines, records: pl.DataFrame) -> tuple[np.ndarray, dict[str, pl.Series]]:
    """Which records are in Apple's layout, and for those: the run of source texts, start, end
    and value_raw."""
    buffer = np.frombuffer(lines.data, np.uint8)
    rows = records["line_number"].to_numpy()
    head = lines.name_at[rows] + len("Record") + APPLE_HR_TYPE.size  # sourceName's place
    ends = lines.ends[rows]
    closing = ends - 2 - (buffer[ends - 2] == ord("/"))  # the value's '"', before '/>' or '>'
    opening = _opening_quotes(buffer, closing)
    tail = opening + 1 - TAIL.size
    fits = records["type_first"].to_numpy() & (buffer[ends - 1] == ord(">"))
    fits &= (buffer[closing] == ord('"')) & (tail >= head + SOURCE_NAME.size)
    fits[fits] = SOURCE_NAME.matches(buffer, head[fits]) & TAIL.matches(buffer, tail[fits])
    start_bytes = first_bytes(buffer, tail + START_AT, DATE_BYTES)
    end_bytes = first_bytes(buffer, tail + END_AT, DATE_BYTES)
    start, start_read = apple_instants(start_bytes)
    if (end_bytes == start_bytes).all():  # as on nearly every heart-rate record
        end, end_read = start, start_read
    else:
        end, end_read = apple_instants(end_bytes)
    fits &= start_read & end_read
    keep = np.flatnonzero(fits)
    head, tail, opening, closing = head[keep], tail[keep], opening[keep], closing[keep]
    return fits, {
        "run": spans(lines.data, head + SOURCE_NAME.size, tail),
        "start": pl.Series(start[keep]).cast(pl.Datetime("us", "UTC")),
        "end": pl.Series(end[keep]).cast(pl.Datetime("us", "UTC")),
        "value_raw": texts(spans(lines.data, opening + 1, closing)),
    }


def apple_layout(lines: Lines, records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The attribute columns of `records` (heart_rate_records) written in Apple's layout, as
    the general reader gives them after clean_texts and with_times; and the other records."""
    fits, columns = _in_place(lines, records)
    found = records.filter(pl.Series(fits)).with_columns(
        **columns, unit=pl.lit(HR_UNIT), hash=columns["run"].hash()
    )
    sources = _sources(found.select("run", "hash"))
    read = found.join(sources, on="hash", maintain_order="left", suffix="_seen")
    read = read.filter(pl.col("run") == pl.col("run_seen"))  # not a hash collision
    others = records.join(read.select("line_number"), on="line_number", how="anti")
    return read.drop("run", "run_seen", "hash", "type_first"), others.drop("type_first")
