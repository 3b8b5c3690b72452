"""Parse FitRec/Endomondo lines (one Python dict literal per line) into typed bronze columns.

Fast path: swap single for double quotes and hand whole chunks to polars' native NDJSON reader.
The swap is only trusted on bytes without `"` or backslashes (the two things it would silently
corrupt); everything else the strict reader rejects loudly (nan, None, tuples, truncation...), and
those lines fall back to `ast.literal_eval` one by one. What still fails is quarantined with its
reason. Nothing here ever evaluates input.
"""

from __future__ import annotations

import ast
import io
import math
import re
from collections.abc import Sequence

import polars as pl

SWAP_UNSAFE = (b'"', b"\\")
# Tokens that make a line valid Python but invalid JSON: such lines go straight to the slow path.
JSON_INCOMPATIBLE = (*SWAP_UNSAFE, b"nan", b"inf", b"None", b"True", b"False", b"(")
# polars' reader turns any JSON value into text for a String field, so the fast path takes only
# lines whose text fields hold quoted strings: 3 per line (sport, gender, url) in the common case.
TEXT_KEYS = ("sport", "gender", "url")
UNQUOTED_TEXT_VALUE = re.compile(rb"'(?:sport|gender|url)': (?!')")
EXCERPT_CHARS = 200

F64, F32 = pl.List(pl.Float64), pl.List(pl.Float32)
# Key order of the real files; the reader needs the names, polars ignores unknown keys.
RAW_SCHEMA = {
    "longitude": F64,
    "altitude": F32,
    "latitude": F64,
    "sport": pl.String,
    "id": pl.Int64,
    "heart_rate": F32,
    "gender": pl.String,
    "timestamp": pl.List(pl.Int64),
    "url": pl.String,
    "userId": pl.Int64,
    "speed": F32,
}
SERIES_TYPES = {
    "timestamp": pl.List(pl.Int64),
    "heart_rate": F32,
    "speed": F32,
    "altitude": F32,
    "latitude": F64,
    "longitude": F64,
}
WORKOUT_SCHEMA = pl.Schema(
    {
        "workout_id": pl.Int64,
        "user_id": pl.Int64,
        "sport": pl.String,
        "gender": pl.String,
        "url": pl.String,
        "source_file": pl.String,
        "line_number": pl.Int64,
        **SERIES_TYPES,
    }
)
QUARANTINE_SCHEMA = pl.Schema(
    {
        "source_file": pl.String,
        "line_number": pl.Int64,
        "reason": pl.String,
        "excerpt": pl.String,
    }
)
PARSE_ERRORS = (pl.exceptions.PolarsError, ValueError)


class LineRejected(ValueError):
    """A line that is not a usable workout; the message is the quarantine reason."""


def to_bronze(raw: pl.DataFrame, line_numbers: int | Sequence[int], source: str) -> pl.DataFrame:
    """Rename FitRec keys to bronze names and attach provenance (file and 1-based line number).

    `line_numbers` is the first line's number when the rows are consecutive lines, else one per row.
    """
    numbers = (
        pl.int_range(line_numbers, line_numbers + raw.height, dtype=pl.Int64)
        if isinstance(line_numbers, int)
        else pl.lit(pl.Series(line_numbers, dtype=pl.Int64))
    )
    return raw.select(
        pl.col("id").alias("workout_id"),
        pl.col("userId").alias("user_id"),
        "sport",
        "gender",
        "url",
        pl.lit(source, pl.String).alias("source_file"),
        numbers.alias("line_number"),
        *(pl.col(name).cast(dtype) for name, dtype in SERIES_TYPES.items()),
    )


def parse_fast(
    lines: bytes, line_numbers: int | Sequence[int], source: str, line_count: int
) -> pl.DataFrame:
    """Parse newline-terminated, swap-safe lines natively; raise unless all are plain workouts."""
    # Quotes are rare (about 30 per 36 kB line), so replace (memchr-fast) beats a translate table.
    raw = pl.read_ndjson(io.BytesIO(lines.replace(b"'", b'"')), schema=RAW_SCHEMA)
    if raw.height != line_count:
        raise ValueError("blank line in chunk")
    identified = pl.all_horizontal((pl.col("id", "userId") >= 1).fill_null(False)).all()
    if not raw.select(identified).item():
        raise ValueError("line without a positive id or userId")
    return to_bronze(raw, line_numbers, source)


