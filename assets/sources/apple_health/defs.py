"""Apple Health ingestion: exports -> heart-rate samples, workouts, routes, and runs with heart
rate aligned onto the GPS clock in the unified workout schema."""

from pathlib import Path

import dagster as dg
import polars as pl

from assets.lake.markdown import count_table, markdown_table
from assets.lake.resources import Lake
from assets.lake.schema_checks import schema_check
from assets.sources.apple_health.align import HR_INTERPOLATION_MAX_GAP_S, align_runs
from assets.sources.apple_health.export import AppleExport, UnsafeExportError
from assets.sources.apple_health.export_pass import ApplePass
from assets.sources.apple_health.files import APPLE_EXPORTS, NAME, AppleHealthSource, apple_exports
from assets.sources.apple_health.routes import read_all_routes
from assets.sources.apple_health.xml_stream import MalformedExportError
from assets.sources.source import partition_file
from schemas.apple import (
    AppleHrSamples,
    AppleQuarantine,
    AppleRoutePoints,
    AppleUsers,
    AppleWorkouts,
)
from schemas.tables import polars_schema
from schemas.workouts import Workouts

GROUP = f"{NAME}_ingestion"  # the group and job `Source.group` names
TABLE = {"polars", "parquet"}


def _exports(source: pl.DataFrame) -> list[AppleExport]:
    return [AppleExport(Path(path), user) for user, path in source.select("user_id", "path").rows()]


@dg.asset(group_name=GROUP, kinds={"xml"}, partitions_def=APPLE_EXPORTS)
def apple_health_source(
    context: dg.AssetExecutionContext, lake: Lake, apple_health: AppleHealthSource
) -> pl.DataFrame:
    """The partition's export (one person): configured, dropped into the inbox, or simulated.

    A person's id, the partition key, is the name of the folder holding their export.zip (or
    unzipped export); the signature lets the sensor tell a changed export from an ingested one.
    """
    where = (
        f"{apple_health.path} (PULSELAKE_APPLE)" if apple_health.path else "the simulated sample"
    )
    found = partition_file(
        lambda simulate: apple_exports(lake, apple_health, simulate), context.partition_key, where
    )
    if not found.path.exists():
        raise dg.Failure(f"Apple Health export {found.path} of {found.key!r} is gone")
    source = pl.DataFrame(
        {
            "user_id": [found.key],
            "path": [str(found.path)],
            "zipped": [found.path.is_file()],
            "bytes": [found.path.stat().st_size if found.path.is_file() else 0],
            "simulated": [found.simulated],
            "signature": [found.signature],
        }
    )
    context.add_output_metadata(
        {
            "source_path": dg.MetadataValue.path(str(found.path)),
            "simulated": found.simulated,
            "signature": source["signature"].item(),
        }
    )
    return source


@dg.multi_asset(
    group_name=GROUP,
    partitions_def=APPLE_EXPORTS,
    outs={
        "apple_hr_samples": dg.AssetOut(
            description="Heart-rate records (exact type), UTC, one row per sample.", kinds=TABLE
        ),
        "apple_workouts": dg.AssetOut(
            description="Every <Workout>, units normalised.", kinds=TABLE
        ),
        "apple_users": dg.AssetOut(description="One row per export: <Me> and counts.", kinds=TABLE),
        "apple_export_quarantine": dg.AssetOut(
            description="export.xml elements that could not be loaded, with line and reason.",
            kinds=TABLE,
        ),
    },
)
def apple_health_bronze(apple_health_source: pl.DataFrame):
    """One streaming pass over each export.xml (straight from the zip): the IO manager's sink of
    `apple_hr_samples` drives it; the other tables are emitted afterwards."""
    export_pass = ApplePass(_exports(apple_health_source))
    try:
        yield dg.Output(export_pass.hr_samples, output_name="apple_hr_samples")
    except (UnsafeExportError, MalformedExportError) as refused:
        raise dg.Failure(str(refused)) from refused
    quarantine, users = export_pass.quarantine, export_pass.users
    yield dg.Output(export_pass.workouts, output_name="apple_workouts")
    yield dg.Output(
        users,
        output_name="apple_users",
        metadata={
            "malformed_dtd_exports": users.filter(pl.col("dtd") == "malformed").height,
            "hr_records": int(users["hr_records"].sum()),
            "nested_records_skipped": int(users["nested_records"].sum()),
        },
    )
    yield dg.Output(
        quarantine,
        output_name="apple_export_quarantine",
        metadata={"reasons": dg.MetadataValue.md(count_table(quarantine, ["reason"], "rows"))},
    )


