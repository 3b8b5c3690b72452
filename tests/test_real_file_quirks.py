"""Files as users have them (issue 21 part 4): each quirk of real devices' files rebuilt here
with the FIT encoder and the TCX/GPX templates, never copied from a real file."""

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fit_tool.profile.profile_type import Sport

from assets.features.tensor_store import WindowConfig, plan
from assets.quality.gates import gate_batch
from assets.sources.activity_files.cleaning import clean_series
from assets.sources.activity_files.folder import gate_sport, read_folder
from assets.sources.activity_files.readers import read_activities, read_activity
from schemas.activity_files import ACTIVITY_SERIES
from simulator.activity_files import write_activity_files
from tests.activity_builders import (
    T0,
    fit_sessions,
    run_records,
    running_fit,
    tcx_activities,
    tcx_point,
    write,
)
from tests.test_predict_cli import checkpoint, gpx_run, invoke  # noqa: F401 (the fixture)


def samples(rows: list[tuple]) -> pl.DataFrame:
    """ACTIVITY_SERIES rows (timestamp, heart_rate, speed, altitude, latitude, longitude)."""
    return pl.DataFrame(rows, schema=ACTIVITY_SERIES, orient="row")


def tcx_points(start: int, seconds: int, hr: int = 140) -> str:
    times = (datetime.fromtimestamp(start + k, UTC) for k in range(0, seconds, 5))
    return "\n".join(
        tcx_point(t.strftime("%Y-%m-%dT%H:%M:%SZ"), 52.5 + k * 1.4e-4, 13.4, 30, hr, 2.8)
        for k, t in enumerate(times)
    )


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# 1. One bad file never stops the others.


def test_a_broken_file_among_good_ones_is_listed_and_the_good_ones_predicted(
    tmp_path,
    checkpoint,  # noqa: F811
):
    folder = tmp_path / "runs"
    good = running_fit(minutes=4)
    write(folder / "a.gpx", gpx_run(600))
    write(folder / "b.fit", good)
    write(folder / "broken.fit", good[:50] + b"\x00" + good[51:])
    write(folder / "short.fit", running_fit(minutes=1))
    out = tmp_path / "out"

    result = invoke(folder, "--model", checkpoint, "--out", out, "--json")

    assert result.exit_code == 0, result.output
    assert f"error: {folder / 'broken.fit'}: not a readable FIT file" in result.output
    assert f"error: {folder / 'short.fit'}: 60 s long" in result.output
    rows = json.loads((out / "predictions.json").read_text())
    assert [Path(r["file"]).name for r in rows] == ["a.gpx", "b.fit"]

    strict = invoke(folder, "--model", checkpoint, "--out", out, "--strict")
    assert strict.exit_code == 1 and "broken.fit: not a readable FIT file" in strict.output

    nothing = tmp_path / "nothing"
    write(nothing / "broken.fit", good[:50] + b"\x00" + good[51:])
    none = invoke(nothing, "--model", checkpoint, "--out", out)
    assert none.exit_code == 1 and "nothing in" in none.output


def test_files_sharing_a_stem_write_distinct_outputs(tmp_path, checkpoint):  # noqa: F811
    folder = tmp_path / "runs"
    write(folder / "anna" / "Standard.fit.gz", running_fit(minutes=3))
    write(folder / "anna" / "Standard.gpx", gpx_run(300))
    write(folder / "ben" / "Standard.gpx", gpx_run(300))
    result = invoke(folder, "--model", checkpoint, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.csv")) == [
        "Standard-fit.csv", "anna_Standard-gpx.csv", "ben_Standard-gpx.csv"
    ]  # fmt: skip


# 2. The polars panic: one-row frames concatenated, some rejected by the gates.


