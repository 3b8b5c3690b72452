"""Asset checks that run a pandera.polars model over a whole lake table, batch by batch."""

import dagster as dg
import pandera.errors
import pandera.polars as pa
import polars as pl

from assets.lake.markdown import markdown_table

VALIDATION_BATCH_ROWS = 4096
FAILURE_SAMPLE_ROWS = 20


def validation_failures(table: pl.LazyFrame, model: type[pa.DataFrameModel]) -> pl.DataFrame:
    """Pandera's failure cases over all batches (empty when the table conforms)."""
    failures = []
    for batch in table.collect_batches(chunk_size=VALIDATION_BATCH_ROWS):
        try:
            model.validate(batch, lazy=True)
        except pandera.errors.SchemaErrors as errors:
            failures.append(errors.failure_cases.cast(pl.String))
    return pl.concat(failures) if failures else pl.DataFrame()


def schema_check(
    asset_name: str,
    model: type[pa.DataFrameModel],
    partitions_def: dg.PartitionsDefinition | None = None,
) -> dg.AssetChecksDefinition:
    """`<asset>_schema`: the table conforms to `model`; failure count and a sample as metadata.
    A partitioned asset's check (same `partitions_def`) validates the partition just written."""

    @dg.asset_check(
        asset=asset_name,
        name=f"{asset_name}_schema",
        partitions_def=partitions_def,
        description=f"Every batch of {asset_name} validates against {model.__name__}.",
    )
    def _check(table: pl.LazyFrame) -> dg.AssetCheckResult:
        failures = validation_failures(table, model)
        return dg.AssetCheckResult(
            passed=failures.height == 0,
            metadata={
                "num_failures": failures.height,
                "failure_sample": dg.MetadataValue.md(
                    markdown_table(failures, max_rows=FAILURE_SAMPLE_ROWS)
                ),
            },
        )

    return _check
