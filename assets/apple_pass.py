"""One streaming pass over each export.xml: heart-rate samples stream out as a LazyFrame, while
workouts, the person, quarantined elements and counts are collected on the side.

The research code re-parsed the whole export once per workout; here every byte is read once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import polars as pl

from assets.apple_export import AppleExport
from assets.apple_lines import (
    classify,
    complete_prefix,
    element_blocks,
    heart_rate_lines,
    record_counts,
)
from assets.apple_records import apple_time, attribute_columns, heart_rate_rows
from assets.apple_workouts import parse_blocks, workout_table
from assets.apple_xml import (
    CHUNK_BYTES,
    MalformedExportError,
    iter_blocks,
    read_lines,
    split_prologue,
    tail_bytes,
    whole_lines,
)
from assets.streaming import streamed, threaded_map
from schemas.apple import AppleHrSamples, AppleQuarantine, AppleUsers, AppleWorkouts
from schemas.tables import polars_schema

MAX_ELEMENT_BYTES = 256 * 1024 * 1024
EXCERPT_CHARS = 200


def complete_elements(
    stream: BinaryIO, head: bytes, first_line: int, name: str, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[pl.DataFrame, int, bool]]:
    """(classified lines, bytes they span, is_last) in blocks that hold whole top-level elements:
    an element cut by a block boundary is carried over to the next block."""
    carry, next_line = head, first_line
    blocks = iter_blocks(stream, chunk_bytes)
    pieces = next(blocks, ())
    while True:
        following = next(blocks, None)
        data = whole_lines(carry, *pieces)
        classified = classify(read_lines(data, next_line))
        if following is None:
            yield classified, len(data), True
            return
        keep = complete_prefix(classified)
        if keep == 0 and len(data) > MAX_ELEMENT_BYTES:
            raise MalformedExportError(f"{name} line {next_line}: an element spans over 256 MB")
        carry = data[tail_bytes(data, classified.height - keep) :]
        if keep:
            next_line += keep
            yield classified.head(keep), len(data) - len(carry), False
        pieces = following


def _excerpt(text: pl.Expr) -> pl.Expr:
    return text.str.strip_chars().str.slice(0, EXCERPT_CHARS).alias("excerpt")


@dataclass(frozen=True)
class Extracted:
    """What one block of whole elements yields."""

    samples: pl.DataFrame
    rejected: pl.DataFrame  # line_number, reason, excerpt
    blocks: pl.DataFrame  # Workout/Me/ExportDate texts, parsed at the end
    counts: dict[str, int]


def extract(classified: pl.DataFrame, user_id: str, last: bool) -> Extracted:
    lines = heart_rate_lines(classified)
    samples, bad = heart_rate_rows(attribute_columns(lines), user_id)
    rejected = bad.join(lines.select("line_number", "line"), "line_number").select(
        "line_number", "reason", _excerpt(pl.col("line"))
    )
    if last and not classified["closes_root"].any():
        rejected = pl.concat([rejected, _truncated(classified)])
    return Extracted(samples, rejected, element_blocks(classified), record_counts(classified))


class ApplePass:
    """Sink `hr_samples`, then read `workouts`, `users` and `quarantine`."""

    def __init__(self, exports: list[AppleExport], chunk_bytes: int = CHUNK_BYTES):
        self.exports, self.chunk_bytes = exports, chunk_bytes
        self._workouts: list[pl.DataFrame] = []
        self._users: list[dict] = []
        self._quarantine: list[pl.DataFrame] = []
        self.hr_samples = streamed(
            self._samples, polars_schema(AppleHrSamples), "apple health export.xml"
        )

    def _samples(self) -> Iterator[pl.DataFrame]:
        self._workouts, self._users, self._quarantine = [], [], []
        for export in self.exports:
            yield from self._export(export)

    def _reject(self, export: AppleExport, rows: pl.DataFrame) -> None:
        """rows: line_number, reason, excerpt."""
        self._quarantine.append(
            rows.select(
                pl.lit(export.user_id).alias("user_id"),
                pl.lit(export.xml_name()).alias("file"),
                "line_number",
                "reason",
                "excerpt",
            )
        )

    def _export(self, export: AppleExport) -> Iterator[pl.DataFrame]:
        """Blocks are cut and classified in order here; the extraction from each block runs on a
        worker thread (polars releases the GIL), results taken back in file order."""
        name, counts, blocks = export.xml_name(), Counter(), []
        with export.open_xml() as stream:
            prologue, head = split_prologue(stream, name)
            counts["bytes_read"] = prologue.bytes
            parts = complete_elements(stream, head, prologue.lines + 1, name, self.chunk_bytes)

            def tasks() -> Iterator[tuple[pl.DataFrame, str, bool]]:
                for classified, size, last in parts:
                    counts["bytes_read"] += size
                    yield classified, export.user_id, last

            for found in threaded_map(extract, tasks()):
                yield self._collect(export, found, counts, blocks)
        self._finish(export, pl.concat(blocks), prologue.dtd, counts)

    def _collect(
        self, export: AppleExport, found: Extracted, counts: Counter, blocks: list[pl.DataFrame]
    ) -> pl.DataFrame:
        if found.rejected.height:
            self._reject(export, found.rejected)
        blocks.append(found.blocks)
        counts.update(found.counts, hr_records=found.samples.height)
        return found.samples

    def _finish(self, export: AppleExport, blocks: pl.DataFrame, dtd: str, counts: Counter) -> None:
        rows, person, broken = parse_blocks(blocks)
        workouts, invalid = workout_table(rows, export.user_id)
        self._workouts.append(workouts)
        rejects = pl.concat([pl.DataFrame(broken, schema=invalid.schema), invalid])
        if rejects.height:
            excerpts = blocks.select("line_number", _excerpt(pl.col("text")))
            self._reject(export, rejects.join(excerpts, on="line_number"))
        exported, _ = apple_time("export_date")
        self._users.append(
            pl.DataFrame(
                {"export_date": [person.get("export_date")], "born": [person.get("date_of_birth")]},
                schema={"export_date": pl.String, "born": pl.String},
            )
            .select(
                user_id=pl.lit(export.user_id),
                gender=pl.lit(person.get("gender", "unknown")),
                date_of_birth=pl.col("born").str.to_date(strict=False),
                export_date=exported,
                export_path=pl.lit(str(export.path)),
                dtd=pl.lit(dtd),
                **{k: pl.lit(counts[k], pl.Int64) for k in ("records", "nested_records")},
                hr_records=pl.lit(counts["hr_records"], pl.Int64),
                bytes_read=pl.lit(counts["bytes_read"], pl.Int64),
            )
            .row(0, named=True)
        )

    @property
    def workouts(self) -> pl.DataFrame:
        return pl.concat([polars_schema(AppleWorkouts).to_frame(), *self._workouts])

    @property
    def users(self) -> pl.DataFrame:
        return pl.DataFrame(self._users, schema=polars_schema(AppleUsers))

    @property
    def quarantine(self) -> pl.DataFrame:
        return pl.concat([polars_schema(AppleQuarantine).to_frame(), *self._quarantine])


def _truncated(classified: pl.DataFrame) -> pl.DataFrame:
    """A quarantine row for an export.xml that stops before </HealthData>."""
    last = classified.tail(1)
    return last.select(
        "line_number",
        pl.lit("export.xml ends without </HealthData>: the export is truncated").alias("reason"),
        _excerpt(pl.col("line")),
    )
