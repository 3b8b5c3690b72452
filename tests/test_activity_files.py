"""The activity-files source: each reader on tiny hand-made files, Strava exports and folders,
the quarantine, the simulated sample, and the assets on a temp lake through the gates."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest
from fit_tool.profile.profile_type import Sport
from typer.testing import CliRunner

from assets.quality.defs import (
    funnel_within_bounds,
    quality_gates_asset,
    workouts_accounted_check,
)
from assets.quality.gates import gate_batch
from assets.sources.activity_files.defs import activity_files_assets, activity_files_checks
from assets.sources.activity_files.folder import gate_sport, read_folder
from assets.sources.activity_files.readers import ActivityFileError, read_activity
from assets.sources.fitrec.reader import FitrecPass
from assets.sources.registry import SOURCES
from assets.sources.unify import UNIFIED
from pipelines.cli import app
from pipelines.resources import lake_resources
from schemas.workouts import CleanWorkouts, Workouts
from simulator.activity_files import write_activity_files
from tests.activity_builders import (
    GPX_TEMPLATE,
    T0,
    TCX_TEMPLATE,
    fit_file,
    running_fit,
    tcx_point,
    write,
)


def series(path: Path) -> list[tuple]:
    return read_activity(path).series.rows()


def test_fit_records_in_units_of_the_unified_table(tmp_path: Path):
    records = [
        {"timestamp": T0, "heart_rate": 120, "enhanced_speed": 2.5, "enhanced_altitude": 100.0,
         "position_lat": 45.0, "position_long": -90.0},
        {"timestamp": T0 + 1, "heart_rate": 121, "enhanced_speed": 3.0, "enhanced_altitude": 101.0,
         "position_lat": 45.0, "position_long": -90.0},
        {"timestamp": T0 + 5, "speed": 3.5, "altitude": 102.4},  # pre-"enhanced" fields, no fix
    ]  # fmt: skip
    path = write(tmp_path / "run.fit", fit_file(records, start=T0 - 60))

    activity = read_activity(path)

    assert activity.sport == "running"
    assert activity.start_time == datetime.fromtimestamp(T0 - 60, UTC)  # the session's start
    assert activity.series.rows() == [
        (T0, 120.0, pytest.approx(2.5 * 3.6), 100.0, 45.0, -90.0),
        (T0 + 1, 121.0, pytest.approx(3.0 * 3.6), 101.0, 45.0, -90.0),
        (T0 + 5, None, pytest.approx(3.5 * 3.6), 102.4000015258789, None, None),
    ]


def test_tcx_trackpoints_with_activity_extension_speed(tmp_path: Path):
    points = "\n".join(
        [
            tcx_point("2023-11-14T22:13:20Z", 52.5, 13.4, 34.5, 140, 3.0),
            tcx_point("2023-11-14T23:13:21+01:00", 52.50001, 13.4, 35.0, None, 2.5),
        ]
    )
    text = TCX_TEMPLATE.format(sport="Running", start="2023-11-14T22:13:00Z", points=points)
    path = write(tmp_path / "run.tcx", "\n  " + text)  # Garmin's leading whitespace is fine

    activity = read_activity(path)

    assert (activity.sport, activity.start_time) == (
        "Running",
        datetime(2023, 11, 14, 22, 13, tzinfo=UTC),
    )
    assert activity.series.rows() == [
        (T0, 140.0, np.float32(3.0 * 3.6), 34.5, 52.5, 13.4),
        (T0 + 1, None, np.float32(2.5 * 3.6), 35.0, 52.50001, 13.4),
    ]


def test_gpx_trackpoint_extension_v1_v2_and_the_watch_speed(tmp_path: Path):
    points = """
  <trkpt lat="52.5" lon="13.4"><ele>34.5</ele><time>2023-11-14T22:13:20Z</time>
   <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>141</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>
  <trkpt lat="52.50001" lon="13.4"><ele>35</ele><time>2023-11-14T22:13:21Z</time>
   <extensions><tpx2:TrackPointExtension><tpx2:hr>142</tpx2:hr><tpx2:speed>2.5</tpx2:speed></tpx2:TrackPointExtension></extensions></trkpt>
  <trkpt lat="52.50002" lon="13.4"><ele>36</ele><time>2023-11-14T22:13:22Z</time>
   <extensions><speed>3.0</speed></extensions></trkpt>"""
    path = write(tmp_path / "run.gpx", GPX_TEMPLATE.format(sport="running", points=points))

    activity = read_activity(path)

    assert (activity.sport, activity.start_time) == ("running", datetime.fromtimestamp(T0, UTC))
    assert activity.series.rows() == [
        (T0, 141.0, None, 34.5, 52.5, 13.4),
        (T0 + 1, 142.0, np.float32(2.5 * 3.6), 35.0, 52.50001, 13.4),
        (T0 + 2, None, np.float32(3.0 * 3.6), 36.0, 52.50002, 13.4),
    ]


def test_csv_with_iso_times_or_epoch_seconds(tmp_path: Path):
    iso = write(
        tmp_path / "iso.csv",
        "time,speed,altitude,heart_rate,sport\n"
        "2023-11-14T22:13:20Z,10.5,12,140,Run\n"
        "2023-11-14T23:13:28+01:00,11,13.5,,Run\n",
    )
    epoch = write(
        tmp_path / "epoch.csv", f"Time, Speed ,altitude\n{T0},10.5,12\n{T0 + 8},11,13.5\n"
    )

    assert read_activity(iso).sport == "Run"
    assert series(iso) == [
        (T0, 140.0, 10.5, 12.0, None, None),
        (T0 + 8, None, 11.0, 13.5, None, None),
    ]
    assert read_activity(epoch).sport is None
    assert series(epoch) == [
        (T0, None, 10.5, 12.0, None, None),
        (T0 + 8, None, 11.0, 13.5, None, None),
    ]


@pytest.mark.parametrize("name", ["run.fit", "run.tcx", "run.gpx", "run.csv"])
def test_gzipped_files_read_like_plain_ones(tmp_path: Path, name: str):
    data = {
        "run.fit": running_fit(minutes=1),
        "run.tcx": TCX_TEMPLATE.format(
            sport="Running", start="2023-11-14T22:13:20Z",
            points=tcx_point("2023-11-14T22:13:20Z", 52.5, 13.4, 34.5, 140, 3.0),
        ),
        "run.gpx": GPX_TEMPLATE.format(
            sport="running",
            points='<trkpt lat="52.5" lon="13.4"><time>2023-11-14T22:13:20Z</time></trkpt>',
        ),
        "run.csv": f"time,speed,altitude\n{T0},10,5\n",
    }[name]  # fmt: skip
    plain, packed = write(tmp_path / name, data), write(tmp_path / f"gz/{name}.GZ", data)
    assert read_activity(packed).series.equals(read_activity(plain).series)


def test_each_problem_names_the_file_and_where(tmp_path: Path):
    good = running_fit(minutes=1)
    corrupt = write(
        tmp_path / "corrupt.fit.gz", good[:100] + bytes([good[100] ^ 0xFF]) + good[101:]
    )
    xxe = write(
        tmp_path / "xxe.tcx",
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        + TCX_TEMPLATE.format(sport="Running", start="&e;", points=""),
    )
    bad_time = TCX_TEMPLATE.format(
        sport="Running", start="2023-11-14T22:13:20Z",
        points=tcx_point("yesterday", 52.5, 13.4, 34.5, 140, 3.0),
    )  # fmt: skip
    cases = {
        corrupt: "not a readable FIT file: mismatching CRC",
        xxe: "line 2: TCX declares a DTD or entities; refused",
        write(
            tmp_path / "time.tcx", bad_time
        ): "line 8: Trackpoint Time: 'yesterday' is not an ISO 8601 time",
        write(
            tmp_path / "empty.tcx",
            TCX_TEMPLATE.format(sport="Running", start="2023-11-14T22:13:20Z", points=""),
        ): "no samples with a time stamp",
        write(
            tmp_path / "notime.gpx",
            GPX_TEMPLATE.format(sport="run", points='<trkpt lat="1" lon="2"/>'),
        ): "1 track points have no time (the first is trkpt 1)",
        write(tmp_path / "cols.csv", "when,speed\n1,2\n"): "no 'time' column (has when, speed)",
        write(
            tmp_path / "value.csv", f"time,speed,altitude\n{T0},fast,1\n"
        ): "line 2, column speed: 'fast' is not a number",
        _plain(tmp_path / "gzip.gpx.gz", b"not gzip"): "cannot be read",
        write(tmp_path / "notes.txt", "x"): "unsupported file type",
    }
    for path, fragment in cases.items():
        with pytest.raises(ActivityFileError) as refused:
            read_activity(path)
        assert str(refused.value).startswith(f"{path}: ")
        assert fragment in str(refused.value)


def _plain(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("declared", "sport"),
    [("Run", "run"), ("Trail Run", "run"), ("Virtual Run", "run"), ("running", "run"),
     ("treadmill_running", "run"), ("Running", "run"), ("Ride", "ride"), ("cycling", "cycling"),
     ("Rundown Walk", "rundown walk"), (None, None), ("  ", None)],
)  # fmt: skip
def test_running_types_map_to_the_gate_sport(declared, sport):
    assert gate_sport(declared) == sport


def strava_export(root: Path) -> Path:
    """A Strava export: a run, a ride and a trail run with files, a manual entry without one,
    a row naming a missing file and one outside the export, a corrupt FIT and an XXE TCX."""
    export = root / "anna"
    write(export / "activities" / "1.fit.gz", running_fit(minutes=6))
    write(export / "activities" / "2.fit.gz", fit_file([{"timestamp": T0}], sport=Sport.CYCLING))
    write(export / "activities" / "3.gpx.gz", GPX_TEMPLATE.format(
        sport="hiking", points='<trkpt lat="1" lon="2"><time>2023-11-14T22:13:20Z</time></trkpt>'
    ))  # fmt: skip
    write(export / "activities" / "4.fit", b".FIT broken")
    write(export / "activities" / "5.tcx", '<!DOCTYPE x [<!ENTITY e "boom">]>\n<x>&e;</x>')
    write(export / "profile.csv", "Athlete ID,Email Address\n7,anna@example.com\n")
    write(
        export / "activities.csv",
        "Activity ID,Activity Date,Activity Name,Activity Type,Filename\n"
        '101,"Nov 14, 2023, 10:13:20 PM",Morning Run,Run,activities/1.fit.gz\n'
        "102,,Ride,Ride,activities/2.fit.gz\n"
        "103,,Hills,Trail Run,activities/3.gpx.gz\n"
        "104,,Broken,Run,activities/4.fit\n"
        "105,,Evil,Run,activities/5.tcx\n"
        "106,,Manual,Run,\n"
        "107,,Lost,Run,activities/7.gpx\n"
        "108,,Sneaky,Run,../../etc/passwd\n",
    )
    return export


def test_strava_export_types_ids_and_quarantine(tmp_path: Path):
    export = strava_export(tmp_path)
    index = export / "activities.csv"

    workouts, quarantine, inventory = read_folder(export)

    assert workouts.select("source", "workout_id", "user_id", "sport", "gender").rows() == [
        ("activity_files", "101", "anna", "run", "unknown"),
        ("activity_files", "102", "anna", "ride", "unknown"),
        ("activity_files", "103", "anna", "run", "unknown"),  # the CSV's type, not the file's
    ]
    assert workouts["source_file"].to_list() == [
        str(export / "activities" / name) for name in ("1.fit.gz", "2.fit.gz", "3.gpx.gz")
    ]
    first = workouts.row(0, named=True)
    assert (first["timestamp"][:2], first["heart_rate"][:2]) == ([T0, T0 + 5], [120.0, 120.0])
    assert workouts.schema == UNIFIED
    broken, evil = export / "activities" / "4.fit", export / "activities" / "5.tcx"
    assert quarantine.rows() == [
        (
            str(export / "activities" / "7.gpx"),
            f"{index} line 8: Filename 'activities/7.gpx' is not in the export",
        ),
        (
            f"{export}/../../etc/passwd",
            f"{index} line 9: Filename '../../etc/passwd' is outside the export",
        ),
        (
            str(broken),
            f"{broken}: not a readable FIT file: {quarantine['reason'][2].split(': ', 2)[2]}",
        ),
        (str(evil), f"{evil}: line 1: TCX declares a DTD or entities; refused"),
    ]
    assert [p.name for p in inventory.skipped] == ["activities.csv", "profile.csv"]


def test_plain_folder_one_person_per_sub_folder(tmp_path: Path):
    root = tmp_path / "runners"
    write(root / "bob" / "week1" / "a.fit", running_fit(minutes=6))
    write(root / "bob" / "a.csv", f"time,speed,altitude\n{T0},10,5\n{T0 + 8},10,5\n")
    write(root / "loose.fit.gz", running_fit(minutes=6))

    workouts, quarantine, inventory = read_folder(root)

    assert workouts.select("workout_id", "user_id", "sport").rows() == [
        ("bob/a.csv", "bob", "run"),  # no sport column, but 10 km/h: a runner's speed
        ("bob/week1/a.fit", "bob", "run"),
        ("loose.fit.gz", "runners", "run"),  # directly in the folder: the folder's person
    ]
    speed = workouts.filter(pl.col("workout_id") == "bob/a.csv")
    assert speed.select("heart_rate", "latitude", "longitude").row(0) == (None, None, None)
    assert quarantine.height == 0 and inventory.skipped == []


def test_simulated_sample_is_deterministic_and_its_truth_matches_the_files(tmp_path: Path):
    one = write_activity_files(tmp_path / "a" / "sample", runners=1, runs_per_runner=4, seed=3)
    two = write_activity_files(tmp_path / "b" / "sample", runners=1, runs_per_runner=4, seed=3)
    files = sorted(p.relative_to(one.path) for p in one.path.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two.path) for p in two.path.rglob("*") if p.is_file())
    assert all((one.path / f).read_bytes() == (two.path / f).read_bytes() for f in files)
    assert (one.activities, one.runs) == (5, 4)

    workouts, quarantine, _ = read_folder(one.path)
    truth = pl.read_parquet(one.truth_dir / "latent_hr.parquet")
    assert quarantine["file"].to_list() == [str(one.corrupt_file.resolve())]
    assert sorted(workouts.filter(pl.col("sport") == "run")["workout_id"]) == sorted(
        set(truth["workout_id"]) - {one.corrupt_file.name.split(".")[0]}
    )
    joined = workouts.join(truth, on="workout_id")
    assert joined.height == 3
    assert (joined["timestamp"] == joined["timestamp_right"]).all()
    assert truth.schema == pl.Schema(
        {"workout_id": pl.String, "timestamp": pl.List(pl.Int64), "latent_hr": pl.List(pl.Float32)}
    )


def test_assets_ingest_the_folder_and_reach_workouts_clean(lake: Path, tmp_path: Path):
    sample = write_activity_files(tmp_path / "files", runners=1, runs_per_runner=3, seed=11)
    (lake / "empty.json").write_text("")
    FitrecPass(lake / "empty.json").workouts.sink_parquet(lake / "fitrec_workouts.parquet")
    UNIFIED.to_frame().write_parquet(lake / "apple_running_workouts.parquet")

    result = dg.materialize(
        [
            *activity_files_assets,
            *activity_files_checks,
            quality_gates_asset(SOURCES),
            workouts_accounted_check(SOURCES),
            funnel_within_bounds,
            dg.AssetSpec("fitrec_workouts"),
            dg.AssetSpec("apple_running_workouts"),
        ],
        resources=lake_resources(str(lake), activity_files=str(sample.path)),
    )

    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        "activity_files_workouts_schema": True,
        "activity_files_quarantine_schema": True,
        "activity_files_accounted": True,
        "workouts_accounted": True,
        "funnel_within_bounds": True,
    }
    quarantine = pl.read_parquet(lake / "activity_files_quarantine.parquet")
    assert quarantine["file"].to_list() == [str(sample.corrupt_file.resolve())]
    bronze = pl.read_parquet(lake / "activity_files_workouts.parquet")
    assert sorted(bronze["sport"]) == ["ride", "run", "run"]
    clean = pl.read_parquet(lake / "workouts_clean.parquet")
    runs = bronze.filter(pl.col("sport") == "run")["workout_id"].sort()
    assert clean.filter(pl.col("source") == "activity_files")["workout_id"].sort().equals(runs)
    rejected = pl.read_parquet(lake / "workouts_rejected.parquet")
    assert rejected.select("source", "gate", "reason").rows() == [
        ("activity_files", "sport", "sport is 'ride'")
    ]
    metadata = result.asset_materializations_for_node("activity_files_bronze")[0].metadata
    assert (metadata["activity_files"].value, metadata["skipped_files"].value) == (4, 1)


def test_cli_simulate_activity_files(tmp_path: Path):
    out = tmp_path / "files"
    result = CliRunner().invoke(
        app, ["simulate", "activity-files", "--runners", "1", "--runs", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 3 activities (2 runs)" in result.output
    assert sorted(p.name for p in (out / "runner_1").iterdir()) == ["activities", "activities.csv"]
    assert (tmp_path / "files.truth" / "latent_hr.parquet").is_file()


def test_a_file_without_speed_passes_the_schema_and_gating_derives_it(tmp_path: Path):
    """FIT records with positions but no speed: speed is null (not recorded) in the unified
    table, which the Workouts schema allows, and the gates complete it from positions."""
    records = [
        {
            "timestamp": T0 + 4 * i,
            "position_lat": 60.0 + 1e-4 * i,
            "position_long": 24.0,
            "altitude": 20.0,
            "heart_rate": 120 + i // 5,
        }
        for i in range(150)
    ]
    write(tmp_path / "runner" / "no_speed.fit", fit_file(records))
    workouts, quarantine, _ = read_folder(tmp_path / "runner")
    assert quarantine.is_empty() and workouts["speed"].is_null().all()
    Workouts.validate(workouts)
    clean, rejected, _ = gate_batch(workouts)
    assert rejected.is_empty(), rejected["reason"].to_list()
    CleanWorkouts.validate(clean)
    assert clean["speed_source"].to_list() == ["derived"]
    assert 9.5 < clean["speed"].list.mean()[0] < 10.5  # 11.1 m per 4 s: 10 km/h
