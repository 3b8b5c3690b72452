"""Personalisation from a runner's own files: time-ordered assignment, and `pulselake
personalize` fine-tuning a base checkpoint on a simulated Strava-like export."""

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from assets.personalize.runner import assign_by_time
from models.checkpoint import load_checkpoint
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
