"""Heart-rate Record lines -> typed rows (UTC times), and the rows that cannot be typed.

Apple writes Record attributes in a fixed order, so a line split on '"' holds each value at a
known place; lines written otherwise fall back to one regex per attribute. Attribute values are
XML-unescaped; an entity other than XML's five (or a character reference) is a defect of the line.
"""

from __future__ import annotations

import html
import re

import polars as pl

# Apple's attribute order for <Record>.
RECORD_ATTRIBUTES = (
    "type",
    "sourceName",
    "sourceVersion",
    "device",
    "unit",
    "creationDate",
    "startDate",
    "endDate",
    "value",
)
KEPT = {
    "sourceName": "source_name",
    "sourceVersion": "source_version",
    "device": "device",
    "unit": "unit",
    "startDate": "start_raw",
    "endDate": "end_raw",
    "value": "value_raw",
}
PREDEFINED = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))
CHARACTER_REFERENCE = re.compile(r"&#(?:\d+|x[0-9A-Fa-f]+);")
APPLE_DATE_BYTES = len("2019-06-01 07:12:58 +0200")
HR_UNIT = "count/min"


def _in_apple_order() -> pl.Expr:
    parts = pl.col("parts")
    in_order = parts.list.len() == 2 * len(RECORD_ATTRIBUTES) + 1
    for i, name in enumerate(RECORD_ATTRIBUTES):
        in_order &= parts.list.get(2 * i, null_on_oob=True).str.ends_with(f" {name}=")
    return in_order


# Built once: a pass calls attribute_columns per block, and building expressions holds the GIL.
IN_APPLE_ORDER = _in_apple_order()
BY_POSITION = [
    pl.col("parts").list.get(2 * RECORD_ATTRIBUTES.index(name) + 1).alias(column)
    for name, column in KEPT.items()
]
BY_NAME = [
    pl.col("line").str.extract(rf'\s{name}="([^"]*)"').alias(column)
    for name, column in KEPT.items()
]


def attribute_columns(lines: pl.DataFrame) -> pl.DataFrame:
    """line_number, motion_context and the KEPT attributes (raw text) of each Record line."""
    split = lines.with_columns(parts=pl.col("line").str.split('"')).with_columns(
        in_order=IN_APPLE_ORDER
    )
    if split["in_order"].all():
        return split.select("line_number", "motion_context", *BY_POSITION)
    fast = split.filter("in_order").select("line_number", "motion_context", *BY_POSITION)
    slow = split.filter(~pl.col("in_order")).select("line_number", "motion_context", *BY_NAME)
    return pl.concat([fast, slow]).sort("line_number")


def unescape(column: str) -> pl.Expr:
    """XML's five predefined entities; '&amp;' last so '&amp;lt;' stays '&lt;'."""
    expr = pl.col(column)
    for entity, char in PREDEFINED:
        expr = expr.str.replace_all(entity, char, literal=True)
    return expr


