"""Apple Health export writer: layout, determinism, Apple's formatting, clocks, densities, GPX."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import gpxpy
import numpy as np
import polars as pl
import pytest
from lxml import etree
from typer.testing import CliRunner

from pipelines.cli import app
from simulator import AppleExportSummary, write_apple_exports
from simulator.apple_dtd import dtd
from simulator.apple_format import fixed, sig6
from simulator.apple_time import route_names, stamps, zone_offsets

HK = "HKQuantityTypeIdentifier"
GPX_NS = "{http://www.topografix.com/GPX/1/1}"
STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) ([+-])(\d{2})(\d{2})$")
NEW_ERA = datetime(2021, 1, 1, tzinfo=UTC)  # first WatchEra with dense sampling
# Old and new watch eras, and every DST change of the home zones except Sydney's October one.
SPAN = {"start": date(2020, 10, 15), "end": date(2021, 4, 10)}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> list[AppleExportSummary]:
    out = tmp_path_factory.mktemp("apple")
    return write_apple_exports(out, users=2, seed=5, runs_per_week=2, background_scale=0.01, **SPAN)


def _parse(summary: AppleExportSummary) -> etree._Element:
    with zipfile.ZipFile(summary.export_path) as archive:
        data = archive.read("apple_health_export/export.xml")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(data, parser)


@pytest.fixture(scope="module")
def parsed(exports: list[AppleExportSummary]) -> list[etree._Element]:
    return [_parse(s) for s in exports]


def _when(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")


def _epochs(texts: list[str]) -> np.ndarray:
    """Apple date strings to epoch seconds, vectorised."""
    parsed = pl.Series(texts, dtype=pl.String).str.to_datetime("%Y-%m-%d %H:%M:%S %z")
    return parsed.dt.epoch("s").to_numpy()


def _records(root: etree._Element, kind: str) -> pl.DataFrame:
    rows = [r.attrib for r in root.iterchildren("Record") if r.get("type") == kind]
    return pl.DataFrame([dict(r) for r in rows])


def _truth(summary: AppleExportSummary, name: str) -> pl.DataFrame:
    return pl.read_parquet(summary.truth_dir / f"{name}.parquet")


def test_zip_layout_and_summary(exports: list[AppleExportSummary]) -> None:
    for s in exports:
        assert s.export_path == s.truth_dir.parent / "export.zip"
        with zipfile.ZipFile(s.export_path) as archive:
            infos = archive.infolist()
        names = [i.filename for i in infos]
        assert "apple_health_export/export.xml" in names
        routes = [n for n in names if n.startswith("apple_health_export/workout-routes/")]
        assert len(routes) == s.routes == len(names) - 1 > 0
        pattern = re.compile(r"route_\d{4}-\d{2}-\d{2}_(1[0-2]|[1-9])\.[0-5]\d(am|pm)\.gpx")
        assert all(pattern.fullmatch(n.rsplit("/", 1)[1]) for n in routes)
        assert len({i.date_time for i in infos}) == 1  # fixed timestamps
        size = next(i.file_size for i in infos if i.filename.endswith("export.xml"))
        assert size == s.export_xml_bytes
        workouts = _truth(s, "workouts")
        assert workouts.height == s.workouts
        assert workouts["route_file"].drop_nulls().len() == s.routes
        runs = workouts.filter(pl.col("activity") == "HKWorkoutActivityTypeRunning")
        assert runs["indoor"].any() and runs.filter(~pl.col("indoor"))["route_file"].is_null().any()
        assert (workouts["paused_s"] > 0).any() and workouts["away"].any()
        assert {p.name for p in s.truth_dir.iterdir()} == {
            "latent_hr.parquet", "workouts.parquet", "user.parquet"
        }  # fmt: skip


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    span = {"start": date(2022, 9, 20), "end": date(2022, 10, 20), "runs_per_week": 3}
    a = write_apple_exports(tmp_path / "a", users=1, seed=3, background_scale=0.01, **span)[0]
    b = write_apple_exports(tmp_path / "b", users=1, seed=3, background_scale=0.01, **span)[0]
    c = write_apple_exports(tmp_path / "c", users=1, seed=4, background_scale=0.01, **span)[0]
    assert a.export_path.read_bytes() == b.export_path.read_bytes()
    for name in ("latent_hr", "workouts", "user"):
        path = f"{name}.parquet"
        assert (a.truth_dir / path).read_bytes() == (b.truth_dir / path).read_bytes()
    assert a.export_path.read_bytes() != c.export_path.read_bytes()
    # Cardio recovery records exist from watchOS 9 (September 2022) on.
    assert _records(_parse(a), f"{HK}HeartRateRecoveryOneMinute").height > 0


def test_export_parses_with_expected_types(
    exports: list[AppleExportSummary], parsed: list[etree._Element]
) -> None:
    for s, root in zip(exports, parsed, strict=True):
        assert root.tag == "HealthData" and root.get("locale") == "en_US"
        assert [c.tag for c in root[:2]] == ["ExportDate", "Me"]
        types = [r.get("type") for r in root.iterchildren("Record")]
        lookalike = {f"{HK}HeartRate{k}" for k in ("VariabilitySDNN",)} | {
            f"{HK}RestingHeartRate", f"{HK}WalkingHeartRateAverage"
        }  # fmt: skip
        other = {f"{HK}{k}" for k in ("StepCount", "DistanceWalkingRunning", "ActiveEnergyBurned")}
        assert lookalike | other | {f"{HK}HeartRate"} <= set(types)
        exact = [r for r in root.iterchildren("Record") if r.get("type") == f"{HK}HeartRate"]
        assert len(exact) == s.hr_records
        assert all(r.get("unit") == "count/min" for r in exact)
        assert all(r.get("startDate") == r.get("endDate") for r in exact)
        assert sum("HeartRate" in t for t in types) > s.hr_records  # the substring trap is real
        hrv = next(r for r in root.iterchildren("Record") if r.get("type").endswith("SDNN"))
        assert hrv.get("unit") == "ms" and hrv[0].tag == "HeartRateVariabilityMetadataList"
        assert re.fullmatch(r"\d{1,2}:\d{2}:\d{2}\.\d{2} [AP]M", hrv[0][0].get("time"))
        # Records inside correlations are also top-level records, as Apple documents.
        correlations = list(root.iterchildren("Correlation"))
        assert types.count(f"{HK}BloodPressureSystolic") == len(correlations)
        assert all(len(c.findall("Record")) == 2 for c in correlations)
        blocks = [t for i, t in enumerate(types) if i == 0 or types[i - 1] != t]
        assert len(blocks) == len(set(blocks))  # grouped by type
        tags = [c.tag for c in root[2:]]
        order = ["Record", "Correlation", "Workout", "ActivitySummary"]
        assert [t for i, t in enumerate(tags) if i == 0 or tags[i - 1] != t] == order


def test_file_references_exist_and_truth_matches_gpx(
    exports: list[AppleExportSummary], parsed: list[etree._Element]
) -> None:
    for s, root in zip(exports, parsed, strict=True):
        truth = _truth(s, "latent_hr")
        checked = 0
        with zipfile.ZipFile(s.export_path) as archive:
            names = set(archive.namelist())
            for workout in root.iterchildren("Workout"):
                ref = workout.find("WorkoutRoute/FileReference")
                if ref is None:
                    continue
                path = "apple_health_export" + ref.get("path")
                assert path in names
                text = archive.read(path).decode("utf-8")
                times = _gpx_times(text)
                assert np.all(np.diff(times) >= 1)
                start = _when(workout.get("startDate")).astimezone(UTC)
                rows = truth.filter(pl.col("workout_start") == start)
                if workout.get("workoutActivityType") != "HKWorkoutActivityTypeRunning":
                    assert rows.height == 0
                    continue
                assert rows["time"].dt.epoch("s").to_list() == times.tolist()
                for pause, resume in zip(
                    workout.findall("WorkoutEvent[@type='HKWorkoutEventTypePause']"),
                    workout.findall("WorkoutEvent[@type='HKWorkoutEventTypeResume']"),
                    strict=True,
                ):
                    a, b = (_when(e.get("date")).timestamp() for e in (pause, resume))
                    assert not np.any((times >= a) & (times < b))
                if checked < 2:  # gpxpy is slow: a couple of routes in full
                    checked += 1
                    points = gpxpy.parse(text).tracks[0].segments[0].points
                    assert [int(p.time.timestamp()) for p in points] == times.tolist()
                    speed = np.array([_extension(p, "speed") for p in points])
                    h_acc = np.array([_extension(p, "hAcc") for p in points])
                    assert np.median(np.abs(speed - rows["speed_mps"].to_numpy())) < 0.15
                    assert h_acc.min() >= 2 and h_acc.max() <= 10
        assert checked > 0


def _gpx_times(text: str) -> np.ndarray:
    stamps_ = re.findall(r"<time>([^<]+)</time>", text)[1:]  # the first is the export time
    parsed = pl.Series(stamps_, dtype=pl.String).str.to_datetime("%Y-%m-%dT%H:%M:%SZ")
    return parsed.dt.epoch("s").to_numpy()


def _extension(point: gpxpy.gpx.GPXTrackPoint, name: str) -> float:
    return float(next(e.text for e in point.extensions if e.tag.split("}")[-1] == name))


def test_gpx_extensions_live_in_the_gpx_namespace(exports: list[AppleExportSummary]) -> None:
    with zipfile.ZipFile(exports[0].export_path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".gpx"))
        root = ET.fromstring(archive.read(name))
    point = root.find(f"{GPX_NS}trk/{GPX_NS}trkseg/{GPX_NS}trkpt")
    assert point.find("extensions/speed") is None  # the research code's lookup finds nothing
    assert float(point.find(f"{GPX_NS}extensions/{GPX_NS}speed").text) >= 0
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", point.find(f"{GPX_NS}time").text)


def test_dates_follow_home_dst_and_the_trip(
    exports: list[AppleExportSummary], parsed: list[etree._Element]
) -> None:
    for s, root in zip(exports, parsed, strict=True):
        user = _truth(s, "user").row(0, named=True)
        home, trip = ZoneInfo(user["home_zone"]), ZoneInfo(user["trip_zone"])
        texts = [
            r.get(k)
            for r in root.iterchildren("Record", "Workout")
            for k in ("creationDate", "startDate", "endDate")
        ]
        assert all(STAMP.match(t) for t in texts[:1000])
        offsets = pl.Series(texts).str.slice(20).unique()
        assert offsets.str.contains(r"^[+-]\d{4}$").all()
        # One zoneinfo check per distinct (UTC hour, written offset): zones change on the hour.
        frame = pl.DataFrame({"epoch": _epochs(texts), "offset": pl.Series(texts).str.slice(20)})
        frame = frame.with_columns(hour=pl.col("epoch") // 3600).unique(["hour", "offset"])
        seen = {"home": set(), "trip": set()}
        for epoch, offset in frame.select("epoch", "offset").iter_rows():
            when = datetime.fromtimestamp(epoch, UTC)
            away = user["trip_start"] <= when < user["trip_end"]
            expected = when.astimezone(trip if away else home).utcoffset()
            sign = -1 if offset[0] == "-" else 1
            written = sign * (int(offset[1:3]) * 3600 + int(offset[3:]) * 60)
            assert written == expected.total_seconds(), (when, offset)
            if away:
                assert expected != when.astimezone(home).utcoffset()
            seen["trip" if away else "home"].add(written)
        assert len(seen["home"]) == 2 and seen["trip"]  # both sides of DST, and the trip
        workouts = _truth(s, "workouts")
        zone_key = "MetadataEntry[@key='HKTimeZone']"
        zones = [w.find(zone_key).get("value") for w in root.iter("Workout")]
        assert zones == workouts["time_zone"].to_list()
        assert set(workouts.filter(pl.col("away"))["time_zone"]) <= {user["trip_zone"]}


def test_heart_rate_density_by_watch_era(
    exports: list[AppleExportSummary], parsed: list[etree._Element]
) -> None:
    rates = {"old": [], "new": []}
    for s, root in zip(exports, parsed, strict=True):
        hr = _records(root, f"{HK}HeartRate")
        t = np.sort(_epochs(hr["startDate"].to_list()))
        for w in _truth(s, "workouts").iter_rows(named=True):
            a, b = w["start"].timestamp(), w["end"].timestamp()
            count = np.searchsorted(t, b) - np.searchsorted(t, a)
            rate = count / ((b - a) / 60)
            assert rate == pytest.approx(w["hr_per_min"], rel=0.02)
            rates["new" if w["start"] >= NEW_ERA else "old"].append(rate)
    old, new = np.array(rates["old"]), np.array(rates["new"])
    assert old.min() >= 0.3 and old.max() <= 3.5
    assert (old < 1).any() and ((old >= 1) & (old <= 5)).any()  # sparse and medium workouts
    assert new.min() >= 12


def test_record_lines_match_apple_byte_for_byte(
    exports: list[AppleExportSummary],
) -> None:
    s = exports[0]
    user = _truth(s, "user").row(0, named=True)
    with zipfile.ZipFile(s.export_path) as archive:
        lines = archive.read("apple_health_export/export.xml").decode("utf-8").splitlines()
    assert lines[0] == '<?xml version="1.0" encoding="UTF-8"?>'
    start = lines.index('<HealthData locale="en_US">')
    assert lines[1:start] == dtd().splitlines()
    sex = {"male": "Male", "female": "Female"}.get(user["sex"], "NotSet")
    assert lines[start + 2] == (
        f' <Me HKCharacteristicTypeIdentifierDateOfBirth="{user["birth_date"]}"'
        f' HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSex{sex}"'
        ' HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet"'
        ' HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"'
        ' HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>'
    )
    record = re.compile(
        rf' <Record type="{HK}HeartRate" sourceName="{user["first_name"]}\u2019s Apple Watch"'
        r' sourceVersion="(\d+\.\d+(?:\.\d+)?)" device="&lt;&lt;HKDevice: 0x[0-9a-f]{9}&gt;,'
        r" name:Apple Watch, manufacturer:Apple Inc\., model:Watch, hardware:Watch\d,\d,"
        r' software:\1&gt;" unit="count/min" creationDate="([^"]+)" startDate="([^"]+)"'
        r' endDate="\3" value="\d{2,3}"(/>|>)'
    )
    first = start + 3
    match = record.fullmatch(lines[first])
    assert match and STAMP.match(match.group(2)) and STAMP.match(match.group(3))
    assert match.group(1) == "7.0.1"  # watchOS 7 came in September 2020; October's update
    if match.group(4) == ">":
        assert re.fullmatch(
            r'  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="[012]"/>',
            lines[first + 1],
        )
        assert lines[first + 2] == " </Record>"
    assert lines[-1] == "</HealthData>"


def test_number_and_date_formatting() -> None:
    assert sig6(np.array([170.0, 8.7, 1.508512, 0.3694141, 114.1749, 0.0])).to_list() == [
        "170", "8.7", "1.50851", "0.369414", "114.175", "0"
    ]  # fmt: skip
    assert fixed(np.array([13.4049544, -74.006, -1e-9, 2.5]), 6).to_list() == [
        "13.404954", "-74.006000", "0.000000", "2.500000"
    ]  # fmt: skip
    berlin_dst = np.array([1711846799, 1711846800])  # 2024-03-31 01:00 UTC, clocks go forward
    assert stamps(berlin_dst, zone_offsets(berlin_dst, "Europe/Berlin")).to_list() == [
        "2024-03-31 01:59:59 +0100", "2024-03-31 03:00:00 +0200"
    ]  # fmt: skip
    sydney = np.array([1609971180])  # 2021-01-06 22:13 UTC = 09:13 AEDT next day
    assert stamps(sydney, zone_offsets(sydney, "Australia/Sydney")).item() == (
        "2021-01-07 09:13:00 +1100"
    )
    files, titles = route_names(np.array([1610125980, 1610140380]), np.array([3600, 3600]))
    assert files == ["route_2021-01-08_6.13pm.gpx", "route_2021-01-08_10.13pm.gpx"]
    assert titles == ["Route 2021-01-08 6:13pm", "Route 2021-01-08 10:13pm"]
    noon = int(datetime(2021, 1, 8, 12, 5, tzinfo=UTC).timestamp())
    assert route_names(np.array([noon]), np.array([0]))[0] == ["route_2021-01-08_12.05pm.gpx"]


def test_ios16_dtd_breaks_strict_parsers_but_not_the_body(tmp_path: Path) -> None:
    span = {"start": date(2022, 9, 20), "end": date(2022, 9, 30)}
    s = write_apple_exports(
        tmp_path, users=1, background_scale=0.01, zipped=False, ios16_dtd=True, **span
    )[0]
    assert s.export_path == tmp_path / "apple_user_01" / "apple_health_export"
    path = s.export_path / "export.xml"
    data = path.read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    with pytest.raises(etree.XMLSyntaxError) as error:
        etree.fromstring(data, parser)
    assert 150 <= error.value.lineno <= 160
    with pytest.raises(ET.ParseError):
        ET.fromstring(data)
    assert b"<!ENTITY" not in data
    root = etree.fromstring(data[data.index(b"<HealthData") :], parser)
    assert len(list(root.iterchildren("Record"))) > s.hr_records
    assert len(list((s.export_path / "workout-routes").iterdir())) == s.routes


def test_cli_writes_exports(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate", "apple", "--out", str(tmp_path), "--users", "1", "--seed", "2",
            "--start", "2023-05-01", "--end", "2023-05-10", "--runs-per-week", "3",
            "--background-scale", "0.01", "--unzipped",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "apple_user_01:" in result.output and "heart-rate records" in result.output
    assert (tmp_path / "apple_user_01" / "apple_health_export" / "export.xml").is_file()
    assert (tmp_path / "apple_user_01" / "export.truth" / "user.parquet").is_file()
