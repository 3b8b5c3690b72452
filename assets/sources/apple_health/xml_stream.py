"""export.xml as a stream: a vetted prologue, then the body in blocks of whole lines.

Apple writes one element per line, so the body is worked out line by line over raw bytes
(assets.sources.apple_health.lines) instead of with an XML parser: many times faster than lxml. The
prologue's DTD is checked first: entity declarations are refused (Apple never declares any;
they are how billion-laughs and external-entity attacks work), and the malformed DTD of iOS 16
exports is recognised and skipped rather than failing the export.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from assets.sources.apple_health.export import UnsafeExportError
from assets.sources.safe_xml import safe_parser

ROOT_START = b"<HealthData"
PROLOGUE_LIMIT = 4 * 1024 * 1024
CHUNK_BYTES = 16 * 1024 * 1024  # fastest measured on 2 cores (8, 12, 24 and 32 MB were slower)
MAX_LINE_BYTES = 256 * 1024 * 1024
TOP_LEVEL_LINE = b"\n <"  # and a letter: how Apple starts a top-level element's line
ENTITY_DECLARATION = re.compile(rb"<!ENTITY\s+(?:%\s*)?([^\s>]+)([^>]*)")


class MalformedExportError(ValueError):
    """export.xml cannot be read as a Health export at all (named file and line)."""


@dataclass(frozen=True)
class Prologue:
    lines: int  # newlines before <HealthData, so body line numbers match the file's
    bytes: int
    dtd: str  # "ok", "malformed" (the iOS 16 defect, skipped) or "absent"


def refuse_entities(prologue: bytes, name: str) -> None:
    """UnsafeExportError naming the first entity declaration and its line, if there is one."""
    found = ENTITY_DECLARATION.search(prologue)
    if found is None:
        return
    line = prologue.count(b"\n", 0, found.start()) + 1
    entity = found.group(1).decode(errors="replace")
    external = re.search(rb"\b(SYSTEM|PUBLIC)\b", found.group(2))
    kind = "an external entity" if external else "an entity"
    raise UnsafeExportError(
        f"{name} line {line}: the DTD declares {kind} {entity!r}; Apple's exports declare none, "
        "and entities are how external-entity and billion-laughs attacks work, so the export "
        "is refused"
    )


def dtd_status(prologue: bytes) -> str:
    if b"<!DOCTYPE" not in prologue:
        return "absent"
    try:
        etree.fromstring(prologue + b"<HealthData/>", safe_parser())
    except etree.XMLSyntaxError:
        return "malformed"
    return "ok"


def split_prologue(stream: BinaryIO, name: str) -> tuple[Prologue, bytes]:
    """Read up to <HealthData; return the vetted prologue and the bytes read past it."""
    head = b""
    while (start := head.find(ROOT_START)) < 0:
        block = stream.read(64 * 1024)
        if not block or len(head) > PROLOGUE_LIMIT:
            raise MalformedExportError(f"{name}: no <HealthData> element in the first bytes")
        head += block
    prologue = head[:start]
    refuse_entities(prologue, name)
    return Prologue(prologue.count(b"\n"), start, dtd_status(prologue)), head[start:]


def body_blocks(
    stream: BinaryIO, head: bytes, chunk_bytes: int, name: str
) -> Iterator[bytes | memoryview]:
    """The rest of export.xml in blocks of whole lines (line feeds only, the last one added if
    the file lacks it). Each block ends, where it can, before a line that looks like the start
    of a top-level element (Apple indents those by one space), so that blocks can be worked out
    on their own; the pass checks that guess and mends the blocks where it was wrong."""
    carry, source = b"", _HeadFirst(head, stream)
    while True:
        block = bytearray(len(carry) + chunk_bytes)
        block[: len(carry)] = carry
        size = len(carry) + _read_into(source, memoryview(block)[len(carry) :])
        if size == len(carry):
            break
        cut = _cut(block, size)
        if cut == 0 and size > MAX_LINE_BYTES:
            raise MalformedExportError(f"{name}: a line runs over {MAX_LINE_BYTES >> 20} MB")
        if cut:
            yield _line_feeds(memoryview(block)[:cut])
        carry = block[cut:size]
    if carry:
        yield _line_feeds(memoryview(carry if carry.endswith(b"\n") else carry + b"\n"))


class _HeadFirst:
    """The body as one stream: the bytes read with the prologue, then the rest of the file."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self.head, self.stream = memoryview(head), stream

    def readinto(self, target: memoryview) -> int:
        if not self.head:
            return self.stream.readinto(target)
        count = min(len(target), len(self.head))
        target[:count] = self.head[:count]
        self.head = self.head[count:]
        return count


def _read_into(stream: _HeadFirst, target: memoryview) -> int:
    filled = 0
    while filled < len(target) and (got := stream.readinto(target[filled:])):
        filled += got
    return filled


def _cut(block: bytearray, size: int) -> int:
    """Where the last line that looks like a top-level start begins, else after the last line
    feed, else 0 (no whole line yet)."""
    width = len(TOP_LEVEL_LINE)
    at = block.rfind(TOP_LEVEL_LINE, 0, size - 1)  # a byte must follow it
    while at >= 0 and not ord("a") <= block[at + width] | 0x20 <= ord("z"):
        at = block.rfind(TOP_LEVEL_LINE, 0, at + width - 1)
    return at + 1 if at >= 0 else block.rfind(b"\n", 0, size) + 1


def _line_feeds(block: memoryview) -> bytes | memoryview:
    """CRLF as LF, so that line counts and line ends hold."""
    raw = block.obj
    if raw.find(b"\r", 0, len(block)) < 0:
        return block
    return bytes(block).replace(b"\r\n", b"\n")
