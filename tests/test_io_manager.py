"""The parquet IO manager: exact paths, metadata, lazy streaming, atomic replacement."""

import uuid
from pathlib import Path

import dagster as dg
import polars as pl
import pyarrow.parquet as pq
import pytest

from assets.lake.io_manager import ROW_GROUP_METADATA_KEY, LakeParquetIOManager

COLORS = dg.StaticPartitionsDefinition(["red", "blue"])


@dg.asset(partitions_def=COLORS)
def paint(context: dg.AssetExecutionContext) -> pl.DataFrame:
    return pl.DataFrame({"color": [context.partition_key] * 3, "n": [1, 2, 3]})


@dg.asset(metadata={ROW_GROUP_METADATA_KEY: 2})
def streamed() -> pl.LazyFrame:
    return pl.LazyFrame({"x": range(5)})


@dg.asset
def as_lazy(streamed: pl.LazyFrame) -> pl.DataFrame:
    assert isinstance(streamed, pl.LazyFrame)
    return streamed.select(total=pl.sum("x")).collect()


@dg.asset
def as_eager(streamed: pl.DataFrame) -> pl.DataFrame:
    assert isinstance(streamed, pl.DataFrame)
    return streamed.head(1)


@dg.asset
def palette(paint: pl.LazyFrame) -> pl.DataFrame:
    """Every partition of `paint` as one table."""
    return paint.sort("color", "n").collect()


@dg.asset(partitions_def=COLORS)
def shade(paint: pl.DataFrame) -> pl.DataFrame:
    return paint.with_columns(pl.col("n") * 10)


def materialize(assets, root: Path, **kwargs) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets, resources={"io_manager": LakeParquetIOManager(root=str(root))}, **kwargs
    )


def test_partitions_land_in_asset_folder_with_row_count_and_schema(lake: Path):
    result = materialize([paint], lake, partition_key="blue")
    assert sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*")) == [
        "paint",
        "paint/blue.parquet",
    ]
    assert pl.read_parquet(lake / "paint" / "blue.parquet")["color"].to_list() == ["blue"] * 3
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["dagster/row_count"].value == 3
    columns = metadata["dagster/column_schema"].value.columns
    assert [(c.name, c.type) for c in columns] == [("color", "String"), ("n", "Int64")]


def test_all_partitions_load_as_one_table_skipping_the_unmaterialized(lake: Path):
    assert materialize([paint], lake, partition_key="red").success
    (lake / "paint" / "blue.parquet").unlink(missing_ok=True)

    result = materialize([paint, palette], lake, selection=[palette])

    assert result.success
    assert pl.read_parquet(lake / "palette.parquet").rows() == [("red", 1), ("red", 2), ("red", 3)]
    materialize([paint], lake, partition_key="blue")
    materialize([paint, palette], lake, selection=[palette])
    assert (
        pl.read_parquet(lake / "palette.parquet")["color"].to_list() == ["blue"] * 3 + ["red"] * 3
    )


def test_a_partition_reading_its_own_upstream_partition_needs_it(lake: Path):
    materialize([paint], lake, partition_key="red")
    ok = materialize([paint, shade], lake, selection=[shade], partition_key="red")
    assert ok.success
    assert pl.read_parquet(lake / "shade" / "red.parquet")["n"].to_list() == [10, 20, 30]
    with pytest.raises(FileNotFoundError, match=r"paint: no table for .*blue"):
        materialize([paint, shade], lake, selection=[shade], partition_key="blue")


def test_lazy_frames_stream_with_bounded_row_groups_and_load_as_annotated(lake: Path):
    result = materialize([streamed, as_lazy, as_eager], lake)
    assert result.success
    assert pq.read_metadata(lake / "streamed.parquet").num_row_groups == 3
    assert pl.read_parquet(lake / "as_lazy.parquet")["total"].to_list() == [10]
    assert pl.read_parquet(lake / "as_eager.parquet")["x"].to_list() == [0]


def test_failed_write_keeps_previous_version_and_leaves_no_temp_file(lake: Path):
    materialize([streamed], lake)
    before = (lake / "streamed.parquet").read_bytes()

    @dg.asset(name="streamed")
    def broken() -> pl.LazyFrame:
        def explode(frame: pl.DataFrame) -> pl.DataFrame:
            raise RuntimeError("disk on fire")

        return pl.LazyFrame({"x": [1]}).map_batches(explode)

    with pytest.raises(Exception, match="disk on fire"):
        materialize([broken], lake)
    assert (lake / "streamed.parquet").read_bytes() == before
    assert sorted(p.name for p in lake.iterdir()) == ["streamed.parquet"]


def round_trip(root: str) -> None:
    resources = {"io_manager": LakeParquetIOManager(root=root)}
    result = dg.materialize([paint], resources=resources, partition_key="blue")
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["dagster/row_count"].value == 3
    result = dg.materialize([streamed, as_lazy, as_eager], resources=resources)
    [event] = result.asset_materializations_for_node("as_lazy")
    assert result.success and event.metadata["dagster/row_count"].value == 1


def test_the_io_manager_round_trips_on_a_file_url(tmp_path: Path):
    round_trip(tmp_path.as_uri())
    assert pl.read_parquet(tmp_path / "paint" / "blue.parquet")["color"].to_list() == ["blue"] * 3
    assert not list(tmp_path.rglob(".*.tmp"))


def test_the_io_manager_round_trips_on_an_in_memory_object_store():
    from fsspec.implementations.memory import MemoryFileSystem

    folder = f"pulselake-{uuid.uuid4().hex}"
    try:
        round_trip(f"memory://{folder}")
        files = MemoryFileSystem().find(f"/{folder}")
        names = ["paint/blue", "streamed", "as_lazy", "as_eager"]
        assert sorted(files) == sorted(f"/{folder}/{name}.parquet" for name in names)
        with MemoryFileSystem().open(f"/{folder}/as_lazy.parquet", "rb") as file:
            assert pl.read_parquet(file)["total"].to_list() == [10]
    finally:
        MemoryFileSystem().rm(f"/{folder}", recursive=True)
