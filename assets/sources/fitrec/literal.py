"""The slow path: one FitRec line at a time, as a Python literal, never evaluated.

Used for lines the string-split fast path (`split`) leaves (apostrophes in strings, nan,
truncation...). Every field's type is checked, so a line is either a well-typed row or a precise
quarantine reason; rows end in `tables`, as the fast path's do, so both paths type them alike.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence

import polars as pl

from assets.sources.fitrec.tables import QUARANTINE_SCHEMA, RAW_SCHEMA, SERIES_TYPES, to_bronze

EXCERPT_CHARS = 200


class LineRejected(ValueError):
    """A line that is not a usable workout; the message is the quarantine reason."""


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
NODE_ADDRESS = re.compile(r" object at 0x[0-9a-fA-F]+")
# What may follow the last `[` of a line cut short inside a list of numbers: no exponents, as a
# cut right after an exponent's `e` makes Python name the number instead of the bracket.
OPEN_NUMBERS = re.compile(r"[0-9., +-]*")


class _NonFiniteNames(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.Constant:
        return ast.copy_location(ast.Constant(NON_FINITE[node.id]), node)


def safe_literal(text: str) -> object:
    """Parse a Python literal the way `repr` writes it (nan and inf included); never evaluate.

    `ast.literal_eval` accepts literal nodes only, so it is tried first. When it refuses, an
    allow-list walk of the syntax tree names the offending construct (calls, names, operators),
    and the only names let through, `nan` and `inf`, become float constants. A line cut short
    inside a list of numbers is refused before parsing (see `unclosed_list`).
    """
    text = text.strip()
    if (column := unclosed_list(text)) is not None:
        raise LineRejected(f"syntax error at column {column}: '[' was never closed")
    try:
        tree = ast.parse(text, mode="eval")
        return ast.literal_eval(tree)
    except SyntaxError as error:
        raise LineRejected(f"syntax error at column {error.offset}: {error.msg}") from None
    except (MemoryError, RecursionError):
        raise LineRejected("line nests too deeply to parse") from None
    except (ValueError, TypeError):
        pass  # not a plain literal: find out why below
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in NON_FINITE:
            continue
        if not isinstance(node, LITERAL_NODES):
            where = f" at column {node.col_offset + 1}" if hasattr(node, "col_offset") else ""
            raise LineRejected(f"not a plain literal: {type(node).__name__}{where}")
    try:
        return ast.literal_eval(_NonFiniteNames().visit(tree))
    except (ValueError, TypeError) as error:
        # literal_eval names the node by its memory address: dropped, so reasons are repeatable.
        raise LineRejected(f"not a plain literal: {NODE_ADDRESS.sub('', str(error))}") from None


def unclosed_list(text: str) -> int | None:
    """The 1-based column of a `[` that nothing can close, or None: no `]` follows it, only
    numbers do, and it is in no string or comment (the line has no `#`, backslash, `"` or
    `'''`, and an even count of `'` before it). Python cannot parse such a line, and names
    this bracket when the line is otherwise as `repr` writes it (a line cut short). Found here,
    it spares the parser (~5 ms a typical line: most of the slow path's time on cut lines)."""
    at = text.rfind("[")
    if at < 0 or not OPEN_NUMBERS.fullmatch(text, at + 1):
        return None
    if any(mark in text for mark in ("#", "\\", '"', "\r", "'''")) or text.count("'", 0, at) % 2:
        return None
    return at + 1


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
