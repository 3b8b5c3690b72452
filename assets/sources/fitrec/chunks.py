"""Cut a FitRec file (plain or gzip) into chunks of whole lines, numbered, and parse each one.

A chunk ends where a line does, so it parses on its own, on any worker thread, and memory stays
bounded by the chunk size whatever the file's. Parsing itself is the fast path's (`split`).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import polars as pl

from assets.sources.fitrec.split import line_ends, parse_chunk

# Below glibc's 32 MB mmap ceiling, so freed chunk buffers are reused rather than mapped and
# page-faulted afresh: measured against 32 MB, half the system time and ~10% less CPU in all.
CHUNK_BYTES = 16 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


def open_fitrec(path: Path) -> BinaryIO:
    """Open plain or gzip FitRec files alike (gzip recognised by its magic bytes, not the name)."""
    with open(path, "rb") as probe:
        is_gzip = probe.read(2) == GZIP_MAGIC
    return gzip.open(path, "rb") if is_gzip else open(path, "rb")


def iter_line_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Yield blocks of whole newline-terminated lines (the parser numbers them as it splits)."""
    with open_fitrec(path) as stream:
        blocks = _completed_blocks if isinstance(stream, gzip.GzipFile) else _exact_blocks
        for block in blocks(stream, chunk_bytes):
            # the last line of a file without a final newline gets one
            yield block if block.endswith(b"\n") else block + b"\n"


def _exact_blocks(stream: BinaryIO, chunk_bytes: int) -> Iterator[bytes]:
    """Blocks that end where a line does, each in one read: where the line crossing the block's
    end stops is found first, from the block's last byte, so no block is copied to be completed
    (a 16 MB copy into fresh pages each time: ~6% of the ingest's CPU)."""
    start = 0
    while True:
        stream.seek(start + chunk_bytes - 1)
        rest_of_line = len(stream.readline())
        stream.seek(start)
        if not (block := stream.read(chunk_bytes - 1 + rest_of_line)):
            return
        yield block
        start += len(block)


def _completed_blocks(stream: BinaryIO, chunk_bytes: int) -> Iterator[bytes]:
    """Blocks completed with `readline`, for streams that cannot seek cheaply (gzip)."""
    while block := stream.read(chunk_bytes):
        yield block + stream.readline() if not block.endswith(b"\n") else block


def numbered_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[bytes, int, str]]:
    """(chunk, its first line's number, source): chunks end in a newline, so a chunk's lines
    are its newlines (blank lines count, and are quarantined). They are found a line at a time:
    `bytes.count` scans byte by byte, 5x slower on this, the reading thread."""
    first_line = 1
    for chunk in iter_line_chunks(path, chunk_bytes):
        yield chunk, first_line, str(path)
        first_line += len(line_ends(chunk))


def parse_numbered(
    chunk: bytes, first_line: int, source: str
) -> tuple[int, pl.DataFrame, pl.DataFrame]:
    """(bytes, workouts, quarantine) of one chunk from `numbered_chunks`."""
    return len(chunk), *parse_chunk(chunk, first_line, source)
