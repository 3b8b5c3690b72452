"""One streaming pass over each export.xml: heart-rate samples stream out as a LazyFrame, while
workouts, the person, quarantined elements and counts are collected on the side.

The research code re-parsed the whole export once per workout; here every byte is read once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from assets.lake.streaming import streamed, threaded_map
from assets.sources.apple_health.export import AppleExport
from assets.sources.apple_health.layout import SOURCES, apple_layout
from assets.sources.apple_health.lines import (
    Lines,
    closes_root,
    complete_prefix,
    element_blocks,
    heart_rate_records,
    line_structure,
    record_counts,
)
from assets.sources.apple_health.records import (
    apple_time,
    attribute_columns,
    clean_texts,
    heart_rate_rows,
    with_times,
)
from assets.sources.apple_health.workouts import parse_blocks, workout_table
from assets.sources.apple_health.xml_stream import (
    CHUNK_BYTES,
    MalformedExportError,
    body_blocks,
    split_prologue,
)
from schemas.apple import AppleHrSamples, AppleQuarantine, AppleUsers, AppleWorkouts
from schemas.tables import polars_schema

MAX_ELEMENT_BYTES = 256 * 1024 * 1024
EXCERPT_CHARS = 200


def _excerpt(text: pl.Expr) -> pl.Expr:
    return text.str.strip_chars().str.slice(0, EXCERPT_CHARS).alias("excerpt")


@dataclass(frozen=True)
class Extracted:
    """What whole top-level elements yield; line numbers count from the block's first line."""

    samples: pl.DataFrame
    rejected: pl.DataFrame  # line_number, reason, excerpt
    blocks: pl.DataFrame  # Workout/Me/ExportDate texts, parsed at the end
    counts: dict[str, int]

    def shifted(self, lines: int) -> Extracted:
        """Line numbers moved on by `lines`."""
        moved = pl.col("line_number") + lines
        return Extracted(
            *(frame.with_columns(moved) for frame in (self.samples, self.rejected, self.blocks)),
            self.counts,
        )


def heart_rate_attributes(lines: Lines) -> pl.DataFrame:
    """Attribute columns (source texts cleaned, times read) of every heart-rate record, in file
    order: read in place where Apple's layout holds, else by the general reader."""
    read, others = apple_layout(lines, heart_rate_records(lines))
    if not others.height:
        return read
    general = attribute_columns(
        others.with_columns(line=lines.strings(others["line_number"].to_numpy()))
    )
    general = with_times(clean_texts(general, SOURCES))
    return pl.concat([read.select(general.columns), general]).sort("line_number")


def extract(lines: Lines, user_id: str) -> Extracted:
    samples, bad = heart_rate_rows(heart_rate_attributes(lines), user_id)
    rejected = bad.with_columns(line=lines.strings(bad["line_number"].to_numpy())).select(
        "line_number", "reason", _excerpt(pl.col("line"))
    )
    return Extracted(samples, rejected, element_blocks(lines), record_counts(lines))


@dataclass(frozen=True)
class Block:
    """A block worked out on its own, as if it started between top-level elements."""

    lines: Lines
    found: Extracted


def work_out(data: bytes | memoryview, user_id: str) -> Block:
    lines = line_structure(data)
    return Block(lines, extract(lines, user_id))


def whole_elements(
    blocks: Iterator[Block], user_id: str, name: str, line: int
) -> Iterator[tuple[Block, int]]:
    """The blocks, each with the file's number for its first line (`line` for the first), mended
    where a guessed cut fell inside an element: such a block keeps its whole elements, and the
    rest is worked out again with the next block's bytes. A block is right as worked out when
    the one before it ended between elements."""
    carry = b""
    for block in blocks:
        if carry:
            block = work_out(carry + bytes(block.lines.data), user_id)
            carry = b""
        lines = block.lines
        if lines.end_depth > 0:
            keep = complete_prefix(lines)
            carry = bytes(lines.data[lines.starts[keep] :])
            if len(carry) > MAX_ELEMENT_BYTES:
                raise MalformedExportError(
                    f"{name} line {line + keep}: an element spans over 256 MB"
                )
            if not keep:
                continue
            lines = lines.head(keep)
            block = Block(lines, extract(lines, user_id))
        yield block, line
        line += block.lines.height
    if carry:
        yield work_out(carry, user_id), line


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
        """This thread reads blocks; worker threads work each one out (numpy and polars release
        the GIL), and the results are mended and taken back in file order."""
        name, counts, elements = export.xml_name(), Counter(), []
        with export.open_xml() as stream:
            prologue, head = split_prologue(stream, name)
            counts["bytes_read"] = prologue.bytes
            tasks = (
                (data, export.user_id) for data in body_blocks(stream, head, self.chunk_bytes, name)
            )
            blocks = threaded_map(work_out, tasks)
            closed, last_line = False, (0, "")
            for block, line in whole_elements(blocks, export.user_id, name, prologue.lines + 1):
                found = block.found.shifted(line)
                if found.rejected.height:
                    self._reject(export, found.rejected)
                elements.append(found.blocks)
                counts.update(found.counts, hr_records=found.samples.height)
                counts["bytes_read"] += len(block.lines.data)
                closed |= closes_root(block.lines)
                last_line = (line + block.lines.height - 1, block.lines.text(-1, -1))
                yield found.samples
        if not closed:
            self._reject(export, _truncated(*last_line))
        self._finish(export, pl.concat(elements), prologue.dtd, counts)

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


def _truncated(line_number: int, line: str) -> pl.DataFrame:
    """A quarantine row for an export.xml that stops before </HealthData>."""
    return pl.DataFrame({"line_number": [line_number], "line": [line]}).select(
        "line_number",
        pl.lit("export.xml ends without </HealthData>: the export is truncated").alias("reason"),
        _excerpt(pl.col("line")),
    )
