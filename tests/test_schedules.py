"""Schedules: the retraining passes and the audit, evaluated as the daemon would."""

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import yaml
from dagster._core.test_utils import instance_for_test

from assets.sources.registry import SOURCES
from assets.training.families import FAMILIES
from pipelines.definitions import defs
from pipelines.jobs import ingestion_job
from pipelines.resources import lake_resources
from pipelines.schedules import RETRAIN_TAG, schedules_from_env
from tests.test_definitions import DATA_QUALITY_CHECKS

FILE_GROUPS = {"fitrec_ingestion", "apple_health_ingestion"}
TEMPORAL_PASS = {
    *(f"trained_{family}" for family in FAMILIES),
    *(f"evaluation_{family}" for family in FAMILIES),
    "latent_heart_rate",
    "leaderboard",
    "activity_files_personalisation",
    "model_comparison",
    "production_candidate",
    "production_model",
    "reality_check",
    "evaluation_report",
}


def tick(schedule_name: str, at: datetime) -> list[dg.RunRequest]:
    context = dg.build_schedule_context(
        scheduled_execution_time=at, repository_def=defs.get_repository_def()
    )
    return defs.resolve_schedule_def(schedule_name).evaluate_tick(context).run_requests


def test_retraining_runs_everything_after_the_file_ingestion_then_the_temporal_partition():
    schedule = defs.resolve_schedule_def("weekly_retraining")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 3 * * 1", "UTC")
    assert schedule.job_name == "retraining"

    first, second = tick("weekly_retraining", datetime(2026, 11, 23, 3, tzinfo=UTC))

    at = "2026-11-23T03:00:00+00:00"
    assert (first.run_key, first.partition_key) == (f"{at}:user_disjoint", "user_disjoint")
    graph = defs.resolve_asset_graph()
    by_file = {
        key for key in graph.get_all_asset_keys() if graph.get(key).group_name in FILE_GROUPS
    }
    assert set(first.asset_selection) == graph.get_all_asset_keys() - by_file
    assert (second.run_key, second.partition_key) == (f"{at}:temporal", "temporal")
    assert {key.to_user_string() for key in second.asset_selection} == TEMPORAL_PASS
    common = {"dagster/schedule_name": "weekly_retraining", RETRAIN_TAG: at}
    assert first.tags == {**common, "dagster/priority": "2", "dagster/partition": "user_disjoint",
                          "dagster/partition_set": "retraining_partition_set"}  # fmt: skip
    assert second.tags == {**common, "dagster/priority": "1", "dagster/partition": "temporal",
                           "dagster/partition_set": "retraining_partition_set"}  # fmt: skip


def test_retraining_job_covers_the_graph_after_the_file_ingestion_and_is_partitioned_by_scheme():
    job = defs.resolve_job_def("retraining")
    graph = defs.resolve_asset_graph()
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert job.asset_layer.selected_asset_keys == {
        key for key, group in groups.items() if group not in FILE_GROUPS
    }
    assert job.partitions_def.get_partition_keys() == ["user_disjoint", "temporal"]
    assert job.executor_def.name == "multi_or_in_process_executor"


def test_cron_and_time_zone_come_from_the_environment():
    *reingestion, retraining, audit = schedules_from_env(
        SOURCES,
        {source.name: ingestion_job(source) for source in SOURCES},
        {
            "PULSELAKE_RETRAIN_CRON": "30 2 * * 0",
            "PULSELAKE_AUDIT_CRON": "15 7 * * *",
            "PULSELAKE_TIMEZONE": "Europe/Berlin",
        },
    )
    assert (retraining.cron_schedule, retraining.execution_timezone) == (
        "30 2 * * 0",
        "Europe/Berlin",
    )
    assert (audit.cron_schedule, audit.execution_timezone) == ("15 7 * * *", "Europe/Berlin")
    assert [(s.cron_schedule, s.execution_timezone) for s in reingestion] == [
        ("30 2 * * 0", "Europe/Berlin")
    ] * 2
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 22, 2, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        repository_def=defs.get_repository_def(),
    )
    keys = [request.run_key for request in retraining.evaluate_tick(context).run_requests]
    assert keys == ["2026-11-22T02:30:00+01:00:user_disjoint", "2026-11-22T02:30:00+01:00:temporal"]


def test_weekly_reingestion_requests_every_present_file_before_the_retraining(
    lake: Path, tmp_path: Path
):
    folder = tmp_path / "fitrec"
    folder.mkdir()
    for name in ("2014.json", "2015.json.gz", ".partial.json", "notes.txt"):
        (folder / name).write_text("{}\n")
    (lake / "inbox").mkdir()
    (lake / "inbox" / "late.json").write_text("{}\n")
    at = datetime(2026, 11, 23, 3, tzinfo=UTC)
    with instance_for_test() as instance:
        instance.add_dynamic_partitions("fitrec_files", ["2014", "2015", "late"])
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=at,
            repository_def=defs.get_repository_def(),
            resources=lake_resources(
                str(lake), fitrec=str(folder), apple_health=str(tmp_path / "no_exports")
            ),
        )
        fitrec = defs.resolve_schedule_def("weekly_fitrec_ingestion")
        requests = fitrec.evaluate_tick(context).run_requests
        apple = defs.resolve_schedule_def("weekly_apple_health_ingestion")
        assert apple.evaluate_tick(context).run_requests == []

    assert fitrec.cron_schedule == defs.resolve_schedule_def("weekly_retraining").cron_schedule
    assert [r.partition_key for r in requests] == ["2014", "2015", "late"]
    tick_tags = {RETRAIN_TAG: at.isoformat(), "dagster/priority": "3"}
    assert all(tick_tags.items() <= r.tags.items() for r in requests)


def test_audit_job_runs_only_the_activity_files_and_quality_checks_daily():
    job = defs.resolve_job_def("data_quality_audit")
    assert job.asset_layer.selected_asset_keys == set()
    checks = job.asset_layer.asset_graph.asset_check_keys
    assert {key.name for key in checks} == DATA_QUALITY_CHECKS
    schedule = defs.resolve_schedule_def("daily_data_quality_audit")
    assert (schedule.cron_schedule, schedule.job_name) == ("0 6 * * *", "data_quality_audit")
    (request,) = tick("daily_data_quality_audit", datetime(2026, 11, 23, 6, tzinfo=UTC))
    assert (request.run_config, request.asset_selection, request.partition_key) == ({}, None, None)
    assert request.tags == {"dagster/schedule_name": "daily_data_quality_audit"}


def test_instance_template_serialises_gpu_training_and_the_retraining_passes():
    with open("dagster.example.yaml") as template:
        overrides = yaml.safe_load(template)
    with instance_for_test(overrides=overrides) as instance:
        config = instance.get_concurrency_config()
    assert config.pool_config.default_pool_limit == 1
    assert config.run_queue_config.tag_concurrency_limits == [{"key": RETRAIN_TAG, "limit": 1}]


def test_production_model_and_audit_report_must_be_refreshed_weekly():
    graph = defs.resolve_asset_graph()
    policies = {
        key.to_user_string(): graph.get(key).freshness_policy
        for key in graph.get_all_asset_keys()
        if graph.get(key).freshness_policy
    }
    assert set(policies) == {"production_model", "quality_audit_report"}
    for policy in policies.values():
        assert (policy.fail_window.to_timedelta().days, policy.warn_window.to_timedelta().days) == (
            8,
            7,
        )
