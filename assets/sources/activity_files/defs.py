"""Activity-files ingestion: a folder of FIT/TCX/GPX/CSV files or Strava bulk exports -> the
unified workout table and a quarantine of what could not be read (`folder.py`)."""

import dagster as dg
import polars as pl

from assets.lake.markdown import count_table, markdown_table
from assets.lake.resources import Lake
from assets.lake.schema_checks import schema_check
from assets.sources.activity_files.files import NAME, ActivityFilesSource, activity_root
from assets.sources.activity_files.folder import read_folder, take_inventory
from assets.sources.activity_files.readers import ActivityFileError
from schemas.activity_files import ActivityQuarantine
from schemas.workouts import Workouts

GROUP = f"{NAME}_ingestion"  # the group and job `Source.group` names
TABLE = {"polars", "parquet"}


@dg.multi_asset(
    group_name=GROUP,
    outs={
        "activity_files_workouts": dg.AssetOut(
            description="Every readable activity file, in the unified workout schema (running "
            "or not: the quality gates decide).",
            kinds=TABLE,
        ),
        "activity_files_quarantine": dg.AssetOut(
            description="Files (and activities.csv rows) that could not be loaded, and why.",
            kinds=TABLE,
        ),
    },
)
def activity_files_bronze(lake: Lake, activity_files: ActivityFilesSource):
    """Read every activity file of the configured folder (or the simulated sample)."""
    root = activity_root(lake, activity_files)
    try:
        workouts, quarantine, inventory = read_folder(root)
    except ActivityFileError as refused:
        raise dg.Failure(
            f"{refused}: set PULSELAKE_ACTIVITY_FILES or the 'activity_files' resource's path to "
            "a folder of .fit/.tcx/.gpx/.csv files (optionally .gz) or unzipped Strava exports"
        ) from refused
    yield dg.Output(
        workouts,
        output_name="activity_files_workouts",
        metadata={
            "folder": dg.MetadataValue.path(str(inventory.root)),
            "simulated": not activity_files.path,
            "files_seen": len(inventory.activity_files) + len(inventory.skipped),
            "activity_files": len(inventory.activity_files),
            "skipped_files": len(inventory.skipped),
            "users": workouts["user_id"].n_unique(),
            "sports": dg.MetadataValue.md(count_table(workouts, ["sport"], "workouts")),
        },
    )
    yield dg.Output(
        quarantine,
        output_name="activity_files_quarantine",
        metadata={"quarantine": dg.MetadataValue.md(markdown_table(quarantine, 20))},
    )


@dg.asset_check(
    asset="activity_files_workouts",
    description="Nothing lost: every activity file in the folder is a workout or quarantined "
    "(once); files seen = workouts + quarantined files + skipped non-activity files.",
    additional_ins={"activity_files_quarantine": dg.AssetIn()},
)
def activity_files_accounted(
    lake: Lake,
    activity_files: ActivityFilesSource,
    workouts: pl.LazyFrame,
    activity_files_quarantine: pl.DataFrame,
) -> dg.AssetCheckResult:
    inventory = take_inventory(activity_root(lake, activity_files))
    on_disk = {str(path) for path in inventory.activity_files}
    loaded = workouts.select("source_file").collect()["source_file"].to_list()
    quarantined = activity_files_quarantine["file"].to_list()
    quarantined_files = [f for f in quarantined if f in on_disk]
    references = len(quarantined) - len(quarantined_files)
    return dg.AssetCheckResult(
        passed=sorted(loaded + quarantined_files) == sorted(on_disk),
        metadata={
            "files_seen": len(on_disk) + len(inventory.skipped),
            "workouts": len(loaded),
            "quarantined_files": len(quarantined_files),
            "skipped_files": len(inventory.skipped),
            "quarantined_references": references,  # activities.csv rows, links out of the folder
        },
    )


activity_files_assets = [activity_files_bronze]
activity_files_checks = [
    schema_check("activity_files_workouts", Workouts),
    schema_check("activity_files_quarantine", ActivityQuarantine),
    activity_files_accounted,
]
