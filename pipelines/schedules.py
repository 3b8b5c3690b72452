"""Schedules: weekly retraining of the whole graph and a daily data-quality audit.

Cron strings and the time zone come from the environment when the code location loads, so an
operator changes them without touching code; both schedules start stopped (turn them on in the
UI's Automation tab or with `dagster schedule start`).
"""

import os

import dagster as dg

from pipelines.jobs import data_quality_audit_job, retraining_job, retraining_passes

DEFAULT_RETRAIN_CRON = "0 3 * * 1"  # Mondays 03:00
DEFAULT_AUDIT_CRON = "0 6 * * *"  # daily 06:00
DEFAULT_TIMEZONE = "UTC"
# With `tag_concurrency_limits` on this key (dagster.example.yaml), the two passes of one
# retraining run one after the other, the first (higher priority) first.
RETRAIN_TAG = "pulselake/retrain"


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
        job=retraining_job,
        cron_schedule=cron,
        execution_timezone=timezone,
        description="Rebuild everything from ingestion to the production gate: the whole graph "
        "for the user_disjoint partition, then the temporal models and what depends on them.",
    )
    def _retraining(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        tick = context.scheduled_execution_time.isoformat()
        return retraining_requests(context.repository_def.asset_graph, tick)

    return _retraining


def build_audit_schedule(cron: str, timezone: str) -> dg.ScheduleDefinition:
    """The audit schedule: the ingestion and quality checks against the tables in the lake."""
    return dg.ScheduleDefinition(
        name="daily_data_quality_audit",
        job=data_quality_audit_job,
        cron_schedule=cron,
        execution_timezone=timezone,
        description="Re-run the data-quality checks of the ingestion and quality stages.",
    )


def schedules_from_env(environ=os.environ) -> list[dg.ScheduleDefinition]:
    """Both schedules, cron and time zone from PULSELAKE_RETRAIN_CRON, PULSELAKE_AUDIT_CRON and
    PULSELAKE_TIMEZONE, else the defaults above."""
    timezone = environ.get("PULSELAKE_TIMEZONE", DEFAULT_TIMEZONE)
    return [
        build_retraining_schedule(
            environ.get("PULSELAKE_RETRAIN_CRON", DEFAULT_RETRAIN_CRON), timezone
        ),
        build_audit_schedule(environ.get("PULSELAKE_AUDIT_CRON", DEFAULT_AUDIT_CRON), timezone),
    ]
