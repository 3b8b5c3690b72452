"""Markdown previews of small frames for Dagster metadata (rendered on the asset page)."""

import polars as pl


def count_table(frame: pl.DataFrame, by: list[str], label: str, max_rows: int = 50) -> str:
    """How many rows per value of `by`, most frequent first, as a Markdown table."""
    counts = frame.group_by(by).len(label).sort([label, *by], descending=[True, *[False] * len(by)])
    return markdown_table(counts, max_rows)


def markdown_table(frame: pl.DataFrame, max_rows: int = 20, max_chars: int = 80) -> str:
    if frame.is_empty():
        return "_(no rows)_"
    escaped = frame.head(max_rows).with_columns(
        pl.col(pl.String).str.replace_all("|", r"\|", literal=True)
    )
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=max_rows,
        tbl_cols=-1,
        fmt_str_lengths=max_chars,
        tbl_width_chars=10_000,
    ):
        return str(escaped)
