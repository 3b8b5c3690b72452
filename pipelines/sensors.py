"""The source-files sensor: new raw files are registered and ingested once per version.

FitRec files and Apple Health exports, configured or dropped into `<lake>/inbox/`, are
partitions (`assets/source_files.py`): a new one is added as a dynamic partition and only its
partition is ingested; a changed one (files, bytes or mtime) is ingested again. A file is not
requested again when the cursor or the partition's latest `*_source` materialization already has
its signature, so files that `pulselake run` ingested are not ingested twice. Declarative
automation then carries the new tables downstream (`pipelines/automation.py`).

Activity-file folders are not partitioned: a dropped folder's run points the `activity_files`
resource at it through run config, as the launchpad would, so those tables hold the drop until
the next retraining ingests the configured folder again.
"""

import json

import dagster as dg

from assets.inbox import INBOX, Drop, inbox_drops
from assets.lineage import latest_materialization
from assets.source_files import APPLE_EXPORTS, FITREC_FILES, SourceFile, source_files
from pipelines.jobs import (
    activity_files_ingestion_job,
    apple_health_ingestion_job,
    fitrec_ingestion_job,
)
from pipelines.resources import AppleHealthSource, FitrecSource, Lake

SOURCE_TAG = "pulselake/source"
PARTITIONED = {
    FITREC_FILES.name: (fitrec_ingestion_job, "fitrec_source"),
    APPLE_EXPORTS.name: (apple_health_ingestion_job, "apple_health_source"),
}


def ingested_signature(instance: dg.DagsterInstance, file: SourceFile) -> str | None:
    latest = latest_materialization(instance, PARTITIONED[file.partitions][1], file.key)
    return latest and latest[1].get("signature")


def partition_request(file: SourceFile, version: str) -> dg.RunRequest:
    """The run that ingests one file: its source's ingestion job for its partition."""
    return dg.RunRequest(
        run_key=f"{file.partitions}:{file.key}:{version}",
        job_name=PARTITIONED[file.partitions][0].name,
        partition_key=file.key,
        tags={SOURCE_TAG: str(file.path)},
    )


def folder_request(drop: Drop) -> dg.RunRequest:
    """The run that ingests a dropped activity-file folder: the resource pointed at it."""
    return dg.RunRequest(
        run_key=f"{drop.path}:{drop.signature}",
        job_name=activity_files_ingestion_job.name,
        run_config={"resources": {"activity_files": {"config": {"path": str(drop.path)}}}},
        tags={SOURCE_TAG: str(drop.path)},
    )


@dg.sensor(
    jobs=[fitrec_ingestion_job, apple_health_ingestion_job, activity_files_ingestion_job],
    minimum_interval_seconds=60,
    description="Register each FitRec file and Apple Health export (configured or dropped into "
    "<lake>/inbox/) as a partition and ingest it once per version; ingest each activity-file "
    "folder dropped into the inbox once.",
)
def source_files_sensor(
    context: dg.SensorEvaluationContext,
    lake: Lake,
    fitrec: FitrecSource,
    apple_health: AppleHealthSource,
) -> dg.SensorResult:
    """The cursor maps each file (partition id or folder path) to the version last requested;
    run keys make the same promise on the daemon's side."""
    requested = json.loads(context.cursor) if context.cursor else {}
    cursor, runs, new_keys = {}, [], {name: [] for name in PARTITIONED}
    for file in source_files(lake, fitrec, apple_health, simulate=False):
        version = file.signature
        if version is None:
            continue
        name = f"{file.partitions}/{file.key}"
        cursor[name] = version
        if not context.instance.has_dynamic_partition(file.partitions, file.key):
            new_keys[file.partitions].append(file.key)
        elif version in (requested.get(name), ingested_signature(context.instance, file)):
            continue
        runs.append(partition_request(file, version))
    for drop in inbox_drops(lake.path(INBOX)):
        if drop.source == "activity_files":
            cursor[str(drop.path)] = drop.signature
            if requested.get(str(drop.path)) != drop.signature:
                runs.append(folder_request(drop))
    return dg.SensorResult(
        run_requests=runs,
        cursor=json.dumps(cursor, sort_keys=True),
        dynamic_partitions_requests=[
            dg.AddDynamicPartitionsRequest(name, keys) for name, keys in new_keys.items() if keys
        ],
    )