@dg.multi_asset(
    group_name=GROUP,
    partitions_def=APPLE_EXPORTS,
    outs={
        "apple_route_points": dg.AssetOut(
            description="GPX track points of every workout route (UTC; speed in m/s).",
            kinds=TABLE,
        ),
        "apple_route_quarantine": dg.AssetOut(
            description="Routes that are missing, unsafe or unreadable; their workouts still load.",
            kinds=TABLE,
        ),
    },
)
def apple_routes(apple_health_source: pl.DataFrame, apple_workouts: pl.DataFrame):
    """Every FileReference'd route parsed with gpxpy, spread over worker processes."""
    with_route = apple_workouts.filter(pl.col("route_path").is_not_null())
    tasks = [
        (
            export,
            with_route.filter(pl.col("user_id") == export.user_id)
            .select("workout_id", "route_path")
            .rows(),
        )
        for export in _exports(apple_health_source)
    ]
    points, problems = read_all_routes(tasks)
    quarantine = (
        pl.DataFrame(
            problems, schema={"workout_id": pl.String, "file": pl.String, "reason": pl.String}
        )
        .join(with_route.select("workout_id", "user_id", "line_number"), on="workout_id")
        .select(
            "user_id",
            "file",
            "line_number",
            "reason",
            excerpt=pl.format("workout {}", "workout_id"),
        )
        .cast(dict(polars_schema(AppleQuarantine)))
    )
    yield dg.Output(
        points, output_name="apple_route_points", metadata={"routes": with_route.height}
    )
    yield dg.Output(
        quarantine,
        output_name="apple_route_quarantine",
        metadata={"reasons": dg.MetadataValue.md(count_table(quarantine, ["reason"], "rows"))},
    )


class AlignmentConfig(dg.Config):
    # never interpolate heart rate across a longer gap between two samples
    hr_interpolation_max_gap_s: float = HR_INTERPOLATION_MAX_GAP_S


@dg.multi_asset(
    group_name=GROUP,
    partitions_def=APPLE_EXPORTS,
    outs={
        "apple_running_workouts": dg.AssetOut(
            description="Outdoor runs with heart rate on the GPS clock, in the unified schema.",
            kinds=TABLE,
        ),
        "apple_alignment": dg.AssetOut(
            description="Per running workout: HR density, quality class, valid-HR share, speed "
            "source, and why a run was not aligned.",
            kinds=TABLE,
        ),
    },
)
def apple_aligned(
    config: AlignmentConfig,
    apple_workouts: pl.DataFrame,
    apple_route_points: pl.DataFrame,
    apple_hr_samples: pl.LazyFrame,
    apple_users: pl.DataFrame,
):
    """Interpolate HR onto route timestamps, never across gaps longer than
    `hr_interpolation_max_gap_s`."""
    hr = apple_hr_samples.select("user_id", "start", "value").collect()
    runs, report = align_runs(
        apple_workouts, apple_route_points, hr, apple_users, config.hr_interpolation_max_gap_s
    )
    by_class = (
        report.filter(pl.col("status") == "aligned")
        .group_by("quality_class")
        .agg(workouts=pl.len(), mean_valid_hr_share=pl.col("valid_hr_share").mean())
    )
    metadata = {
        f"runs_{row['quality_class'].lower()}": row["workouts"]
        for row in by_class.iter_rows(named=True)
    }
    yield dg.Output(runs, output_name="apple_running_workouts", metadata=metadata)
    yield dg.Output(
        report,
        output_name="apple_alignment",
        metadata={
            "status": dg.MetadataValue.md(count_table(report, ["status"], "runs")),
            "quality": dg.MetadataValue.md(markdown_table(by_class.sort("quality_class"))),
        },
    )


@dg.asset_check(
    partitions_def=APPLE_EXPORTS,
    asset="apple_route_points",
    description="Nothing lost: every route a workout references is parsed or quarantined.",
    additional_ins={"apple_workouts": dg.AssetIn(), "apple_route_quarantine": dg.AssetIn()},
)
def apple_routes_accounted(
    points: pl.LazyFrame, apple_workouts: pl.DataFrame, apple_route_quarantine: pl.DataFrame
) -> dg.AssetCheckResult:
    wanted = apple_workouts.filter(pl.col("route_path").is_not_null()).height
    parsed = points.select(pl.col("workout_id").n_unique()).collect().item()
    return dg.AssetCheckResult(
        passed=parsed + apple_route_quarantine.height == wanted,
        metadata={"routes": wanted, "parsed": parsed, "quarantined": apple_route_quarantine.height},
    )


@dg.asset_check(
    partitions_def=APPLE_EXPORTS,
    asset="apple_alignment",
    description="Every running workout has one alignment row; aligned ones are in the table.",
    additional_ins={"apple_workouts": dg.AssetIn(), "apple_running_workouts": dg.AssetIn()},
)
def apple_runs_accounted(
    report: pl.DataFrame, apple_workouts: pl.DataFrame, apple_running_workouts: pl.LazyFrame
) -> dg.AssetCheckResult:
    runs = apple_workouts.filter(pl.col("sport") == "run").height
    aligned = apple_running_workouts.select(pl.len()).collect().item()
    reported = report.filter(pl.col("status") == "aligned").height
    return dg.AssetCheckResult(
        passed=report.height == runs
        and report["workout_id"].n_unique() == runs
        and aligned == reported,
        metadata={"runs": runs, "report_rows": report.height, "aligned": aligned},
    )


apple_checks = [
    schema_check("apple_hr_samples", AppleHrSamples, APPLE_EXPORTS),
    schema_check("apple_workouts", AppleWorkouts, APPLE_EXPORTS),
    schema_check("apple_users", AppleUsers, APPLE_EXPORTS),
    schema_check("apple_export_quarantine", AppleQuarantine, APPLE_EXPORTS),
    schema_check("apple_route_points", AppleRoutePoints, APPLE_EXPORTS),
    schema_check("apple_route_quarantine", AppleQuarantine, APPLE_EXPORTS),
    schema_check("apple_running_workouts", Workouts, APPLE_EXPORTS),
    apple_routes_accounted,
    apple_runs_accounted,
]
apple_assets = [apple_health_source, apple_health_bronze, apple_routes, apple_aligned]
