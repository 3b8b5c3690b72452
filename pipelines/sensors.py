"""The source-files sensor: new raw files are registered and ingested once per version.

A partitioned source's files (FitRec files, Apple Health exports), configured or dropped into
`<lake>/inbox/`, are partitions (`assets/sources/files.py`): a new one is added as a dynamic
partition and only its partition is ingested; a changed one (files, bytes or mtime) is ingested
again. A file is not requested again when the cursor or the partition's latest source-asset
materialization already has its signature, so files that `pulselake run` ingested are not
ingested twice. Declarative automation then carries the new tables downstream
(`pipelines/automation.py`).

An unpartitioned source's drop (an activity-file folder) is not a partition: its run points the
source's resource at it through run config, as the launchpad would, so those tables hold the
drop until the next retraining ingests the configured folder again.
"""

import json
from collections.abc import Sequence

import dagster as dg

from assets.lake.lineage import latest_materialization
from assets.sources.files import source_files
from assets.sources.inbox import INBOX, Drop, inbox_drops
from assets.sources.source import Source, SourceFile

SOURCE_TAG = "pulselake/source"


def by_partitions(sources: Sequence[Source]) -> dict[str, Source]:
    """The partitioned sources by the name of their partitions definition."""
    return {s.partitioned.partitions.name: s for s in sources if s.partitioned}


def ingested_signature(
    instance: dg.DagsterInstance, source: Source, file: SourceFile
) -> str | None:
    latest = latest_materialization(instance, source.partitioned.source_asset, file.key)
    return latest and latest[1].get("signature")


def partition_request(source: Source, file: SourceFile, version: str) -> dg.RunRequest:
    """The run that ingests one file: its source's ingestion job for its partition."""
    return dg.RunRequest(
        run_key=f"{file.partitions}:{file.key}:{version}",
        job_name=source.group,
        partition_key=file.key,
        tags={SOURCE_TAG: str(file.path)},
    )


def folder_request(source: Source, drop: Drop) -> dg.RunRequest:
    """The run that ingests a dropped folder: the source's resource pointed at it."""
    return dg.RunRequest(
        run_key=f"{drop.path}:{drop.signature}",
        job_name=source.group,
        run_config={"resources": {source.name: {"config": {"path": str(drop.path)}}}},
        tags={SOURCE_TAG: str(drop.path)},
    )


def build_source_files_sensor(sources: Sequence[Source], jobs: Sequence) -> dg.SensorDefinition:
    """The sensor over these sources; `jobs` are their ingestion jobs."""
    partitioned = by_partitions(sources)
    unpartitioned = {source.name: source for source in sources if not source.partitioned}

    @dg.sensor(
        name="source_files_sensor",
        jobs=list(jobs),
        minimum_interval_seconds=60,
        required_resource_keys={"lake", *(source.name for source in sources)},
        description="Register each file of a partitioned source (a FitRec file, an Apple Health "
        "export; configured or dropped into <lake>/inbox/) as a partition and ingest it once per "
        "version; ingest each folder dropped into the inbox for another source once.",
    )
    def source_files_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        """The cursor maps each file (partition id or folder path) to the version last
        requested; run keys make the same promise on the daemon's side."""
        resources = context.resources
        lake = resources.lake
        requested = json.loads(context.cursor) if context.cursor else {}
        cursor, runs, new_keys = {}, [], {name: [] for name in partitioned}
        configured = {source.name: getattr(resources, source.name) for source in sources}
        for file in source_files(sources, configured, lake, simulate=False):
            version = file.signature
            if version is None:
                continue
            source, name = partitioned[file.partitions], f"{file.partitions}/{file.key}"
            cursor[name] = version
            if not context.instance.has_dynamic_partition(file.partitions, file.key):
                new_keys[file.partitions].append(file.key)
            elif version in (
                requested.get(name),
                ingested_signature(context.instance, source, file),
            ):
                continue
            runs.append(partition_request(source, file, version))
        claims = {source.name: source.claims for source in sources}
        for drop in inbox_drops(lake.path(INBOX), claims):
            if drop.source in unpartitioned:
                cursor[str(drop.path)] = drop.signature
                if requested.get(str(drop.path)) != drop.signature:
                    runs.append(folder_request(unpartitioned[drop.source], drop))
        return dg.SensorResult(
            run_requests=runs,
            cursor=json.dumps(cursor, sort_keys=True),
            dynamic_partitions_requests=[
                dg.AddDynamicPartitionsRequest(name, keys)
                for name, keys in new_keys.items()
                if keys
            ],
        )

    return source_files_sensor
