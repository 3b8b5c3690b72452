"""A new source is one folder and one registry line: the CSV folder of tests/csv_source/,
added to the registry's list, flows into `workouts_clean` and gets its ingestion job, its
resource and its place in the sensor, with no other file edited."""

import dataclasses
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest

from assets.lake.schema_checks import schema_check
from assets.quality.defs import quality_gates_asset, workouts_accounted_check
from assets.sources.fitrec.reader import FitrecPass
from assets.sources.registry import SOURCES
from assets.sources.unify import UNIFIED
from pipelines.definitions import build_definitions
from pipelines.resources import lake_resources
from schemas.workouts import CleanWorkouts
from tests.csv_source.defs import csv_folder_workouts
from tests.csv_source.source import CSV_FOLDER

WITH_CSV = [*SOURCES, CSV_FOLDER]
STEPS = 400  # 20 minutes at 3 s: past the size gate


def write_runs(folder: Path, runners: dict[str, int]) -> None:
    """`runners` maps a runner to their number of runs; each a steady 20-minute run."""
    steps = np.arange(STEPS)
    for runner, runs in runners.items():
        (folder / runner).mkdir(parents=True)
        for run in range(runs):
            pl.DataFrame(
                {
                    "time": 1_600_000_000 + 86_400 * run + 3 * steps,
                    "speed": 10.0 + np.sin(steps / 30),
                    "altitude": np.full(STEPS, 50.0),
                    "heart_rate": 120.0 + 30 * (1 - np.exp(-steps / 40)),
                    # northwards at ~10 km/h: 3 s of it is ~8.3 m, 7.5e-5 degrees
                    "latitude": 60.0 + 7.5e-5 * steps,
                    "longitude": np.full(STEPS, 24.9),
                }
            ).write_csv(folder / runner / f"run{run}.csv")


def empty_other_sources(lake: Path) -> None:
    (lake / "empty.json").write_text("")
    FitrecPass(lake / "empty.json").workouts.sink_parquet(lake / "fitrec_workouts.parquet")
    for table in ("apple_running_workouts", "activity_files_workouts"):
        UNIFIED.to_frame().write_parquet(lake / f"{table}.parquet")


def test_a_registered_source_flows_into_workouts_clean(lake: Path, tmp_path: Path):
    write_runs(tmp_path / "csv", {"ada": 2, "bo": 1})
    empty_other_sources(lake)

    result = dg.materialize(
        [
            csv_folder_workouts,
            quality_gates_asset(WITH_CSV),
            workouts_accounted_check(WITH_CSV),
            schema_check("workouts_clean", CleanWorkouts),
            *(dg.AssetSpec(s.workouts_asset) for s in SOURCES),
        ],
        resources=lake_resources(str(lake), WITH_CSV, csv_folder=str(tmp_path / "csv")),
    )

    assert result.success
    clean = pl.read_parquet(lake / "workouts_clean.parquet")
    assert clean.select("source", "workout_id").sort("workout_id").rows() == [
        ("csv_folder", "ada/run0"),
        ("csv_folder", "ada/run1"),
        ("csv_folder", "bo/run0"),
    ]
    checks = {check.check_name: check for check in result.get_asset_check_evaluations()}
    assert checks["workouts_clean_schema"].passed
    accounted = checks["workouts_accounted"]
    metadata = {key: value.value for key, value in accounted.metadata.items()}
    assert accounted.passed
    assert (metadata["csv_folder_in"], metadata["csv_folder_unaccounted"]) == (3, 0)


def test_rows_of_a_source_that_is_not_registered_fail_the_accounting(lake, tmp_path):
    write_runs(tmp_path / "csv", {"ada": 1})
    empty_other_sources(lake)
    # The gates see the CSV folder; the accounting check does not know it.
    result = dg.materialize(
        [
            csv_folder_workouts,
            quality_gates_asset(WITH_CSV),
            workouts_accounted_check(SOURCES),
            *(dg.AssetSpec(s.workouts_asset) for s in SOURCES),
        ],
        resources=lake_resources(str(lake), WITH_CSV, csv_folder=str(tmp_path / "csv")),
        raise_on_error=False,
    )

    (accounted,) = result.get_asset_check_evaluations()
    assert not accounted.passed
    assert accounted.metadata["rows_of_unknown_sources"].value == 1


def test_the_code_location_gives_a_registered_source_its_job_resource_and_sensor(tmp_path):
    defs = build_definitions(WITH_CSV, lake_resources(str(tmp_path), WITH_CSV))

    job = defs.resolve_job_def("csv_folder_ingestion")
    assert job.asset_layer.selected_asset_keys == {dg.AssetKey("csv_folder_workouts")}
    assert defs.resources["csv_folder"].path == ""
    graph = defs.resolve_asset_graph()
    assert (
        dg.AssetKey("csv_folder_workouts") in graph.get(dg.AssetKey("workouts_clean")).parent_keys
    )
    sensor = defs.resolve_sensor_def("source_files_sensor")
    assert "csv_folder_ingestion" in {target.job_name for target in sensor.targets}


def test_a_source_refuses_an_asset_outside_its_ingestion_group():
    @dg.asset(group_name="elsewhere")
    def stray_workouts() -> None: ...

    with pytest.raises(ValueError, match="stray_workouts"):
        dataclasses.replace(CSV_FOLDER, assets=[csv_folder_workouts, stray_workouts])
