"""Graph tests: the ingestion assets materialized into a temp lake, checks included."""

from pathlib import Path

import dagster as dg
import polars as pl
from conftest import fitrec_line, materialize_partition

from assets.sources.fitrec.defs import fitrec_bronze, fitrec_checks, fitrec_source
from assets.sources.fitrec.files import FITREC_FILES, SIMULATED_FITREC
from pipelines.resources import lake_resources

INGESTION = [fitrec_source, fitrec_bronze, *fitrec_checks]


def ingest(lake: Path, configured: str, key: str, **kwargs) -> dg.ExecuteInProcessResult:
    resources = lake_resources(str(lake), fitrec=configured)
    return materialize_partition(INGESTION, resources, FITREC_FILES.name, key, **kwargs)


def checks_by_name(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {check.check_name: check.passed for check in result.get_asset_check_evaluations()}


def test_configured_file_is_ingested_with_quarantine_and_checks(lake: Path, tmp_path: Path):
    source = tmp_path / "endomondoHR_proper.json"
    source.write_text(
        "\n".join(
            [
                fitrec_line(101),
                fitrec_line(102, sport="bike", speed=False),
                "{'id': 103, 'userId': 7, 'heart_rate': [1",
                fitrec_line(104),
                "__import__('os').system('true')",
            ]
        )
        + "\n"
    )
    result = ingest(lake, str(source), "endomondoHR_proper")

    assert result.success
    assert sorted(str(p.relative_to(lake)) for p in lake.rglob("*.parquet")) == [
        "fitrec_quarantine/endomondoHR_proper.parquet",
        "fitrec_source/endomondoHR_proper.parquet",
        "fitrec_workouts/endomondoHR_proper.parquet",
    ]
    workouts = pl.read_parquet(lake / "fitrec_workouts" / "endomondoHR_proper.parquet")
    assert workouts.select("workout_id", "sport", "line_number").rows() == [
        (101, "run", 1),
        (102, "bike", 2),
        (104, "run", 4),
    ]
    assert set(workouts["source_file"]) == {str(source.resolve())}
    quarantine = pl.read_parquet(lake / "fitrec_quarantine" / "endomondoHR_proper.parquet")
    assert quarantine.select("line_number", "reason").rows() == [
        (3, "syntax error at column 40: '[' was never closed"),
        (5, "not a plain literal: Call at column 1"),
    ]
    assert checks_by_name(result) == {
        "fitrec_workouts_schema": True,
        "fitrec_quarantine_schema": True,
        "fitrec_lines_accounted": True,
    }
    metadata = {
        event.materialization.asset_key.to_user_string(): event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert metadata["fitrec_workouts"]["dagster/row_count"].value == 3
    assert metadata["fitrec_quarantine"]["lines_read"].value == 5
    assert metadata["fitrec_source"]["lines"].value == 5


def test_without_configuration_the_simulated_sample_is_generated_and_ingested(lake: Path):
    result = ingest(lake, "", "endomondo_simulated")
    assert result.success and all(checks_by_name(result).values())
    sample = lake / SIMULATED_FITREC
    assert sample.is_file() and (sample.parent / "endomondo_simulated.truth").is_dir()
    source = pl.read_parquet(lake / "fitrec_source" / "endomondo_simulated.parquet").row(
        0, named=True
    )
    assert source["simulated"] and source["path"] == str(sample.resolve())
    workouts = pl.read_parquet(lake / "fitrec_workouts" / "endomondo_simulated.parquet")
    quarantine = pl.read_parquet(lake / "fitrec_quarantine" / "endomondo_simulated.parquet")
    assert workouts.height + quarantine.height == source["lines"] == 1000
    truth = pl.read_parquet(sample.parent / "endomondo_simulated.truth" / "latent_hr.parquet")
    truncated = truth.filter("line_truncated")["line_number"].to_list()
    assert truncated and quarantine["line_number"].to_list() == truncated
    assert workouts["heart_rate"].list.len().unique().to_list() == [500]


def test_missing_configured_file_fails_naming_the_path(lake: Path, tmp_path: Path):
    missing = tmp_path / "nope.json"
    result = ingest(lake, str(missing), "nope", raise_on_error=False)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert str(missing) in failure.message and "PULSELAKE_FITREC" in failure.message