def test_gated_frames_of_concatenated_rows_can_be_planned(tmp_path):
    export = write_activity_files(tmp_path / "export", runners=1, runs_per_runner=4, seed=5)
    runner = next(p for p in export.path.iterdir() if p.is_dir())
    workouts, _, _ = read_folder(runner, workers=1)
    assert all(workouts[name].n_chunks() == 1 for name in workouts.columns)
    # one workout fails gate 1, so the gates filter a row out of the middle
    middle = workouts["workout_id"][1]
    workouts = workouts.with_columns(
        sport=pl.when(pl.col("workout_id") == middle).then(pl.lit("ride")).otherwise("sport")
    )
    clean, rejected, _ = gate_batch(workouts)
    assert middle in rejected["workout_id"].to_list() and clean.height >= 2
    assignment = clean.select("source", "workout_id", split=pl.lit("train"))
    planned = plan(clean.lazy(), assignment.lazy(), WindowConfig())
    assert planned["key"].to_list() == [f"activity_files/{w}" for w in clean["workout_id"]]


# 3. Missing altitude: a flat profile, said so.


def test_a_run_without_altitude_is_predicted_flat_and_kept_by_the_source(tmp_path, checkpoint):  # noqa: F811
    records = [{k: v for k, v in r.items() if k != "enhanced_altitude"} for r in run_records(5)]
    path = write(tmp_path / "runner" / "pod.fit", fit_sessions([(records, Sport.RUNNING)]))
    out = tmp_path / "out"

    result = invoke(path, "--model", checkpoint, "--out", out, "--json")

    assert result.exit_code == 0, result.output
    assert "note: " in result.output and "flat profile" in result.output
    assert json.loads((out / "predictions.json").read_text())[0]["altitude_missing"] is True
    assert pl.read_csv(out / "pod.csv")["altitude_m"].unique().to_list() == [0.0]
    workouts, quarantine, _ = read_folder(tmp_path / "runner", workers=1)
    assert quarantine.is_empty() and workouts["altitude"][0].unique().to_list() == [0.0]
    clean, _, _ = gate_batch(workouts)
    assert clean.height == 1


# 4. Sports as real files name them.


@pytest.mark.parametrize(
    ("declared", "speed", "sport"),
    [("9", None, "run"), ("trail_running", None, "run"), ("treadmill_running", None, "run"),
     ("Run", None, "run"), ("running", 25.0, "run"), ("generic", 9.5, "run"),
     ("generic", 25.0, "generic"), (None, 10.0, "run"), (None, 4.0, None),
     ("Biking", 10.0, "biking"), ("1", None, "1")],
)  # fmt: skip
def test_running_however_named_and_other_sports_kept(declared, speed, sport):
    assert gate_sport(declared, speed) == sport


def test_fit_generic_sport_at_running_speed_is_a_run(tmp_path):
    path = write(tmp_path / "me" / "g.fit", fit_sessions([(run_records(5), Sport.GENERIC)]))
    workouts, _, _ = read_folder(tmp_path / "me", workers=1)
    assert read_activity(path).sport == "generic" and workouts["sport"].to_list() == ["run"]


# 5. Several activities in one file.


