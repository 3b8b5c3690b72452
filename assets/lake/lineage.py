"""Which materialization produced what: assets that build on a model read its checkpoint path
from the model asset's own latest materialization (per partition), never from "the newest file
in a folder", so every report can name the run it used."""

import dagster as dg


def latest_materialization(
    instance: dg.DagsterInstance, asset: str, partition: str | None = None
) -> tuple[str, dict] | None:
    """(run id, metadata values) of the latest materialization of `asset` (of `partition`),
    None when it was never materialized."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(asset),
            asset_partitions=[partition] if partition is not None else None,
        ),
        limit=1,
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    metadata = records[0].asset_materialization.metadata
    return records[0].run_id, {key: value.value for key, value in metadata.items()}
