"""`pulselake predict` on tiny files made here, with a tiny checkpoint made here."""

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch
from typer.testing import CliRunner

from models.base import build_model
from models.checkpoint import load_checkpoint, save_checkpoint
from models.tensors import FEATURE_NAMES, Scaler
from models.train import TrainConfig, train
from pipelines.cli import app
from tests.activity_builders import GPX_TEMPLATE, T0, TCX_TEMPLATE, running_fit, tcx_point, write
from tests.training_builders import tensor_set

COLUMNS = ["time", "elapsed_s", "speed_kmh", "altitude_m", "predicted_hr", "measured_hr"]


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    """A checkpoint as written before grids were saved (no "grid"): served on the default
    8 s grid."""
    torch.manual_seed(0)
    path = tmp_path / "model.pt"
    scaler = Scaler(
        FEATURE_NAMES, np.full(len(FEATURE_NAMES), 1.0), np.full(len(FEATURE_NAMES), 10.0)
    )
    provenance = {
        "feature_names": list(FEATURE_NAMES),
        "scaler": scaler.to_dict(),
        "users": ["activity_files/anna"],
    }
    save_checkpoint(path, build_model("linear", n_users=1), provenance)
    return path


def gpx_run(seconds: int, step: int = 4) -> str:
    """A northward run at ~10 km/h with heart rate on every other point, no speed recorded."""
    points = "\n".join(
        f'<trkpt lat="{52.5 + k * 2.7778 / 111_320:.7f}" lon="13.4"><ele>{30 + k / 60:.2f}</ele>'
        f"<time>{np.datetime_as_string(np.datetime64(T0 + k, 's'))}Z</time>"
        + (
            f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{130 + k // 20}</gpxtpx:hr>"
            "</gpxtpx:TrackPointExtension></extensions>"
            if k % (2 * step) == 0
            else ""
        )
        + "</trkpt>"
        for k in range(0, seconds + 1, step)
    )
    return GPX_TEMPLATE.format(sport="running", points=points)


def invoke(*args: str):
    return CliRunner().invoke(app, ["predict", *map(str, args)])


def printed_errors(output: str) -> tuple[float, float]:
    found = re.search(r"MAE (\d+\.\d\d) bpm, RMSE (\d+\.\d\d) bpm", output)
    return float(found.group(1)), float(found.group(2))


def test_gpx_prediction_writes_csv_and_png_and_prints_its_errors(tmp_path, checkpoint):
    run = write(tmp_path / "morning.gpx", gpx_run(600))
    out = tmp_path / "out"

    result = invoke(run, "--model", checkpoint, "--out", out)

    assert result.exit_code == 0, result.output
    table = pl.read_csv(out / "morning.csv")
    assert table.columns == COLUMNS
    assert table.height == 600 // 8 + 1
    assert table["elapsed_s"].to_list() == list(range(0, 601, 8))
    assert table["time"][:2].to_list() == ["2023-11-14T22:13:20Z", "2023-11-14T22:13:28Z"]
    assert (out / "morning.png").read_bytes()[:4] == b"\x89PNG"
    # speed came from positions, as the gates derive it: ~10 km/h once the runner is moving
    assert table["speed_kmh"][0] == 0.0
    assert table["speed_kmh"][10:].is_between(9.9, 10.1).all()
    measured = table.filter(pl.col("measured_hr").is_not_null())
    diff = measured["predicted_hr"] - measured["measured_hr"]
    mae, rmse = printed_errors(result.output)
    assert mae == round(diff.abs().mean(), 2)
    assert rmse == round((diff**2).mean() ** 0.5, 2)
    assert f"over {measured.height} steps" in result.output


def test_a_model_trained_on_a_10_s_grid_is_served_on_a_10_s_grid(tmp_path):
    tensors = tensor_set(tmp_path / "tensors", step_seconds=10.0)
    model = tmp_path / "model.pt"
    train(tensors, model, TrainConfig(model="linear", epochs=1, batch_size=8))
    _, saved = load_checkpoint(model)
    assert saved["grid"] == {"step_seconds": 10.0, "grid_hr_max_gap_s": 20.0}
    run = write(tmp_path / "morning.gpx", gpx_run(600))

    result = invoke(run, "--model", model, "--out", tmp_path / "out")

    assert result.exit_code == 0, result.output
    table = pl.read_csv(tmp_path / "out" / "morning.csv")
    assert table["elapsed_s"].to_list() == list(range(0, 601, 10))
    assert table["time"][:2].to_list() == ["2023-11-14T22:13:20Z", "2023-11-14T22:13:30Z"]


def test_tcx_fit_and_csv_files_and_the_known_user(tmp_path, checkpoint):
    points = "\n".join(
        tcx_point(f"2023-11-14T22:{13 + k // 60:02d}:{k % 60:02d}Z", 52.5, 13.4, 30, 140, 2.5)
        for k in range(0, 240, 5)
    )
    files = [
        write(
            tmp_path / "a.tcx",
            TCX_TEMPLATE.format(sport="Running", start="2023-11-14T22:13:00Z", points=points),
        ),
        write(tmp_path / "b.fit.gz", running_fit(minutes=3)),
        write(
            tmp_path / "c.csv",
            "time,speed,altitude\n" + "".join(f"{T0 + k},9.5,40\n" for k in range(0, 300, 10)),
        ),
    ]
    for path, rows in zip(files, (235 // 8 + 1, 180 // 8 + 1, 290 // 8 + 1), strict=True):
        result = invoke(path, "--model", checkpoint, "--out", tmp_path / "out", "--user", "x/y")
        assert result.exit_code == 0, result.output
        table = pl.read_csv(tmp_path / "out" / f"{path.name.split('.')[0]}.csv")
        assert table.height == rows
    assert table["speed_kmh"].unique().to_list() == [9.5]
    assert table["measured_hr"].null_count() == rows  # the CSV measured no heart rate
    assert "MAE - bpm" in result.output


def test_known_user_changes_the_prediction_only_for_per_user_models(tmp_path, checkpoint):
    run = write(tmp_path / "r.gpx", gpx_run(300))
    for user, out in ((None, "unknown"), ("activity_files/anna", "anna")):
        args = [run, "--model", checkpoint, "--out", tmp_path / out]
        assert invoke(*args, *(["--user", user] if user else [])).exit_code == 0
    anna, unknown = (pl.read_csv(tmp_path / o / "r.csv") for o in ("anna", "unknown"))
    assert anna["predicted_hr"].equals(unknown["predicted_hr"])  # linear reads no user


def test_folder_mode_table_median_and_json(tmp_path, checkpoint):
    folder = tmp_path / "runs"
    write(folder / "a.gpx", gpx_run(600))
    write(folder / "sub" / "b.gpx", gpx_run(300))
    write(folder / "notes.txt", "not an activity")
    out = tmp_path / "out"

    table = invoke(folder, "--model", checkpoint, "--out", out)
    as_json = invoke(folder, "--model", checkpoint, "--out", out, "--json")

    assert table.exit_code == 0 and as_json.exit_code == 0, table.output + as_json.output
    rows = json.loads((out / "predictions.json").read_text())
    assert [(Path(r["file"]).name, r["minutes"]) for r in rows] == [("a.gpx", 10.0), ("b.gpx", 4.9)]
    assert json.loads(as_json.output) == rows
    maes = sorted(r["mae"] for r in rows)
    median = re.search(r"median over 2 files: MAE (\d+\.\d\d)", table.output)
    assert float(median.group(1)) == round((maes[0] + maes[1]) / 2, 2)
    assert sorted(p.name for p in out.iterdir()) == [
        "a.csv", "a.png", "b.csv", "b.png", "predictions.json"
    ]  # fmt: skip


def test_errors_name_the_file_and_exit_non_zero(tmp_path, checkpoint, monkeypatch):
    good = running_fit(minutes=3)
    cases = {
        write(tmp_path / "bad.fit", good[:50] + b"\x00" + good[51:]): "not a readable FIT file",
        write(tmp_path / "none.csv", "time,speed,altitude\n"): "no samples with a time stamp",
        write(tmp_path / "short.fit", running_fit(minutes=1)): "60 s long; at least 120 s",
    }
    for path, fragment in cases.items():
        result = invoke(path, "--model", checkpoint, "--out", tmp_path / "out")
        assert result.exit_code == 1
        assert f"error: {path}: " in result.output and fragment in result.output

    other = torch.load(checkpoint, weights_only=True) | {"feature_names": ["speed"]}
    torch.save(other, tmp_path / "other.pt")
    result = invoke(tmp_path / "short.fit", "--model", tmp_path / "other.pt")
    assert result.exit_code == 1
    assert (
        "other.pt: not a usable checkpoint" in result.output
        and "trained on features" in result.output
    )

    monkeypatch.setenv("PULSELAKE_LAKE", str(tmp_path / "empty_lake"))
    result = invoke(tmp_path / "short.fit")
    assert result.exit_code == 1
    assert "models/production/model.pt: run `make run`" in result.output
