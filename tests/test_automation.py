"""Declarative automation: each newly ingested FitRec file carries on into the data stages, and
only once every registered file has a table."""

from pathlib import Path

import dagster as dg
import pytest
from conftest import fitrec_line
from dagster._core.test_utils import instance_for_test

from assets.quality.defs import quality_gates_asset
from assets.sources.fitrec.defs import fitrec_bronze, fitrec_source
from assets.sources.fitrec.files import FITREC_FILES
from assets.sources.registry import SOURCES
from pipelines.automation import carry_new_data
from pipelines.resources import lake_resources

OTHER_SOURCES = ("apple_running_workouts", "activity_files_workouts")
GATE = {"workouts_clean", "workouts_rejected", "artifact_flags", "quality_funnel"}


@pytest.fixture
def instance():
    with instance_for_test() as instance:
        yield instance


def requested(defs: dg.Definitions, instance, cursor=None):
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    names = {r.key.to_user_string() for r in result.results if result.get_num_requested(r.key)}
    return names, result.cursor


def test_each_new_file_flows_on_to_the_quality_gate(lake: Path, tmp_path: Path, instance):
    folder = tmp_path / "fitrec"
    folder.mkdir()
    for n, name in enumerate(("2014", "2015")):
        (folder / f"{name}.json").write_text(fitrec_line(100 + n) + "\n")
    gate = [quality_gates_asset(SOURCES)]
    defs = dg.Definitions(
        assets=[
            fitrec_source,
            fitrec_bronze,
            *(dg.AssetSpec(name) for name in OTHER_SOURCES),
            *dg.map_asset_specs(carry_new_data, gate),
        ],
        resources=lake_resources(str(lake), fitrec=str(folder)),
    )
    instance.add_dynamic_partitions(FITREC_FILES.name, ["2014", "2015"])
    for name in OTHER_SOURCES:
        instance.report_runless_asset_event(dg.AssetMaterialization(name))
    ingest = defs.resolve_implicit_global_asset_job_def()

    def ingested(key: str) -> None:
        selection = [
            dg.AssetKey(n) for n in ("fitrec_source", "fitrec_workouts", "fitrec_quarantine")
        ]
        result = ingest.execute_in_process(
            instance=instance, partition_key=key, asset_selection=selection
        )
        assert result.success

    names, cursor = requested(defs, instance)
    assert names == set()
    ingested("2014")
    names, cursor = requested(defs, instance, cursor)
    assert names == set()  # 2015 is registered but has no table yet
    ingested("2015")
    names, cursor = requested(defs, instance, cursor)
    assert names == GATE
    assert requested(defs, instance, cursor)[0] == set()  # requested once, not every tick
