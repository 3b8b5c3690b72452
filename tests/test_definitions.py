"""The code location loads, with every asset, check, job, schedule and sensor wired."""

import dagster as dg
from typer.testing import CliRunner

from assets.sources.registry import SOURCES
from assets.training.families import FAMILIES
from pipelines.cli import app, register_sources
from pipelines.definitions import defs
from pipelines.resources import lake_resources

# The per-file ingestion's checks: partitioned, run with each FitRec file's or export's ingestion.
PARTITIONED_INGESTION_CHECKS = {
    "fitrec_workouts_schema",
    "fitrec_quarantine_schema",
    "fitrec_lines_accounted",
    "apple_hr_samples_schema",
    "apple_workouts_schema",
    "apple_users_schema",
    "apple_export_quarantine_schema",
    "apple_route_points_schema",
    "apple_route_quarantine_schema",
    "apple_running_workouts_schema",
    "apple_routes_accounted",
    "apple_runs_accounted",
}
# The checks of the activity files and the quality stage: what the data-quality audit job runs.
DATA_QUALITY_CHECKS = {
    "activity_files_workouts_schema",
    "activity_files_quarantine_schema",
    "activity_files_accounted",
    "workouts_clean_schema",
    "workouts_rejected_schema",
    "artifact_flags_schema",
    "workouts_accounted",
    "funnel_within_bounds",
}


def test_definitions_load_with_assets_checks_and_jobs():
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == {
        "fitrec_source",
        "fitrec_workouts",
        "fitrec_quarantine",
        "apple_health_source",
        "apple_hr_samples",
        "apple_workouts",
        "apple_users",
        "apple_export_quarantine",
        "apple_route_points",
        "apple_route_quarantine",
        "apple_running_workouts",
        "apple_alignment",
        "activity_files_workouts",
        "activity_files_quarantine",
        "workouts_clean",
        "workouts_rejected",
        "quality_funnel",
        "artifact_flags",
        "quality_audit_report",
        "user_disjoint_split",
        "temporal_split",
        "user_disjoint_tensors",
        "temporal_tensors",
        *(f"trained_{family}" for family in FAMILIES),
        "leaderboard",
        "personalisation",
        "activity_files_personalisation",
        "sweep",
        "latent_heart_rate",
        *(f"evaluation_{family}" for family in FAMILIES),
        "model_comparison",
        "production_candidate",
        "production_model",
        "reality_check",
        "evaluation_report",
    }
    assert {
        key.name for key in graph.asset_check_keys
    } == PARTITIONED_INGESTION_CHECKS | DATA_QUALITY_CHECKS | {
        "user_disjoint_split_schema",
        "temporal_split_schema",
        "user_disjoint_tensors_integrity",
        "temporal_tensors_integrity",
        "user_disjoint_scaler_from_train",
        "temporal_scaler_from_train",
        "users_disjoint",
        "time_ordered",
        "candidate_not_worse",
    }
    assert defs.resolve_job_def("fitrec_ingestion") is not None
    assert defs.resolve_job_def("apple_health_ingestion") is not None
    assert defs.resolve_job_def("activity_files_ingestion") is not None
    assert defs.resolve_job_def("model_sweep") is not None
    assert defs.resolve_job_def("retraining") is not None
    assert defs.resolve_job_def("data_quality_audit") is not None
    repository = defs.get_repository_def()
    schedules = {s.name: s.job_name for s in repository.schedule_defs}
    assert schedules == {
        "weekly_fitrec_ingestion": "fitrec_ingestion",
        "weekly_apple_health_ingestion": "apple_health_ingestion",
        "weekly_retraining": "retraining",
        "daily_data_quality_audit": "data_quality_audit",
    }
    sensors = {sensor.name: sensor for sensor in repository.sensor_defs}
    assert set(sensors) == {"source_files_sensor", "data_automation"}
    assert sorted(job.name for job in sensors["source_files_sensor"].jobs) == [
        "activity_files_ingestion",
        "apple_health_ingestion",
        "fitrec_ingestion",
    ]
    for name in ("fitrec_ingestion", "apple_health_ingestion"):
        partitions = defs.resolve_job_def(name).partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition)


def test_cli_simulate_writes_file_and_truth(tmp_path):
    out = tmp_path / "sim.json.gz"
    result = CliRunner().invoke(
        app, ["simulate", "fitrec", "--users", "2", "--workouts-per-user", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 6 workouts" in result.output
    assert out.read_bytes()[:2] == b"\x1f\x8b" and (tmp_path / "sim.truth").is_dir()


def test_register_adds_one_partition_per_file_once(tmp_path, capsys):
    folder, no_exports = tmp_path / "fitrec", tmp_path / "no_exports"
    folder.mkdir()
    no_exports.mkdir()
    for name in ("2014.json", "2015 spring.json.gz", ".partial.json", "readme.md"):
        (folder / name).write_text("{}\n")
    local = dg.Definitions(
        resources=lake_resources(
            str(tmp_path / "lake"), fitrec=str(folder), apple_health=str(no_exports)
        )
    )
    instance = dg.DagsterInstance.ephemeral()

    files = register_sources(local, instance, SOURCES)
    again = register_sources(local, instance, SOURCES)

    assert [(f.key, f.path.name) for f in files] == [
        ("2014", "2014.json"),
        ("2015_spring", "2015 spring.json.gz"),
    ]
    assert again == files
    assert instance.get_dynamic_partitions("fitrec_files") == ["2014", "2015_spring"]
    assert capsys.readouterr().out == "new fitrec_files partitions: 2014, 2015_spring\n"
