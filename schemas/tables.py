"""The polars schema a pandera model describes, so a table's column types live in one place."""

import pandera.polars as pa
import polars as pl


def polars_schema(model: type[pa.DataFrameModel]) -> pl.Schema:
    return pl.Schema(
        {name: column.dtype.type for name, column in model.to_schema().columns.items()}
    )
