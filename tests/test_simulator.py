"""Simulator contract: determinism, byte-faithful FitRec lines, logged artifacts, physiology."""

from __future__ import annotations

import ast
import gzip
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulator import (
    SAMPLE_PRESET,
    ArtifactRates,
    FitrecSummary,
    SimulatorConfig,
    latent_heart_rate,
    write_fitrec,
)
from simulator.fitrec import _joined

KEYS = [
    "longitude", "altitude", "latitude", "sport", "id", "heart_rate",
    "gender", "timestamp", "url", "userId", "speed",
]  # fmt: skip
NO_ARTIFACTS = ArtifactRates(0, 0, 0, 0, 0, 0)


def _records(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="ascii") as handle:
        return [ast.literal_eval(line) for line in handle]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> FitrecSummary:
    config = SimulatorConfig(speed_absent_share=0.5, truncated_line_share=0.0)
    return write_fitrec(tmp_path_factory.mktemp("fit") / "a.json", 4, 5, seed=3, config=config)


def test_summary_and_truth_layout(small: FitrecSummary) -> None:
    records = _records(small.path)
    assert small.lines == len(records) == 20
    assert small.running_lines == sum(r["sport"] == "run" for r in records)
    assert small.bytes == small.path.stat().st_size
    assert small.truth_dir == small.path.parent / "a.truth"
    users = pq.read_table(small.truth_dir / "users.parquet").to_pylist()
    assert len(users) == 4
    assert all(u["tau_off_s"] > u["tau_on_s"] and u["hr_max"] > u["hr_rest"] for u in users)
    assert {u["user_id"] for u in users} == {r["userId"] for r in records}


def test_lines_are_python_dict_reprs(small: FitrecSummary) -> None:
    lines = small.path.read_text(encoding="ascii").splitlines()
    for line in lines:
        record = ast.literal_eval(line)
        assert repr(record) == line
        assert list(record) == KEYS[: len(record)]
        assert isinstance(record["heart_rate"][0], int) and isinstance(record["timestamp"][0], int)
        assert record["url"] == (
            f"https://www.endomondo.com/users/{record['userId']}/workouts/{record['id']}"
        )
        assert 10**8 <= record["id"] < 10**9 and 10**6 <= record["userId"] < 10**8
        assert record["gender"] in {"male", "female", "unknown"}
    with_speed = ["'speed': [" in line for line in lines]
    assert any(with_speed) and not all(with_speed)


def test_500_points_and_increasing_timestamps(small: FitrecSummary) -> None:
    for record in _records(small.path):
        lengths = {len(v) for v in record.values() if isinstance(v, list)}
        assert lengths == {500}
        assert np.all(np.diff(record["timestamp"]) > 0)
    ids = [r["id"] for r in _records(small.path)]
    assert len(set(ids)) == len(ids)


def test_truth_matches_written_timestamps(small: FitrecSummary) -> None:
    truth = pq.read_table(small.truth_dir / "latent_hr.parquet").to_pylist()
    written = {r["id"]: r for r in _records(small.path)}
    assert len(truth) == len(written)
    for row in truth:
        record = written[row["workout_id"]]
        assert row["timestamp"] == record["timestamp"] and row["sport"] == record["sport"]
        assert row["user_id"] == record["userId"]


def test_deterministic_bytes_and_truth(tmp_path: Path) -> None:
    a = write_fitrec(tmp_path / "a.json", 3, 4, seed=7)
    b = write_fitrec(tmp_path / "b" / "b.json", 3, 4, seed=7)
    c = write_fitrec(tmp_path / "c.json", 3, 4, seed=8)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.path.read_bytes() != c.path.read_bytes()
    for name in ("latent_hr", "artifacts", "users"):
        left = pq.read_table(a.truth_dir / f"{name}.parquet")
        assert left.equals(pq.read_table(b.truth_dir / f"{name}.parquet"))


def test_gzip_output_is_the_same_text(tmp_path: Path) -> None:
    plain = write_fitrec(tmp_path / "p.json", 2, 3, seed=1)
    packed = write_fitrec(tmp_path / "g.json.gz", 2, 3, seed=1)
    assert packed.truth_dir.name == "g.truth"
    assert gzip.decompress(packed.path.read_bytes()) == plain.path.read_bytes()
    assert packed.bytes < plain.bytes


def test_float_formatting_matches_repr() -> None:
    values = np.array([[1.0, -0.0, 5e-05, 0.0001, 123.4, -3.25, 0.1 + 0.2, 1e15]])
    text = _joined(values).item()
    assert repr(ast.literal_eval(text)) == text
    assert text == "[1.0, 0.0, 0.0, 0.0001, 123.4, -3.25, 0.30000000000000004, 1000000000000000.0]"


def _artifact_run(tmp_path: Path, kind: str) -> tuple[list[dict], dict, dict]:
    config = SimulatorConfig(artifacts=replace(NO_ARTIFACTS, **{kind: 1.0}))
    summary = write_fitrec(tmp_path / f"{kind}.json", 3, 4, seed=11, config=config)
    log = pq.read_table(summary.truth_dir / "artifacts.parquet").to_pylist()
    truth = pq.read_table(summary.truth_dir / "latent_hr.parquet").to_pylist()
    written = {r["id"]: r for r in _records(summary.path)}
    latent = {r["workout_id"]: np.asarray(r["latent_hr"]) for r in truth}
    return log, written, latent


