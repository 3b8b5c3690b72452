"""FitRec/Endomondo ingestion, one partition per FitRec file: the raw source and the bronze
workout and quarantine tables."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl

from assets.lake.io_manager import ROW_GROUP_METADATA_KEY
from assets.lake.markdown import count_table, markdown_table
from assets.lake.resources import Lake
from assets.lake.schema_checks import schema_check
from assets.sources.fitrec.files import FITREC_FILES, NAME, FitrecSource, fitrec_files
from assets.sources.fitrec.reader import WORKOUT_ROW_GROUP, FitrecPass, count_lines
from assets.sources.source import partition_file
from schemas.fitrec import FitrecQuarantine, FitrecWorkouts

GROUP = f"{NAME}_ingestion"  # the group and job `Source.group` names


@dg.asset(group_name=GROUP, kinds={"json"}, partitions_def=FITREC_FILES)
def fitrec_source(
    context: dg.AssetExecutionContext, lake: Lake, fitrec: FitrecSource
) -> pl.DataFrame:
    """The partition's FitRec file: configured, dropped into the inbox, or the simulated sample.

    One row: absolute path, size, line count (counted independently of parsing, so the bronze
    tables can be checked against it), whether it is simulated, and the file's signature (the
    sensor compares it to decide whether a file changed since it was ingested).
    """
    where = f"{fitrec.path} (PULSELAKE_FITREC)" if fitrec.path else "the simulated sample"
    found = partition_file(
        lambda simulate: fitrec_files(lake, fitrec, simulate), context.partition_key, where
    )
    path = found.path
    if not path.is_file():
        raise dg.Failure(
            f"FitRec source {path} is not a file: set PULSELAKE_FITREC or the 'fitrec' "
            "resource's path to an endomondoHR_proper.json (plain or .gz) or a folder of them"
        )
    stat = path.stat()
    source = pl.DataFrame(
        {
            "path": [str(path)],
            "bytes": [stat.st_size],
            "lines": [count_lines(path)],
            "simulated": [found.simulated],
            "modified_at": [datetime.fromtimestamp(stat.st_mtime, UTC)],
            "signature": [found.signature],
        }
    )
    context.add_output_metadata(
        {
            "source_path": dg.MetadataValue.path(str(path)),
            "lines": source["lines"].item(),
            "bytes": stat.st_size,
            "simulated": found.simulated,
            "signature": source["signature"].item(),
        }
    )
    return source


@dg.multi_asset(
    group_name=GROUP,
    partitions_def=FITREC_FILES,
    outs={
        "fitrec_workouts": dg.AssetOut(
            description="Bronze FitRec workouts: one row per parsed line, series as list columns.",
            metadata={ROW_GROUP_METADATA_KEY: WORKOUT_ROW_GROUP},
            kinds={"polars", "parquet"},
        ),
        "fitrec_quarantine": dg.AssetOut(
            description="Every FitRec line that could not be parsed, with its reason and excerpt.",
            kinds={"polars", "parquet"},
        ),
    },
)
def fitrec_bronze(fitrec_source: pl.DataFrame):
    """Parse the source in one streaming pass: the IO manager's sink of `fitrec_workouts` drives
    the parse, and the lines it quarantined are emitted afterwards."""
    fitrec = FitrecPass(Path(fitrec_source["path"].item()))
    yield dg.Output(fitrec.workouts, output_name="fitrec_workouts")
    stats, quarantine = fitrec.stats, fitrec.quarantine
    yield dg.Output(
        quarantine,
        output_name="fitrec_quarantine",
        metadata={
            "lines_read": stats.lines,
            "workouts_parsed": stats.workouts,
            "lines_quarantined": stats.quarantined,
            "bytes_read": stats.bytes_read,
            "reasons": dg.MetadataValue.md(count_table(quarantine, ["reason"], "lines")),
            "preview": dg.MetadataValue.md(markdown_table(quarantine.drop("source_file"), 10)),
        },
    )


@dg.asset_check(
    asset="fitrec_workouts",
    description="Nothing lost: every source line is exactly one workout row or one quarantine row.",
    partitions_def=FITREC_FILES,
    additional_ins={
        "fitrec_source": dg.AssetIn(),
        "fitrec_quarantine": dg.AssetIn(),
    },
)
def fitrec_lines_accounted(
    fitrec_source: pl.DataFrame, workouts: pl.LazyFrame, fitrec_quarantine: pl.LazyFrame
) -> dg.AssetCheckResult:
    lines = fitrec_source["lines"].item()
    numbers = pl.concat([workouts.select("line_number"), fitrec_quarantine.select("line_number")])
    seen = (
        numbers.select(
            rows=pl.len(),
            distinct=pl.col("line_number").n_unique(),
            first=pl.min("line_number"),
            last=pl.max("line_number"),
        )
        .collect()
        .row(0, named=True)
    )
    exact = seen["rows"] == seen["distinct"] == lines and (
        lines == 0 or (seen["first"], seen["last"]) == (1, lines)
    )
    return dg.AssetCheckResult(
        passed=exact,
        metadata={
            "source_lines": lines,
            "rows_plus_quarantined": seen["rows"],
            "distinct_line_numbers": seen["distinct"],
        },
    )


fitrec_checks = [
    schema_check("fitrec_workouts", FitrecWorkouts, FITREC_FILES),
    schema_check("fitrec_quarantine", FitrecQuarantine, FITREC_FILES),
    fitrec_lines_accounted,
]