def test_several_activities_in_a_tcx_and_sessions_in_a_fit(tmp_path, checkpoint):  # noqa: F811
    day = 86_400
    tcx = tcx_activities(
        *(("Running", iso(T0 + k * day), tcx_points(T0 + k * day, 300)) for k in range(3))
    )
    multisport = (
        tcx_activities(
            ("Biking", iso(T0), tcx_points(T0, 300, hr=110)),
            ("Running", iso(T0 + 400), tcx_points(T0 + 400, 600)),
        )
        .replace("<Activities>", "<Activities><MultiSportSession>")
        .replace("</Activities>", "</MultiSportSession></Activities>")
    )
    sessions = [(run_records(5), Sport.RUNNING), (run_records(4, t0=T0 + 3600), Sport.RUNNING)]
    folder = tmp_path / "me"
    write(folder / "three.tcx", tcx)
    write(folder / "multisport.tcx.gz", multisport)
    write(folder / "two.fit", fit_sessions(sessions))

    assert [len(read_activities(folder / n)) for n in ("three.tcx", "two.fit")] == [3, 2]
    workouts, _, _ = read_folder(folder, workers=1)
    assert sorted(workouts["workout_id"]) == [
        "multisport.tcx.gz#1", "multisport.tcx.gz#2", "three.tcx#1", "three.tcx#2",
        "three.tcx#3", "two.fit#1", "two.fit#2",
    ]  # fmt: skip
    _, rejected, _ = gate_batch(workouts)
    assert rejected.filter(pl.col("gate") == "sport")["workout_id"].to_list() == [
        "multisport.tcx.gz#1"
    ]

    result = invoke(folder, "--model", checkpoint, "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    files = [r["file"] for r in json.loads((tmp_path / "out" / "predictions.json").read_text())]
    assert [Path(f).name for f in files] == [
        "multisport.tcx.gz#2", "three.tcx#1", "three.tcx#2", "three.tcx#3", "two.fit#1",
        "two.fit#2",
    ]  # fmt: skip
    assert "multisport.tcx.gz#1: left out, its sport is 'biking'" in result.output


# 6. Glitches, cleaned once for training and prediction.


def test_altitude_sentinels_position_jumps_and_speed_spikes_are_cleaned():
    rows = [(T0 + k, 140.0, 10.0, 300.0 + k / 10, 52.5 + k * 2.5e-5, 13.4) for k in range(0, 60)]
    rows[0:3] = [(T0 + k, 140.0, 10.0, 0.0, None, None) for k in range(3)]  # before the fix
    rows[20] = (T0 + 20, 140.0, 10.0, -500.0, 52.5 + 20 * 2.5e-5, 13.4)  # TomTom's sentinel
    rows[30] = (T0 + 30, 140.0, 10.0, 303.0, 52.6, 13.4)  # 11 km away and back
    rows[40] = (T0 + 40, 140.0, 120.0, 304.0, 52.5 + 40 * 2.5e-5, 13.4)  # a speed spike
    series, notes = clean_series(samples(rows))
    assert series["altitude"].min() > 299 and series["altitude"][20] == pytest.approx(302, 0.01)
    assert series["latitude"].null_count() == 4 and series["latitude"][30] is None
    assert series["latitude"][31] is not None
    assert series["speed"][40] is None and series["speed"].null_count() == 1
    assert len(notes) == 3 and series.schema == ACTIVITY_SERIES


def test_predictions_are_clipped_to_a_heart_rate(tmp_path, checkpoint, monkeypatch):  # noqa: F811
    import models.predict

    monkeypatch.setattr(
        models.predict, "predict_sequence", lambda _m, _s, x, *_: np.full(len(x), 900.0)
    )
    result = invoke(write(tmp_path / "r.gpx", gpx_run(300)), "--model", checkpoint, "--out",
                    tmp_path / "out")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pl.read_csv(tmp_path / "out" / "r.csv")["predicted_hr"].max() == 230.0


# 7. Upper-case extensions, smart recording, a clock that jumps.


def test_upper_case_smart_recording_and_a_clock_jump(tmp_path, checkpoint):  # noqa: F811
    rng = np.random.default_rng(1)
    seconds = np.cumsum(rng.integers(1, 9, 120))  # smart recording: 1-8 s apart
    records = [
        r | {"timestamp": T0 + int(s)} for r, s in zip(run_records(20, 1), seconds, strict=False)
    ]
    jumped = run_records(2, 1)[:30] + [
        r | {"timestamp": r["timestamp"] + 20 * 86_400} for r in run_records(10, 1)[30:]
    ]
    write(tmp_path / "runs" / "SMART.FIT.GZ", fit_sessions([(records, Sport.RUNNING)]))
    write(tmp_path / "runs" / "jump.fit", fit_sessions([(jumped, Sport.RUNNING)]))

    activity = read_activity(tmp_path / "runs" / "jump.fit")
    assert activity.series.height == 601 - 30 and "clock jumps by +480.0 h" in activity.notes[0]
    result = invoke(tmp_path / "runs", "--model", checkpoint, "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "out" / "predictions.json").read_text())
    assert [(Path(r["file"]).name, r["minutes"] < 11) for r in rows] == [
        ("SMART.FIT.GZ", True), ("jump.fit", True)
    ]  # fmt: skip


def test_personalize_lists_unreadable_files_and_strict_stops_at_the_first(tmp_path):
    from typer.testing import CliRunner

    from pipelines.cli import app

    base = write(tmp_path / "base.pt", b"not read before the files are")
    good = running_fit(minutes=3)
    folder = tmp_path / "anna"
    write(folder / "broken.fit", good[:50] + b"\x00" + good[51:])
    args = ["personalize", str(folder), "--base", str(base), "--out", str(tmp_path / "m.pt")]

    nothing = CliRunner().invoke(app, args)
    strict = CliRunner().invoke(app, [*args, "--strict"])

    assert nothing.exit_code == 1 and "skipped" in nothing.output
    assert "nothing in" in nothing.output
    assert strict.exit_code == 1 and "broken.fit: not a readable FIT file" in strict.output
    assert "skipped" not in strict.output


# 8. A foot pod without GPS: speed from the recorded distance.


def pod_points(rows: list[tuple[int, float]], hr: int = 140) -> str:
    """Forerunner 405 style trackpoints: time, <DistanceMeters>, heart rate; no position,
    altitude or speed."""
    return "\n".join(
        f"    <Trackpoint><Time>{iso(t)}</Time><DistanceMeters>{d}</DistanceMeters>"
        f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm></Trackpoint>"
        for t, d in rows
    )


def test_a_foot_pod_tcx_and_fit_get_speed_from_their_distance(tmp_path, checkpoint):  # noqa: F811
    from assets.sources.activity_files.formats import parse_fit, parse_tcx

    # 10 m in 3 s = 12 km/h; a repeated second gets none; 10 m in 4 s = 9 km/h; backwards: 0
    rows = [(T0, 0.0), (T0 + 3, 10.0), (T0 + 6, 20.0), (T0 + 6, 21.0), (T0 + 10, 31.0),
            (T0 + 12, 25.0), (T0 + 15, 35.0)]  # fmt: skip
    wanted = [None, 12.0, 12.0, None, 9.0, 0.0, 12.0]
    tcx = tcx_activities(("Running", iso(T0), pod_points(rows)))
    (parsed,) = parse_tcx(tcx.encode())
    assert parsed.samples["speed"].to_list() == pytest.approx(wanted)
    assert parsed.samples["latitude"].null_count() == len(rows)

    records = [{"timestamp": t, "distance": d, "heart_rate": 140} for t, d in rows]
    (fit,) = parse_fit(fit_sessions([(records, Sport.RUNNING)]))
    assert fit.samples["speed"].to_list() == pytest.approx(wanted)
    # a recorded speed is kept
    (kept,) = parse_fit(fit_sessions([([r | {"speed": 2.0} for r in records], Sport.RUNNING)]))
    assert kept.samples["speed"].to_list() == pytest.approx([7.2] * len(rows))

    run = [(T0 + t, t * 10 / 3) for t in range(0, 601, 3)]
    path = write(tmp_path / "pod.tcx", tcx_activities(("Running", iso(T0), pod_points(run))))
    activity = read_activity(path)
    assert activity.series["speed"].drop_nulls().to_list() == pytest.approx([12.0] * 200)
    result = invoke(path, "--model", checkpoint, "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    assert "neither speed nor positions" not in result.output
    speeds = pl.read_csv(tmp_path / "out" / "pod.csv")["speed_kmh"].to_list()
    assert speeds[1:] == pytest.approx([12.0] * (len(speeds) - 1))  # the first step has none
