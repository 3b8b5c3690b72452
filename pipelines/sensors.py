"""The inbox sensor: files dropped into `<lake>/inbox/` are ingested once each.

A run cannot swap resources, but it can configure them: each drop's run points its source's
resource (`fitrec`, `apple_health`, `activity_files`) at the dropped path through run config, as
the launchpad would. The ingestion tables are not partitioned per file, so that source's bronze
tables then hold the drop alone, until the next run ingests the configured source again (the
weekly retraining does). Copy a drop in under a dot name and rename it when complete: names
starting with a dot are ignored, so a half-copied file is never ingested.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from assets.apple_export import EXPORT_FOLDER, ZIP_NAME
from pipelines.jobs import (
    activity_files_ingestion_job,
    apple_health_ingestion_job,
    fitrec_ingestion_job,
)
from pipelines.resources import Lake

INBOX = "inbox"
FITREC_SUFFIXES = (".json", ".json.gz")
INGESTION_JOBS = {
    "fitrec": fitrec_ingestion_job,
    "apple_health": apple_health_ingestion_job,
    "activity_files": activity_files_ingestion_job,
}


@dataclass(frozen=True)
class Drop:
    """One thing dropped into the inbox: the source resource it feeds, the path that resource
    should read, and the file count, bytes and latest mtime that identify this version of it."""

    source: str
    path: Path
    signature: str

    @property
    def run_key(self) -> str:
        return f"{self.path}:{self.signature}"


def drop_source(entry: Path) -> tuple[str, Path] | None:
    """Which source an inbox entry feeds and the path to give it; None for anything else.

    FitRec files by suffix; an Apple export as export.zip, an apple_health_export folder, or a
    person's folder holding either (the person is that folder's name); any other folder is
    activity files (one person's files or a Strava export).
    """
    if entry.name.startswith("."):
        return None
    if entry.is_file():
        if entry.name.endswith(FITREC_SUFFIXES):
            return "fitrec", entry
        return ("apple_health", entry) if entry.name == ZIP_NAME else None
    if not entry.is_dir():
        return None
    if entry.name == EXPORT_FOLDER:
        return "apple_health", entry
    for export in (entry / ZIP_NAME, entry / EXPORT_FOLDER):
        if export.exists():
            return "apple_health", export
    return "activity_files", entry


def signature(path: Path) -> str | None:
    """Files, bytes and newest mtime (ns) under `path`; None when it holds no file yet."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    if not files:
        return None
    stats = [f.stat() for f in files]
    size = sum(s.st_size for s in stats)
    return f"{len(files)}-{size}-{max(s.st_mtime_ns for s in stats)}"


def inbox_drops(inbox: Path) -> list[Drop]:
    """Every ingestible drop in the inbox, in name order."""
    if not inbox.is_dir():
        return []
    drops = []
    for entry in sorted(inbox.iterdir()):
        found = drop_source(entry)
        version = found and signature(found[1])
        if version:
            drops.append(Drop(found[0], found[1].resolve(), version))
    return drops


def ingestion_request(drop: Drop) -> dg.RunRequest:
    """The run that ingests one drop: its source's ingestion job, the resource pointed at it."""
    return dg.RunRequest(
        run_key=drop.run_key,
        job_name=INGESTION_JOBS[drop.source].name,
        run_config={"resources": {drop.source: {"config": {"path": str(drop.path)}}}},
        tags={"pulselake/inbox": str(drop.path)},
    )


@dg.sensor(
    jobs=list(INGESTION_JOBS.values()),
    minimum_interval_seconds=60,
    description="Ingest each FitRec file, Apple Health export or activity-file folder dropped "
    "into <lake>/inbox/ once (again only when its files, size or mtime change).",
)
def inbox_sensor(context: dg.SensorEvaluationContext, lake: Lake) -> dg.SensorResult:
    """The cursor maps each drop's path to the version already requested; run keys make the
    same promise on the daemon's side."""
    requested = json.loads(context.cursor) if context.cursor else {}
    drops = inbox_drops(lake.path(INBOX))
    new = [drop for drop in drops if requested.get(str(drop.path)) != drop.signature]
    cursor = {str(drop.path): drop.signature for drop in drops}
    return dg.SensorResult(
        run_requests=[ingestion_request(drop) for drop in new],
        cursor=json.dumps(cursor, sort_keys=True),
    )