def _identifier(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LineRejected(f"'{key}' must be an integer, got {type(value).__name__}")
    if value < 1:
        raise LineRejected(f"'{key}' must be positive, got {value}")
    return value


def _text(value: object, key: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise LineRejected(f"'{key}' must be a string, got {type(value).__name__}")


def _numbers(value: object, key: str, integral: bool) -> list | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise LineRejected(f"'{key}' must be a list of numbers, got {type(value).__name__}")
    for i, item in enumerate(value):
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise LineRejected(f"'{key}'[{i}] is {type(item).__name__}, not a number")
        if integral and not (isinstance(item, int) or (math.isfinite(item) and item.is_integer())):
            raise LineRejected(f"'{key}'[{i}] = {item!r} is not an integer epoch second")
    return [int(v) for v in value] if integral else list(value)


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LineRejected(f"not valid UTF-8 at column {error.start + 1}") from None


# What a line may hold: plain literals, signs, and the bare names repr prints for non-finite floats.
LITERAL_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Dict,
    ast.List,
    ast.Tuple,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Load,
)
NON_FINITE = {"nan": math.nan, "inf": math.inf}


class _NonFiniteNames(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.Constant:
        return ast.copy_location(ast.Constant(NON_FINITE[node.id]), node)


def safe_literal(text: str) -> object:
    """Parse a Python literal the way `repr` writes it (nan and inf included); never evaluate.

    Any other construct (calls, names, operators) is refused by an allow-list walk of the syntax
    tree before `ast.literal_eval` sees it.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise LineRejected(f"syntax error at column {error.offset}: {error.msg}") from None
    except (MemoryError, RecursionError):
        raise LineRejected("line nests too deeply to parse") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in NON_FINITE:
            continue
        if not isinstance(node, LITERAL_NODES):
            where = f" at column {node.col_offset + 1}" if hasattr(node, "col_offset") else ""
            raise LineRejected(f"not a plain literal: {type(node).__name__}{where}")
    try:
        return ast.literal_eval(_NonFiniteNames().visit(tree))
    except (ValueError, TypeError) as error:
        raise LineRejected(f"not a plain literal: {error}") from None


def literal_to_row(text: str) -> dict:
    """Parse one line (see `safe_literal`) and check every field's type."""
    if not text.strip():
        raise LineRejected("empty line")
    value = safe_literal(text)
    if not isinstance(value, dict):
        raise LineRejected(f"line is a {type(value).__name__}, not a dict")
    for key in ("id", "userId"):
        if key not in value:
            raise LineRejected(f"missing required key '{key}'")
    row = {key: _text(value.get(key), key) for key in ("sport", "gender", "url")}
    row["id"], row["userId"] = (
        _identifier(value["id"], "id"),
        _identifier(value["userId"], "userId"),
    )
    for key in SERIES_TYPES:
        row[key] = _numbers(value.get(key), key, integral=key == "timestamp")
    return row


def parse_slow(lines: Sequence[bytes], numbers: Sequence[int], source: str):
    """Parse lines one at a time; return (workout rows, quarantine rows) as frames."""
    rows, row_numbers, rejected = [], [], []
    for line, number in zip(lines, numbers, strict=True):
        try:
            rows.append(literal_to_row(_decode(line)))
            row_numbers.append(number)
        except LineRejected as reason:
            excerpt = line[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")[:EXCERPT_CHARS]
            rejected.append((source, number, str(reason), excerpt))
    workouts = to_bronze(pl.DataFrame(rows, schema=RAW_SCHEMA, strict=False), row_numbers, source)
    return workouts, pl.DataFrame(rejected, schema=QUARANTINE_SCHEMA, orient="row")


def _is_suspect(line: bytes) -> bool:
    return (
        not line.strip()
        or any(token in line for token in JSON_INCOMPATIBLE)
        or UNQUOTED_TEXT_VALUE.search(line) is not None
    )


def _fast_eligible(chunk: bytes, line_count: int) -> bool:
    """Cheap whole-chunk proof that the quote swap is safe and text fields are quoted strings."""
    return not any(token in chunk for token in SWAP_UNSAFE) and (
        chunk.count(b"': '") == len(TEXT_KEYS) * line_count
    )


def _parse_clean(lines: list[bytes], numbers: list[int], source: str):
    """Fast-parse JSON-compatible lines, bisecting around lines the native reader rejects.

    Returns (parsed frames, [(line, number)] left for the slow path).
    """
    try:
        joined = b"".join(line + b"\n" for line in lines)
        return [parse_fast(joined, numbers, source, len(lines))], []
    except PARSE_ERRORS:
        if len(lines) == 1:
            return [], [(lines[0], numbers[0])]
    half = len(lines) // 2
    left, left_bad = _parse_clean(lines[:half], numbers[:half], source)
    right, right_bad = _parse_clean(lines[half:], numbers[half:], source)
    return left + right, left_bad + right_bad


def parse_chunk(chunk: bytes, first_line: int, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Parse newline-terminated lines numbered from `first_line`: (workouts, quarantine)."""
    line_count = chunk.count(b"\n")
    if _fast_eligible(chunk, line_count):
        try:
            return parse_fast(chunk, first_line, source, line_count), QUARANTINE_SCHEMA.to_frame()
        except PARSE_ERRORS:
            pass
    lines = chunk.split(b"\n")[:-1]
    numbers = range(first_line, first_line + len(lines))
    suspect = [(line, n) for line, n in zip(lines, numbers, strict=True) if _is_suspect(line)]
    clean = [(line, n) for line, n in zip(lines, numbers, strict=True) if not _is_suspect(line)]
    fast, rejected_by_reader = (
        _parse_clean([line for line, _ in clean], [n for _, n in clean], source)
        if clean
        else ([], [])
    )
    slow = suspect + rejected_by_reader
    slow_workouts, quarantine = parse_slow([s[0] for s in slow], [s[1] for s in slow], source)
    workouts = pl.concat([*fast, slow_workouts]).sort("line_number")
    return workouts, quarantine.sort("line_number")
