"""The source-files sensor on a temp lake: each new file becomes a partition and is requested
once per version, and the requested run ingests exactly that partition."""

import json
import os
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from conftest import fitrec_line
from dagster._core.test_utils import instance_for_test

from assets.sources.fitrec.defs import fitrec_bronze, fitrec_checks, fitrec_source
from assets.sources.fitrec.source import FITREC
from pipelines.definitions import defs as code_location
from pipelines.jobs import ingestion_job
from pipelines.resources import lake_resources

FIRST_NS, LATER_NS = 1_700_000_000_000_000_000, 1_800_000_000_000_000_000


@pytest.fixture
def instance():
    """A persistent test instance: sensors resolve new partitions against a stored one."""
    with instance_for_test() as instance:
        yield instance


def evaluate(lake: Path, instance: dg.DagsterInstance, cursor: str | None, apple: str = ""):
    """One tick, with the daemon's handling of the partitions it asks for."""
    resources = lake_resources(str(lake), apple_health=apple)
    context = dg.build_sensor_context(
        cursor=cursor,
        instance=instance,
        instance_ref=instance.get_ref(),
        resources=resources,
        repository_def=code_location.get_repository_def(),
    )
    tick = code_location.get_sensor_def("source_files_sensor").evaluate_tick(context)
    for request in tick.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    return tick


def added(tick) -> dict[str, list[str]]:
    return {r.partitions_def_name: r.partition_keys for r in tick.dynamic_partitions_requests}


def drop_fitrec(inbox: Path, name: str, workouts: int) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_text("".join(fitrec_line(100 + i) + "\n" for i in range(workouts)))
    return path


def drop_export(folder: Path, person: str) -> Path:
    export = folder / person / "export.zip"
    export.parent.mkdir(parents=True)
    export.write_bytes(b"PK zip bytes")
    stamp(export, LATER_NS)
    return export


def stamp(path: Path, mtime_ns: int) -> int:
    """Give a file a known mtime, so run keys are literal."""
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path.stat().st_size


def test_each_drop_becomes_a_partition_requested_once(lake: Path, instance):
    first = drop_fitrec(lake / "inbox", "endomondoHR_proper.json", 2)
    size = stamp(first, FIRST_NS)

    tick = evaluate(lake, instance, None)
    assert added(tick) == {"fitrec_files": ["endomondoHR_proper"]}
    (request,) = tick.run_requests
    version = f"1-{size}-{FIRST_NS}"
    assert (request.job_name, request.partition_key, request.run_key) == (
        "fitrec_ingestion",
        "endomondoHR_proper",
        f"fitrec_files:endomondoHR_proper:{version}",
    )
    assert request.tags["pulselake/source"] == str(first)
    assert json.loads(tick.cursor) == {"fitrec_files/endomondoHR_proper": version}
    assert evaluate(lake, instance, tick.cursor).run_requests == []

    export = drop_export(lake / "inbox", "anna")
    (lake / "inbox" / ".copying.json.gz").write_bytes(b"half")
    (lake / "inbox" / "notes.txt").write_text("not a workout")
    (lake / "inbox" / "empty_folder").mkdir()
    tick = evaluate(lake, instance, tick.cursor)
    assert added(tick) == {"apple_exports": ["anna"]}
    (request,) = tick.run_requests
    assert (request.job_name, request.partition_key) == ("apple_health_ingestion", "anna")
    assert request.tags["pulselake/source"] == str(export)
    assert evaluate(lake, instance, tick.cursor).run_requests == []
    assert instance.get_dynamic_partitions("apple_exports") == ["anna"]


def test_a_new_persons_export_adds_only_their_partition(lake: Path, tmp_path: Path, instance):
    exports = tmp_path / "exports"
    drop_export(exports, "anna")
    tick = evaluate(lake, instance, None, apple=str(exports))
    assert added(tick) == {"apple_exports": ["anna"]}

    drop_export(exports, "ben")
    tick = evaluate(lake, instance, tick.cursor, apple=str(exports))

    assert added(tick) == {"apple_exports": ["ben"]}
    assert [r.partition_key for r in tick.run_requests] == ["ben"]
    assert instance.get_dynamic_partitions("apple_exports") == ["anna", "ben"]


def test_changed_files_and_folders_are_requested_again_only_when_they_change(lake: Path, instance):
    inbox = lake / "inbox"
    runs = inbox / "ben"
    (runs / "activities").mkdir(parents=True)
    (runs / "morning.gpx").write_text("<gpx/>")
    stamp(runs / "morning.gpx", FIRST_NS)
    (runs / "activities" / "1.fit").write_bytes(b"fit")
    stamp(runs / "activities" / "1.fit", 1_600_000_000_000_000_000)
    fitrec = drop_fitrec(inbox, "batch.json.gz", 1)
    stamp(fitrec, FIRST_NS)

    tick = evaluate(lake, instance, None)
    folder = {"resources": {"activity_files": {"config": {"path": str(runs)}}}}
    assert [(r.job_name, r.partition_key, r.run_config) for r in tick.run_requests] == [
        ("fitrec_ingestion", "batch", {}),
        ("activity_files_ingestion", None, folder),
    ]
    assert tick.run_requests[1].run_key == f"{runs}:2-9-{FIRST_NS}"
    assert evaluate(lake, instance, tick.cursor).run_requests == []

    (runs / "evening.gpx").write_text("<gpx></gpx>")
    stamp(runs / "evening.gpx", LATER_NS)
    size = stamp(drop_fitrec(inbox, "batch.json.gz", 2), LATER_NS)
    tick = evaluate(lake, instance, tick.cursor)
    assert added(tick) == {}
    assert [r.run_key for r in tick.run_requests] == [
        f"fitrec_files:batch:1-{size}-{LATER_NS}",
        f"{runs}:3-20-{LATER_NS}",
    ]


def test_the_requested_run_ingests_its_partition_and_is_not_requested_again(lake: Path, instance):
    dropped = drop_fitrec(lake / "inbox", "new_user.json", 3)
    (request,) = evaluate(lake, instance, None).run_requests
    defs = dg.Definitions(
        assets=[fitrec_source, fitrec_bronze],
        asset_checks=fitrec_checks,
        jobs=[ingestion_job(FITREC)],
        resources=lake_resources(str(lake)),
    )

    result = defs.resolve_job_def(request.job_name).execute_in_process(
        instance=instance, partition_key=request.partition_key, tags=request.tags
    )

    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    source = pl.read_parquet(lake / "fitrec_source" / "new_user.parquet")
    assert (source["path"].item(), source["lines"].item(), source["simulated"].item()) == (
        str(dropped.resolve()),
        3,
        False,
    )
    workouts = pl.read_parquet(lake / "fitrec_workouts" / "new_user.parquet")
    assert workouts["workout_id"].to_list() == [100, 101, 102]
    # A lost cursor does not ingest it twice: its materialization carries the signature.
    assert evaluate(lake, instance, None).run_requests == []
