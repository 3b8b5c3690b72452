"""The inbox sensor on a temp lake: each drop is requested once, and its run ingests it."""

import json
import os
from pathlib import Path

import dagster as dg
import polars as pl
from conftest import fitrec_line

from assets.fitrec import fitrec_bronze, fitrec_checks, fitrec_source
from pipelines.jobs import fitrec_ingestion_job
from pipelines.resources import Lake, lake_resources
from pipelines.sensors import inbox_sensor


def evaluate(lake: Path, cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor, resources={"lake": Lake(root=str(lake))})
    return inbox_sensor.evaluate_tick(context)


def drop_fitrec(inbox: Path, name: str, workouts: int) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_text("".join(fitrec_line(100 + i) + "\n" for i in range(workouts)))
    return path


def stamp(path: Path, mtime_ns: int) -> int:
    """Give a file a known mtime, so run keys are literal."""
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path.stat().st_size


def test_each_drop_is_requested_once(lake: Path):
    inbox = lake / "inbox"
    first = drop_fitrec(inbox, "endomondoHR_proper.json", 2)
    size = stamp(first, 1_700_000_000_000_000_000)

    tick = evaluate(lake, None)
    (request,) = tick.run_requests
    assert request.job_name == "fitrec_ingestion"
    assert request.run_key == f"{first}:1-{size}-1700000000000000000"
    assert request.run_config == {"resources": {"fitrec": {"config": {"path": str(first)}}}}
    assert request.tags == {"pulselake/inbox": str(first), "dagster/sensor_name": "inbox_sensor"}
    assert json.loads(tick.cursor) == {str(first): f"1-{size}-1700000000000000000"}

    assert evaluate(lake, tick.cursor).run_requests == []

    export = inbox / "anna" / "export.zip"
    export.parent.mkdir()
    export.write_bytes(b"PK zip bytes")
    stamp(export, 1_800_000_000_000_000_000)
    (inbox / ".copying.json.gz").write_bytes(b"half")
    (inbox / "notes.txt").write_text("not a workout")
    (inbox / "empty_folder").mkdir()
    tick = evaluate(lake, tick.cursor)
    (request,) = tick.run_requests
    assert request.job_name == "apple_health_ingestion"
    assert request.run_key == f"{export}:1-12-1800000000000000000"
    assert request.run_config == {"resources": {"apple_health": {"config": {"path": str(export)}}}}
    assert evaluate(lake, tick.cursor).run_requests == []


def test_folders_and_changed_files_are_requested_again_only_when_they_change(lake: Path):
    inbox = lake / "inbox"
    runs = inbox / "ben"
    runs.mkdir(parents=True)
    (runs / "morning.gpx").write_text("<gpx/>")
    stamp(runs / "morning.gpx", 1_700_000_000_000_000_000)
    (runs / "activities").mkdir()
    (runs / "activities" / "1.fit").write_bytes(b"fit")
    stamp(runs / "activities" / "1.fit", 1_600_000_000_000_000_000)
    unzipped = inbox / "apple_health_export"
    unzipped.mkdir()
    (unzipped / "export.xml").write_text("<HealthData/>")

    tick = evaluate(lake, None)
    assert [(r.job_name, r.run_config["resources"]) for r in tick.run_requests] == [
        ("apple_health_ingestion", {"apple_health": {"config": {"path": str(unzipped)}}}),
        ("activity_files_ingestion", {"activity_files": {"config": {"path": str(runs)}}}),
    ]
    assert tick.run_requests[1].run_key == f"{runs}:2-9-1700000000000000000"
    assert evaluate(lake, tick.cursor).run_requests == []

    (runs / "evening.gpx").write_text("<gpx></gpx>")
    stamp(runs / "evening.gpx", 1_750_000_000_000_000_000)
    (request,) = evaluate(lake, tick.cursor).run_requests
    assert request.run_key == f"{runs}:3-20-1750000000000000000"


def test_the_requested_run_ingests_the_dropped_file(lake: Path):
    dropped = drop_fitrec(lake / "inbox", "new_user.json", 3)
    (request,) = evaluate(lake, None).run_requests
    defs = dg.Definitions(
        assets=[fitrec_source, fitrec_bronze],
        asset_checks=fitrec_checks,
        jobs=[fitrec_ingestion_job],
        resources=lake_resources(str(lake)),
    )

    result = defs.resolve_job_def(request.job_name).execute_in_process(
        run_config=request.run_config, tags=request.tags
    )

    assert result.success
    source = pl.read_parquet(lake / "fitrec_source.parquet")
    assert (source["path"].item(), source["lines"].item(), source["simulated"].item()) == (
        str(dropped),
        3,
        False,
    )
    assert pl.read_parquet(lake / "fitrec_workouts.parquet")["workout_id"].to_list() == [
        100,
        101,
        102,
    ]
    assert all(check.passed for check in result.get_asset_check_evaluations())