def apple_time(column: str) -> tuple[pl.Expr, pl.Expr]:
    """('2019-06-01 07:12:58 +0200' -> UTC instant, offset in minutes); null where malformed.

    Naive local time plus a separately read offset ('+0200' read as the integer 200): polars'
    '%z' path is ~5x slower, and a cache does not pay off on timestamps that rarely repeat.
    """
    text = pl.col(column)
    ok = (text.str.len_bytes() == APPLE_DATE_BYTES) & text.str.slice(20, 1).is_in(["+", "-"])
    hhmm = text.str.slice(20, 5).cast(pl.Int32, strict=False)
    offset = hhmm.sign() * (hhmm.abs() // 100 * 60 + hhmm.abs() % 100)
    local = text.str.slice(0, 19).str.to_datetime(
        "%Y-%m-%d %H:%M:%S", time_unit="us", strict=False, cache=False
    )
    utc = (local - pl.duration(minutes=offset)).dt.replace_time_zone("UTC")
    return pl.when(ok).then(utc), pl.when(ok).then(offset.cast(pl.Int16))


def _character_references(text: str | None) -> str | None:
    if text is None:
        return None
    return CHARACTER_REFERENCE.sub(lambda reference: html.unescape(reference[0]), text)


def _text_fixes(distinct: pl.Series) -> pl.DataFrame:
    """raw, text (unescaped) and problem for each distinct value of a text attribute."""
    raw = distinct.to_frame("raw")
    refs = pl.col("raw").str.contains("&#", literal=True)
    text = (
        pl.when(refs)
        .then(pl.col("raw").map_elements(_character_references, return_dtype=pl.String))
        .otherwise(pl.col("raw"))
        if raw.select(refs.any()).item()
        else pl.col("raw")
    )
    resolved = raw.with_columns(text=text)
    bare = pl.col("text")
    for entity, _ in PREDEFINED:
        bare = bare.str.replace_all(entity, "", literal=True)
    return resolved.select(
        "raw",
        unescape("text").alias("text"),
        problem=pl.when(bare.str.contains("&", literal=True))
        .then(pl.lit("undefined entity reference in an attribute"))
        .when(bare.str.contains("\ufffd", literal=True))
        .then(pl.lit("attribute is not valid UTF-8")),
    )


def clean_texts(attributes: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """`columns` unescaped, and `text_problem`: what is wrong with the first faulty one, or null.
    Worked out once per distinct value of all the columns together: source and device strings
    repeat on every record, so this costs a few lookups, not a scan."""
    distinct = pl.concat([attributes[column].unique() for column in columns])
    fixes = _text_fixes(distinct.unique().drop_nulls())
    changed = fixes.filter(pl.col("text") != pl.col("raw"))
    wrong = fixes.filter(pl.col("problem").is_not_null())
    texts = (
        [pl.col(c).replace(changed["raw"], changed["text"]) for c in columns]
        if changed.height
        else []
    )
    problem = (
        pl.coalesce(
            pl.col(c).replace_strict(wrong["raw"], wrong["problem"], default=None) for c in columns
        )
        if wrong.height
        else pl.lit(None, pl.String)
    )
    return attributes.with_columns(*texts, text_problem=problem)


def with_times(attributes: pl.DataFrame) -> pl.DataFrame:
    """start_raw and end_raw read as start and end (UTC instants, null where malformed)."""
    start, _ = apple_time("start_raw")
    same_end = attributes.select((pl.col("end_raw") == pl.col("start_raw")).all()).item()
    end = start if same_end else apple_time("end_raw")[0]
    # Lazy, so common subexpressions (the offset, `end` when it is `start`) are computed once.
    return (
        attributes.lazy().with_columns(start=start, end=end).drop("start_raw", "end_raw").collect()
    )


def heart_rate_rows(attributes: pl.DataFrame, user_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed heart-rate samples, and (line_number, reason) for records that fail.

    `attributes`: attribute_columns with the source texts cleaned (clean_texts) and the times
    read (with_times)."""
    typed = attributes.lazy().with_columns(value=pl.col("value_raw").cast(pl.Float64, strict=False))
    reason = pl.col("text_problem").fill_null(
        pl.when(pl.col("unit").is_null())
        .then(pl.lit(f"unit missing, expected '{HR_UNIT}'"))
        .when(pl.col("unit") != HR_UNIT)
        .then(pl.format("unit is '{}', expected '{}'", pl.col("unit"), pl.lit(HR_UNIT)))
        .when(pl.col("start").is_null() | pl.col("end").is_null())
        .then(pl.lit("startDate/endDate missing or not 'YYYY-MM-DD HH:MM:SS +HHMM'"))
        .when(pl.col("end") < pl.col("start"))
        .then(pl.lit("endDate before startDate"))
        .when(pl.col("value_raw").is_null())
        .then(pl.lit("value missing"))
        .when(pl.col("value").is_null() | ~pl.col("value").is_finite())
        .then(pl.format("value '{}' is not a number", pl.col("value_raw")))
    )
    typed = typed.with_columns(reason=reason)
    samples = typed.filter(pl.col("reason").is_null()).select(
        pl.lit(user_id).alias("user_id"),
        "start",
        "end",
        "value",
        "source_name",
        "source_version",
        "device",
        "motion_context",
        "line_number",
    )
    rejected = typed.filter(pl.col("reason").is_not_null()).select("line_number", "reason")
    return tuple(pl.collect_all([samples, rejected]))
