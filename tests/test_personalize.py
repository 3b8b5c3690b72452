"""Personalisation from a runner's own files: time-ordered assignment, each family's attempts,
the base kept when nothing beats it on validation, and `pulselake personalize` on a simulated
Strava-like export."""

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch
from typer.testing import CliRunner

from assets.personalize.runner import assign_by_time, personalize_workouts
from assets.personalize.strategies import Attempt, Finetuning, attempts, with_runner_mean
from assets.sources.activity_files.folder import read_folder
from models.base import UNKNOWN_USER
from models.checkpoint import load_checkpoint
from models.tensors import FEATURE_NAMES, load_split
from models.train import TrainConfig, train
from pipelines.cli import app
from simulator.activity_files import write_activity_files
from tests.training_builders import tensor_set


def test_later_workouts_score_and_the_latest_earlier_ones_select():
    clean = pl.DataFrame(
        {
            "source": "activity_files",
            "workout_id": [f"w{d}" for d in (5, 1, 9, 3, 2, 4, 8)],
            "start_time": [datetime(2024, 1, d, tzinfo=UTC) for d in (5, 1, 9, 3, 2, 4, 8)],
        }
    )
    found = assign_by_time(clean, datetime(2024, 1, 8, tzinfo=UTC))
    assert dict(found.select("workout_id", "split").iter_rows()) == {
        "w1": "train",
        "w2": "train",
        "w3": "train",
        "w4": "train",
        "w5": "val",  # the latest fifth of the five before the cut
        "w8": "test",
        "w9": "test",
    }
    with pytest.raises(ValueError, match="no usable workout on or after 2024-01-10"):
        assign_by_time(clean, datetime(2024, 1, 10, tzinfo=UTC))
    with pytest.raises(ValueError, match="3 usable workouts before 2024-01-04"):
        assign_by_time(clean, datetime(2024, 1, 4, tzinfo=UTC))


def test_personalize_fine_tunes_the_base_on_the_runners_earlier_workouts(tmp_path: Path):
    base = tmp_path / "base.pt"
    tensors = tensor_set(tmp_path / "tensors", step_seconds=10.0)  # not the default grid
    train(tensors, base, TrainConfig(model="linear", epochs=2))
    export = write_activity_files(tmp_path / "export", runners=1, runs_per_runner=8, seed=3)
    out = tmp_path / "personal" / "model.pt"
    runner = next(p for p in export.path.iterdir() if p.is_dir())
    result = CliRunner().invoke(
        app,
        ["personalize", str(runner), "--base", str(base), "--out", str(out), "--epochs", "3"],
    )
    assert result.exit_code == 0, result.output
    assert "MAE base" in result.output and "-> personalised" in result.output
    _, saved = load_checkpoint(out)
    _, original = load_checkpoint(base)
    assert saved["scaler"] == original["scaler"]  # inputs scaled as the base was trained
    assert saved["users"] == original["users"]
    assert saved["grid"] == original["grid"] == {"step_seconds": 10.0, "grid_hr_max_gap_s": 20.0}
    missing = CliRunner().invoke(
        app, ["personalize", str(runner), "--base", str(tmp_path / "no.pt"), "--out", str(out)]
    )
    assert missing.exit_code != 0 and "no.pt does not exist" in missing.output


def runner_workouts(tmp_path: Path) -> pl.DataFrame:
    export = write_activity_files(tmp_path / "export", runners=1, runs_per_runner=8, seed=3)
    runner = next(p for p in export.path.iterdir() if p.is_dir())
    return read_folder(runner)[0]


def test_user_mean_personalised_predicts_exactly_the_runners_mean(tmp_path: Path):
    tensors = tensor_set(tmp_path / "tensors")
    base, out = tmp_path / "base.pt", tmp_path / "personal.pt"
    train(tensors, base, TrainConfig(model="user_mean", epochs=1))
    split = load_split(tensors, "train")
    steps = np.asarray(split.heart_rate)[np.asarray(split.mask)]

    with_runner_mean(base, tensors, out)

    model, _ = load_checkpoint(out)
    predicted = model(torch.zeros(1, 3, len(FEATURE_NAMES)), torch.tensor([UNKNOWN_USER]))
    assert predicted[0].tolist() == pytest.approx([steps.mean()] * 3, abs=1e-4)
    assert attempts("user_mean", 10) == [Attempt("runner_mean")]


def test_personalisation_keeps_the_base_when_nothing_beats_it_on_validation(tmp_path: Path):
    base, out = tmp_path / "base.pt", tmp_path / "personal.pt"
    train(tensor_set(tmp_path / "tensors"), base, TrainConfig(model="linear", epochs=2))
    wrecking = Finetuning(learning_rate=50.0, epochs=1)  # a step no model survives

    found = personalize_workouts(runner_workouts(tmp_path), base, out, tune=wrecking)

    assert found["kept"] == "base" and found["val_mae"] == found["base_val_mae"]
    assert found["personalised_mae"] == found["base_mae"]
    assert out.read_bytes() == base.read_bytes()


def test_a_runners_row_is_fitted_and_kept_only_when_it_helps(tmp_path: Path):
    base, out = tmp_path / "base.pt", tmp_path / "personal.pt"
    train(tensor_set(tmp_path / "tensors"), base, TrainConfig(model="lstm_embedding", epochs=1))

    found = personalize_workouts(runner_workouts(tmp_path), base, out, epochs=1)

    tried = dict(entry.rsplit(" ", 1) for entry in found["tried"].split("; "))
    assert list(tried) == ["base", "runner_row", "fine_tune_0.001", "fine_tune_0.003"]
    lowest = min(float(mae) for mae in tried.values())  # as printed, to 0.01 bpm
    assert float(tried[found["kept"]]) == lowest and f"{found['val_mae']:.2f}" == f"{lowest:.2f}"
    assert (out.read_bytes() == base.read_bytes()) == (found["kept"] == "base")
