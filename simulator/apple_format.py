"""Vectorised text for Apple's files: numbers as Apple prints them and `<Record>` lines.

Apple prints quantities with six significant digits and no trailing zeros (`8.7`, `170.5`,
`1.50851`); GPX values carry six fixed decimals. Neither has a polars format, so both are built
from integer arithmetic and string kernels, never a Python format call per value.
"""

from __future__ import annotations

import numpy as np
import polars as pl

MOTION_CONTEXT = "HKMetadataKeyHeartRateMotionContext"


def fixed(values: np.ndarray, decimals: int) -> pl.Series:
    """`%.{decimals}f` for every value."""
    values = np.asarray(values, dtype=np.float64)
    scale = 10**decimals
    q = np.rint(np.abs(values) * scale).astype(np.int64)
    frame = pl.DataFrame({"neg": (values < 0) & (q > 0), "whole": q // scale, "frac": q % scale})
    text = pl.concat_str(
        pl.when(pl.col("neg")).then(pl.lit("-")).otherwise(pl.lit("")),
        pl.col("whole").cast(pl.String),
        pl.lit("."),
        pl.col("frac").cast(pl.String).str.zfill(decimals),
    )
    return frame.select(text).to_series()


def sig6(values: np.ndarray) -> pl.Series:
    """Six significant digits, trailing zeros dropped: what Apple writes for quantities.

    Rounding is n / 10**k with an exact integer n and exact power of ten, so the shortest repr
    polars prints is that decimal.
    """
    values = np.asarray(values, dtype=np.float64)
    nonzero = values != 0
    mag = np.floor(np.log10(np.abs(values), where=nonzero, out=np.zeros_like(values)))
    scale = 10.0 ** np.clip(5 - mag, 0, 15)
    rounded = np.round(values * scale) / scale + 0.0
    return pl.Series(rounded).cast(pl.String).str.strip_suffix(".0")


def integers(values: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(values, dtype=np.int64)).cast(pl.String)


def record_lines(
    kind: str,
    unit: str,
    source: pl.Series,
    creation: pl.Series,
    start: pl.Series,
    end: pl.Series,
    value: pl.Series,
    context: pl.Series | None = None,
    indent: str = " ",
) -> pl.Series:
    """`<Record>` lines, attributes in Apple's order; a non-null `context` adds the motion
    context MetadataEntry as a child line (the element is then closed on its own line)."""
    frame = pl.DataFrame(
        {"src": source, "c": creation, "s": start, "e": end, "v": value}
    ).with_columns(ctx=context if context is not None else pl.lit(None, pl.String))
    c, lit = pl.col, pl.lit
    head = pl.concat_str(
        lit(f'{indent}<Record type="{kind}" '), c("src"),
        lit(f' unit="{unit}" creationDate="'), c("c"),
        lit('" startDate="'), c("s"), lit('" endDate="'), c("e"),
        lit('" value="'), c("v"), lit('"'),
    )  # fmt: skip
    child = lit(f'>\n{indent} <MetadataEntry key="{MOTION_CONTEXT}" value="') + c("ctx")
    tail = child + lit(f'"/>\n{indent}</Record>')
    line = head + pl.when(c("ctx").is_null()).then(lit("/>")).otherwise(tail)
    return frame.select(line).to_series()


def joined(lines: pl.Series) -> bytes:
    """Lines to bytes, each ending in a newline."""
    if len(lines) == 0:
        return b""
    return (lines.str.join("\n").item() + "\n").encode("utf-8")
