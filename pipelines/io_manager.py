"""The project's parquet IO manager (dagster-polars is broken with polars 2).

Assets return polars DataFrames, or LazyFrames that are streamed to disk without being collected.
Writes are atomic (a hidden temp file renamed into place), so a crashed run never leaves half a
table where readers look. Partitions land in `<asset>/<partition>.parquet` (UPathIOManager layout).
"""

from __future__ import annotations

import uuid

import dagster as dg
import polars as pl
import pyarrow.parquet as pq
from upath import UPath

# Assets with very wide rows (whole workouts as lists) set this in their definition metadata so a
# streamed write buffers a bounded number of rows per parquet row group.
ROW_GROUP_METADATA_KEY = "pulselake/row_group_size"


def table_schema(schema: pl.Schema) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(name, str(dtype)) for name, dtype in schema.items()]
    )


class ParquetIOManager(dg.UPathIOManager):
    extension = ".parquet"

    def dump_to_path(
        self, context: dg.OutputContext, obj: pl.DataFrame | pl.LazyFrame, path: UPath
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            if isinstance(obj, pl.LazyFrame):
                row_group = (context.definition_metadata or {}).get(ROW_GROUP_METADATA_KEY)
                obj.sink_parquet(
                    str(temp), compression="zstd", compression_level=1, row_group_size=row_group
                )
            else:
                obj.write_parquet(str(temp), compression="zstd", compression_level=1)
            temp.rename(path)
        finally:
            if temp.exists():
                temp.unlink()
        context.add_output_metadata(
            {
                "dagster/row_count": pq.read_metadata(str(path)).num_rows,
                "dagster/column_schema": table_schema(pl.read_parquet_schema(str(path))),
            }
        )

    def load_from_path(self, context: dg.InputContext, path: UPath) -> pl.DataFrame | pl.LazyFrame:
        frame = pl.scan_parquet(str(path))
        wants_lazy = context.dagster_type.typing_type is pl.LazyFrame
        return frame if wants_lazy else frame.collect()


class LakeParquetIOManager(dg.ConfigurableIOManagerFactory):
    """Parquet tables under the lake root (a local folder today, any fsspec URL later)."""

    root: str

    def create_io_manager(self, context) -> ParquetIOManager:
        return ParquetIOManager(base_path=UPath(self.root))