@pytest.mark.parametrize(
    "kind", ["dropout", "spike", "flatline", "cadence_lock", "offset", "out_of_range"]
)
def test_artifact_log_matches_written_hr(tmp_path: Path, kind: str) -> None:
    log, written, latent = _artifact_run(tmp_path, kind)
    on_foot = {"run", "walk", "hiking", "orienteering"}
    expected = {i for i, r in written.items() if kind != "cadence_lock" or r["sport"] in on_foot}
    assert {e["workout_id"] for e in log} == expected and len(log) == len(expected)
    for entry in log:
        start, end = entry["start_index"], entry["end_index"]
        assert 0 <= start < end <= 500 and entry["kind"] == kind
        hr = np.asarray(written[entry["workout_id"]]["heart_rate"][start:end])
        gap = hr - latent[entry["workout_id"]][start:end]
        if kind == "dropout":
            assert np.all(hr == 0)
        elif kind == "out_of_range":
            assert np.all((hr < 30) | (hr > 230)) and np.all(hr == entry["magnitude"])
        elif kind == "flatline":
            assert 20 <= end - start <= 80 and np.all(hr == entry["magnitude"])
        elif kind == "spike":
            assert end - start <= 3 and 20 <= entry["magnitude"] <= 60 and np.all(gap > 5)
        elif kind == "cadence_lock":
            assert np.all((hr >= 150) & (hr <= 185))
        else:
            assert 10 <= abs(entry["magnitude"]) <= 40
            assert abs(gap.mean() - entry["magnitude"]) < 6


def test_no_artifacts_keeps_hr_near_latent(tmp_path: Path) -> None:
    summary = write_fitrec(tmp_path / "clean.json", 2, 3, seed=5, config=SimulatorConfig(
        artifacts=NO_ARTIFACTS))  # fmt: skip
    assert pq.read_table(summary.truth_dir / "artifacts.parquet").num_rows == 0
    truth = pq.read_table(summary.truth_dir / "latent_hr.parquet").to_pylist()
    written = {r["id"]: r for r in _records(summary.path)}
    for row in truth:
        gap = np.asarray(written[row["workout_id"]]["heart_rate"]) - np.asarray(row["latent_hr"])
        assert np.abs(gap).max() < 40 and abs(gap.mean()) < 5


@settings(max_examples=60, deadline=None)
@given(
    speed=arrays(np.float64, (2, 120), elements=st.floats(0, 40)),
    grade=arrays(np.float64, (2, 120), elements=st.floats(-0.3, 0.3)),
    rest=st.floats(40, 80),
    reserve=st.floats(60, 150),
    vo2max=st.floats(30, 80),
    tau_on=st.floats(5, 60),
    tau_off=st.floats(5, 120),
    drift=st.floats(0, 20),
    day_offset=st.floats(-10, 10),
)
def test_latent_hr_stays_between_rest_and_max(
    speed, grade, rest, reserve, vo2max, tau_on, tau_off, drift, day_offset
) -> None:
    hr = latent_heart_rate(
        speed, grade, 1.0, rest, rest + reserve, vo2max, tau_on, tau_off,
        drift_rate=drift, day_offset=day_offset,
    )  # fmt: skip
    assert hr.shape == speed.shape
    assert np.all(hr >= rest) and np.all(hr <= rest + reserve)


@pytest.mark.parametrize(("before", "after", "tau"), [(6.0, 10.0, 30.0), (10.0, 6.0, 70.0)])
def test_kinetics_cover_63_percent_after_tau(before: float, after: float, tau: float) -> None:
    speed = np.r_[np.full(600, before), np.full(600, after)]
    hr = latent_heart_rate(speed, np.zeros_like(speed), 1.0, 60, 190, 50, 30.0, 70.0)
    start, end = hr[599], hr[-1]
    covered = (hr[599 + int(tau)] - start) / (end - start)
    assert covered == pytest.approx(1 - np.exp(-1), abs=0.01)
    assert abs(hr[599 + int(tau) // 2] - start) < abs(hr[599 + int(tau)] - start)


def test_fitter_users_run_faster_and_fitness_drifts(tmp_path: Path) -> None:
    summary = write_fitrec(tmp_path / "f.json", 30, 6, seed=2)
    truth = pq.read_table(summary.truth_dir / "latent_hr.parquet").to_pylist()
    runs = [r for r in truth if r["sport"] == "run"]
    fitness = np.array([r["vo2max"] for r in runs])
    pace = np.array([np.median(r["speed_kmh"]) for r in runs])
    assert np.corrcoef(fitness, pace)[0, 1] > 0.3
    by_user: dict[int, set[float]] = {}
    for row in truth:
        by_user.setdefault(row["user_id"], set()).add(round(row["vo2max"], 6))
    assert all(len(values) > 1 for values in by_user.values())


def test_sample_preset_is_small() -> None:
    assert SAMPLE_PRESET == {"users": 50, "workouts_per_user": 20}


def test_truncated_lines_are_cut_short_and_logged(tmp_path: Path) -> None:
    config = SimulatorConfig(truncated_line_share=0.3)
    summary = write_fitrec(tmp_path / "t.json", 3, 10, seed=5, config=config)
    lines = summary.path.read_text(encoding="ascii").splitlines()
    truth = pq.read_table(summary.truth_dir / "latent_hr.parquet").to_pylist()
    assert [row["line_number"] for row in truth] == list(range(1, 31))
    flagged = {row["line_number"] for row in truth if row["line_truncated"]}
    assert 0 < len(flagged) < 30
    for number, line in enumerate(lines, start=1):
        if number in flagged:
            with pytest.raises(SyntaxError):
                ast.literal_eval(line)
        else:
            assert ast.literal_eval(line)["id"] == truth[number - 1]["workout_id"]
