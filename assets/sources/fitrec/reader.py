"""Stream a FitRec file (plain or gzip) through the parser, memory bounded by the chunk.

`FitrecPass.workouts` is a LazyFrame whose scan parses the file chunk by chunk, so whoever sinks it
(the IO manager, the benchmark) writes the bronze table in one streaming pass; quarantined lines and
counts accumulate on the side during that same pass. The entry point of the parse path: reader ->
`chunks` -> `split` (fast) -> `literal` (slow) -> `tables` (bronze), each importing only later ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.lake.io_manager import write_frame
from assets.lake.streaming import streamed, threaded_map
from assets.sources.fitrec.chunks import CHUNK_BYTES, numbered_chunks, open_fitrec, parse_numbered
from assets.sources.fitrec.tables import QUARANTINE_SCHEMA, WORKOUT_SCHEMA

# ~36 kB per workout row: 1,024 rows keep each parquet row group (and the writer's buffer) ~40 MB.
WORKOUT_ROW_GROUP = 1024


@dataclass(frozen=True)
class IngestStats:
    """What one pass saw: lines read, workout rows, quarantined lines, bytes read."""

    lines: int
    workouts: int
    quarantined: int
    bytes_read: int


def count_lines(path: Path) -> int:
    """Count lines from raw blocks, independently of the chunker that ingestion uses, so the two
    can be checked against each other (a last line without a newline counts)."""
    lines, last = 0, b"\n"
    with open_fitrec(path) as stream:
        while block := stream.read(CHUNK_BYTES):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


class FitrecPass:
    """One streaming pass over a file: sink `workouts`, then read `quarantine` and `stats`."""

    def __init__(self, source: Path, chunk_bytes: int = CHUNK_BYTES):
        self.source, self.chunk_bytes = Path(source), chunk_bytes
        self._rejected: list[pl.DataFrame] = []
        self._stats = IngestStats(0, 0, 0, 0)
        self.workouts = streamed(self._parse, WORKOUT_SCHEMA, f"fitrec {self.source.name}")

    def _parse(self) -> Iterator[pl.DataFrame]:
        """Chunks are parsed on worker threads, taken back in file order."""
        self._rejected, self._stats = [], IngestStats(0, 0, 0, 0)
        chunks = numbered_chunks(self.source, self.chunk_bytes)
        for size, parsed, rejected in threaded_map(parse_numbered, chunks):
            self._rejected.append(rejected)
            seen = self._stats
            self._stats = IngestStats(
                lines=seen.lines + parsed.height + rejected.height,
                workouts=seen.workouts + parsed.height,
                quarantined=seen.quarantined + rejected.height,
                bytes_read=seen.bytes_read + size,
            )
            yield parsed

    @property
    def quarantine(self) -> pl.DataFrame:
        return pl.concat([QUARANTINE_SCHEMA.to_frame(), *self._rejected])

    @property
    def stats(self) -> IngestStats:
        return self._stats


def ingest_fitrec_file(source: Path, workouts_path: Path, quarantine_path: Path) -> IngestStats:
    """Raw FitRec file -> bronze workouts parquet + quarantine parquet, in one streaming pass,
    written as the IO manager writes the lake's tables."""
    fitrec = FitrecPass(source)
    write_frame(fitrec.workouts, str(workouts_path), WORKOUT_ROW_GROUP)
    write_frame(fitrec.quarantine, str(quarantine_path))
    return fitrec.stats
