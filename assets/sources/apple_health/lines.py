"""export.xml's element structure, worked out with numpy over a block's bytes.

Apple writes one element per line, so a line's first bytes say what it is (its tag, whether it
closes) and its last bytes whether it closes itself. Nesting is a running sum of opening minus
closing tags, so Records nested in a <Correlation> (which Apple also lists at top level) are told
apart from top-level ones, and children such as a heart-rate record's MetadataEntry are tied to
their parent by the parent's top-level number. Only the lines that are wanted (heart-rate
records, their motion entries, workouts) are ever made into strings: turning every line into one
was most of the ingestion's time.

Line numbers here count from 0 at the block's first line; the pass adds the block's place.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import polars as pl

from assets.sources.apple_health.spans import Template, spans, texts

OTHER, ROOT, RECORD, METADATA_ENTRY, WORKOUT, ME, EXPORT_DATE = range(7)
NOT_A_TAG = -1  # a blank line, or a value continued from the line before
TAG_NAMES = {
    ROOT: b"HealthData",
    RECORD: b"Record",
    METADATA_ENTRY: b"MetadataEntry",
    WORKOUT: b"Workout",
    ME: b"Me",
    EXPORT_DATE: b"ExportDate",
}
NAME_TEMPLATES = {key: Template(name) for key, name in TAG_NAMES.items()}
# Top-level elements whose whole text is parsed with lxml (few per export).
BLOCK_TAGS = {WORKOUT: "Workout", ME: "Me", EXPORT_DATE: "ExportDate"}
HR_TYPE_ATTRIBUTE = 'type="HKQuantityTypeIdentifierHeartRate"'
MOTION_KEY = 'key="HKMetadataKeyHeartRateMotionContext"'
# How Apple writes them: right after the tag's name, so they are checked where they must be.
TYPED = Template(b' type="')
APPLE_HR_TYPE = Template(f" {HR_TYPE_ATTRIBUTE}".encode())
APPLE_MOTION = Template(f' {MOTION_KEY} value="'.encode())


@dataclass(frozen=True)
class Lines:
    """Whole lines (`data` ends with a line feed) and, per line: where it starts, where its line
    feed is, its tag, and where it sits in the element tree."""

    data: bytes | memoryview
    starts: np.ndarray
    ends: np.ndarray
    name_at: np.ndarray  # where the tag's name starts
    tag: np.ndarray  # a TAG_NAMES key (closing tags: ROOT only), OTHER or NOT_A_TAG
    closes: np.ndarray  # </...>
    depth_before: np.ndarray  # 0: directly inside <HealthData>
    top_start: np.ndarray  # opens a top-level element
    top_no: np.ndarray  # the top-level element the line is in, numbered from 1 (0: none)
    top_tag: np.ndarray  # that element's tag
    end_depth: int  # depth after the last line: 0 when the block ends between elements

    @property
    def height(self) -> int:
        return len(self.starts)

    def head(self, count: int) -> Lines:
        """The first `count` lines (the bytes are shared, not copied)."""
        arrays = {
            f.name: getattr(self, f.name)[:count]
            for f in fields(self)
            if f.name not in ("data", "end_depth")
        }
        return Lines(self.data, **arrays, end_depth=0)

    def text(self, first: int, last: int) -> str:
        """Lines first..last (inclusive) as text; invalid UTF-8 becomes U+FFFD."""
        return bytes(self.data[self.starts[first] : self.ends[last]]).decode(errors="replace")

    def strings(self, rows: np.ndarray) -> pl.Series:
        """The given lines as a String series (no line feeds)."""
        return texts(spans(self.data, self.starts[rows], self.ends[rows]))


def _name_bytes() -> np.ndarray:
    """Per byte value: can it be part of a tag's name? ([A-Za-z0-9_.:-], or any byte of a
    multi-byte UTF-8 character)."""
    table = np.zeros(256, bool)
    for low, high in ((b"a", b"z"), (b"A", b"Z"), (b"0", b"9"), (b"\x80", b"\xff")):
        table[low[0] : high[0] + 1] = True
    table[list(b"_.:-")] = True
    return table


IS_NAME_BYTE = _name_bytes()


def _tags(data: np.ndarray, name: np.ndarray, keys: tuple[int, ...]) -> np.ndarray:
    """The key (one of `keys`) of the name at each offset, OTHER for any other name."""
    tag = np.full(len(name), OTHER, np.int8)
    # Names are told apart by their first two bytes, so each is compared only where it may be.
    second = data[np.minimum(name + 1, len(data) - 1)].astype(np.uint16)
    initials = data[name] | (second << 8)
    for key in keys:
        text = TAG_NAMES[key]
        rows = np.flatnonzero(initials == int.from_bytes(text[:2], "little"))
        rows = rows[NAME_TEMPLATES[key].matches(data, name[rows])]
        after = np.minimum(name[rows] + len(text), len(data) - 1)
        tag[rows[~IS_NAME_BYTE[data[after]]]] = key
    return tag


def _indentation(byte: np.ndarray) -> np.ndarray:
    """Space, tab, CR, VT or FF (any control byte but the line feed that ends a line)."""
    return (byte <= ord(" ")) & (byte != ord("\n"))


def line_structure(data: bytes | memoryview) -> Lines:
    """Tags and nesting of every line of `data` (whole lines, ending with a line feed).

    Depth counts from 0 at the block's start, which is right when the block starts between
    top-level elements (the pass checks that with the previous block's end_depth). The root's
    own tags are not counted, so depth 0 is inside <HealthData>.
    """
    buffer = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(buffer == ord("\n"))
    starts = np.zeros_like(ends)
    starts[1:] = ends[:-1] + 1
    first = starts.copy()  # the first byte that is not indentation (space, tab, CR, VT, FF)
    while (indented := _indentation(buffer[first])).any():
        first += indented
    last = len(buffer) - 1
    opens_tag = buffer[first] == ord("<")
    closes = opens_tag & (buffer[np.minimum(first + 1, last)] == ord("/"))
    name = np.minimum(first + 1 + closes, last)
    initial = buffer[name] | 0x20
    is_tag = opens_tag & (initial >= ord("a")) & (initial <= ord("z"))
    closes &= is_tag
    tag = np.where(is_tag, OTHER, NOT_A_TAG).astype(np.int8)
    for rows, keys in ((is_tag & ~closes, tuple(TAG_NAMES)), (closes, (ROOT,))):
        rows = np.flatnonzero(rows)
        tag[rows] = _tags(buffer, name[rows], keys)
    self_closing = (buffer[ends - 1] == ord(">")) & (buffer[np.maximum(ends - 2, 0)] == ord("/"))
    counted = is_tag & (tag != ROOT)
    step = (counted & ~closes & ~self_closing).astype(np.int32) - (counted & closes)
    depth_after = np.cumsum(step)
    top_start = counted & ~closes & (depth_after == step)
    top_no = np.cumsum(top_start)
    top_tag = np.concatenate([[NOT_A_TAG], tag[top_start]]).astype(np.int8)[top_no]
    return Lines(
        data,
        starts,
        ends,
        name,
        tag,
        closes,
        depth_after - step,
        top_start,
        top_no,
        top_tag,
        int(depth_after[-1]) if len(depth_after) else 0,
    )


def complete_prefix(lines: Lines) -> int:
    """Lines that form whole top-level elements: everything before the last element starts,
    since that one continues in the next block."""
    starts = np.flatnonzero(lines.top_start)
    return int(starts[-1]) if len(starts) else 0


def closes_root(lines: Lines) -> bool:
    return bool(((lines.tag == ROOT) & lines.closes).any())


def _motion_context() -> pl.Expr:
    """A motion MetadataEntry line's value, or null when the line is not as Apple writes it."""
    parts = pl.col("line").str.split('"')
    value = parts.list.get(3, null_on_oob=True).cast(pl.Int8, strict=False)
    return pl.when(parts.list.get(2, null_on_oob=True) == " value=").then(value)


MOTION_CONTEXT = _motion_context()


def _lines_frame(lines: Lines, rows: np.ndarray) -> pl.DataFrame:
    """line_number, top_no and line (text) of the given lines."""
    return pl.DataFrame(
        {"line_number": rows, "top_no": lines.top_no[rows], "line": lines.strings(rows)},
        schema={"line_number": pl.Int64, "top_no": pl.Int64, "line": pl.String},
    )


def _typed_records(lines: Lines, buffer: np.ndarray) -> pl.DataFrame:
    """line_number, top_no and type_first of top-level Records whose line holds
    HR_TYPE_ATTRIBUTE: checked in place where the type comes first (as Apple writes it), else
    searched for."""
    records = np.flatnonzero((lines.tag == RECORD) & lines.top_start)
    after_name = lines.name_at[records] + len("Record")
    typed = TYPED.matches(buffer, after_name)
    first = records[typed][APPLE_HR_TYPE.matches(buffer, after_name[typed])]
    found = pl.DataFrame(
        {"line_number": first, "top_no": lines.top_no[first], "type_first": True},
        schema={"line_number": pl.Int64, "top_no": pl.Int64, "type_first": pl.Boolean},
    )
    other = _lines_frame(lines, records[~typed]).filter(
        pl.col("line").str.contains(HR_TYPE_ATTRIBUTE, literal=True)
    )
    other = other.select("line_number", "top_no", type_first=pl.lit(False))
    return pl.concat([found, other]).sort("line_number")


def _motion_contexts(lines: Lines, buffer: np.ndarray, tops: np.ndarray) -> pl.DataFrame:
    """top_no and motion_context of the motion MetadataEntry children of the top-level
    elements `tops`: read in place where Apple's layout holds a one-digit value, else parsed."""
    entries = np.flatnonzero(
        (lines.tag == METADATA_ENTRY) & (lines.depth_before == 1) & (lines.top_tag == RECORD)
    )
    entries = entries[np.isin(lines.top_no[entries], tops)]
    value_at = lines.name_at[entries] + len("MetadataEntry") + APPLE_MOTION.size
    last = len(buffer) - 1
    digit = buffer[np.minimum(value_at, last)].astype(np.int16) - ord("0")
    apple = (
        APPLE_MOTION.matches(buffer, value_at - APPLE_MOTION.size)
        & (digit >= 0)
        & (digit <= 9)
        & (buffer[np.minimum(value_at + 1, last)] == ord('"'))
    )
    read = pl.DataFrame(
        {
            "line_number": entries[apple].astype(np.int64),
            "top_no": lines.top_no[entries[apple]],
            "motion_context": digit[apple],
        },
        schema={"line_number": pl.Int64, "top_no": pl.Int64, "motion_context": pl.Int8},
    )
    parsed = (
        _lines_frame(lines, entries[~apple])
        .filter(pl.col("line").str.contains(MOTION_KEY, literal=True))
        .select("line_number", "top_no", motion_context=MOTION_CONTEXT)
    )
    if parsed.height:  # a record may hold more than one: keep them in file order
        read = pl.concat([read, parsed]).sort("line_number")
    return read.drop("line_number")


def heart_rate_records(lines: Lines) -> pl.DataFrame:
    """Top-level heart-rate Records (exact type, never HRV or resting HR) with their motion
    context: line_number, motion_context (the child MetadataEntry's value, or null) and
    type_first (the line starts `<Record type="HKQuantityTypeIdentifierHeartRate"`)."""
    buffer = np.frombuffer(lines.data, np.uint8)
    records = _typed_records(lines, buffer)
    motion = _motion_contexts(lines, buffer, records["top_no"].to_numpy())
    return records.join(
        motion, on="top_no", how="left", maintain_order="left", coalesce=True
    ).select("line_number", "motion_context", "type_first")


def element_blocks(lines: Lines) -> pl.DataFrame:
    """Whole text of each top-level Workout, Me and ExportDate element (line_number, tag, text)."""
    wanted = np.flatnonzero(lines.top_start & np.isin(lines.tag, list(BLOCK_TAGS)))
    # An element's last line is the one after which depth is back at 0 (or the block's last).
    last_lines = np.append(np.flatnonzero(lines.depth_before[1:] == 0), lines.height - 1)
    rows = [
        (
            int(first),
            BLOCK_TAGS[int(lines.tag[first])],
            lines.text(first, last_lines[np.searchsorted(last_lines, first)]),
        )
        for first in wanted
    ]
    return pl.DataFrame(
        rows, schema={"line_number": pl.Int64, "tag": pl.String, "text": pl.String}, orient="row"
    )


def record_counts(lines: Lines) -> dict[str, int]:
    """How many Records were seen, top level and nested (nested ones duplicate top-level ones)."""
    record = (lines.tag == RECORD) & ~lines.closes
    return {
        "records": int((record & lines.top_start).sum()),
        "nested_records": int((record & ~lines.top_start).sum()),
    }
