"""Schedules: weekly re-ingestion and retraining of the whole graph, a daily data-quality audit.

A schedule runs one job, and the per-file ingestion jobs are partitioned differently from the
retraining, so each partitioned source's ingestion job has its own weekly schedule on the
retraining's cron: at the tick, one run per file (a FitRec file, an Apple export), then the
retraining passes, all tagged with
the tick and prioritised so the run queue (dagster.example.yaml) takes ingestion first.

Cron strings and the time zone come from the environment when the code location loads, so an
operator changes them without touching code; both schedules start stopped (turn them on in the
UI's Automation tab or with `dagster schedule start`).
"""

import os
from collections.abc import Sequence

import dagster as dg

from assets.sources.files import source_files
from assets.sources.source import Source, SourceFile
from pipelines.jobs import retraining_passes

DEFAULT_RETRAIN_CRON = "0 3 * * 1"  # Mondays 03:00
DEFAULT_AUDIT_CRON = "0 6 * * *"  # daily 06:00
DEFAULT_TIMEZONE = "UTC"
# With `tag_concurrency_limits` on this key (dagster.example.yaml), the two passes of one
# retraining run one after the other, the first (higher priority) first.
RETRAIN_TAG = "pulselake/retrain"
INGESTION_PRIORITY = 3  # above both retraining passes


def reingestion_requests(
    files: list[SourceFile], partitions: str, tick: str
) -> list[dg.RunRequest]:
    """One run per present file of one partitions definition, keyed by the tick."""
    return [
        dg.RunRequest(
            run_key=f"{tick}:{file.key}",
            partition_key=file.key,
            tags={RETRAIN_TAG: tick, "dagster/priority": str(INGESTION_PRIORITY)},
        )
        for file in files
        if file.partitions == partitions
    ]


def build_reingestion_schedule(
    source: Source, job, cron: str, timezone: str
) -> dg.ScheduleDefinition:
    """Re-ingest every present file of one partitioned source, on the retraining's cron."""

    @dg.schedule(
        name=f"weekly_{job.name}",
        job=job,
        cron_schedule=cron,
        execution_timezone=timezone,
        required_resource_keys={"lake", source.name},
        description=f"Before the weekly retraining: {job.name} again for every partition "
        "whose file is still there.",
    )
    def _reingestion(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        tick = context.scheduled_execution_time.isoformat()
        resource = getattr(context.resources, source.name)
        files = source_files([source], {source.name: resource}, context.resources.lake, False)
        return reingestion_requests(files, source.partitioned.partitions.name, tick)

    return _reingestion


def retraining_requests(graph, tick: str) -> list[dg.RunRequest]:
    """One run per split scheme, in the order `retraining_passes` gives; `tick` keys the runs."""
    passes = retraining_passes(graph)
    return [
        dg.RunRequest(
            run_key=f"{tick}:{scheme}",
            partition_key=scheme,
            asset_selection=selection,
            tags={RETRAIN_TAG: tick, "dagster/priority": str(len(passes) - order)},
        )
        for order, (scheme, selection) in enumerate(passes)
    ]


def build_retraining_schedule(cron: str, timezone: str) -> dg.ScheduleDefinition:
    """The retraining schedule for a cron string and IANA time zone."""

    @dg.schedule(
        name="weekly_retraining",
        job_name="retraining",
        cron_schedule=cron,
        execution_timezone=timezone,
        description="After the per-file re-ingestion, rebuild everything to the production gate: "
        "all of it for the user_disjoint partition, then the temporal models and what depends on "
        "them.",
    )
    def _retraining(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        tick = context.scheduled_execution_time.isoformat()
        return retraining_requests(context.repository_def.asset_graph, tick)

    return _retraining


def build_audit_schedule(cron: str, timezone: str) -> dg.ScheduleDefinition:
    """The audit schedule: the ingestion and quality checks against the tables in the lake."""
    return dg.ScheduleDefinition(
        name="daily_data_quality_audit",
        job_name="data_quality_audit",
        cron_schedule=cron,
        execution_timezone=timezone,
        description="Re-run the data-quality checks of the ingestion and quality stages.",
    )


def schedules_from_env(
    sources: Sequence[Source], ingestion_jobs: dict, environ=os.environ
) -> list[dg.ScheduleDefinition]:
    """Every schedule, cron and time zone from PULSELAKE_RETRAIN_CRON, PULSELAKE_AUDIT_CRON and
    PULSELAKE_TIMEZONE, else the defaults above; `ingestion_jobs` maps a source's name to its
    ingestion job."""
    timezone = environ.get("PULSELAKE_TIMEZONE", DEFAULT_TIMEZONE)
    retrain = environ.get("PULSELAKE_RETRAIN_CRON", DEFAULT_RETRAIN_CRON)
    return [
        *(
            build_reingestion_schedule(source, ingestion_jobs[source.name], retrain, timezone)
            for source in sources
            if source.partitioned
        ),
        build_retraining_schedule(retrain, timezone),
        build_audit_schedule(environ.get("PULSELAKE_AUDIT_CRON", DEFAULT_AUDIT_CRON), timezone),
    ]
