"""The training loop, checkpoints and the Pipes-launched training asset, on tiny tensor sets."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import torch

from assets.features.tensor_store import WindowConfig, write_tensors
from assets.personalize.defs import personalisation
from assets.training.defs import leaderboard, trained_model
from assets.training.families import FAMILIES
from assets.training.sweep import sweep
from models.batches import masked_loss
from models.checkpoint import load_checkpoint, save_checkpoint
from models.tensors import FEATURE_NAMES, load_split
from models.train import TrainConfig, train
from models.zoo import MODELS
from pipelines.resources import lake_resources
from schemas.tables import polars_schema
from schemas.workouts import CleanWorkouts
from tests.training_builders import tensor_set, workout


def test_masked_loss_ignores_masked_steps_exactly():
    prediction = torch.tensor([[100.0, 150.0, 0.0], [120.0, 130.0, 999.0]])
    target = torch.tensor([[110.0, 150.0, 0.0], [120.0, 126.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    assert masked_loss(prediction, target, mask, "mse").item() == pytest.approx((100 + 16) / 4)
    assert masked_loss(prediction, target, mask, "mae").item() == pytest.approx((10 + 4) / 4)
    huber = masked_loss(prediction, target, mask, "huber").item()
    assert huber == pytest.approx((9.5 + 3.5) / 4)


@pytest.mark.parametrize(
    ("field", "value"), [("loss", "l1"), ("schedule", "step"), ("precision", "fp16")]
)
def test_an_unknown_training_option_is_refused_by_name(field: str, value: str):
    with pytest.raises(ValueError, match=f"{field} must be"):
        TrainConfig(**{field: value})


def test_training_lowers_validation_error_and_keeps_the_best_checkpoint(tmp_path: Path):
    folder = tensor_set(tmp_path / "tensors")
    epochs = []
    config = TrainConfig(model="linear", epochs=12, batch_size=8, learning_rate=0.05, patience=20)
    result = train(folder, tmp_path / "model.pt", config, epochs.append)
    assert result.epochs == 12 and len(epochs) == 12
    assert epochs[-1]["val_mae"] < epochs[0]["val_mae"] / 2
    best = min(epochs, key=lambda e: e["val_mae"])
    assert (result.best_epoch, result.best_val_mae) == (best["epoch"], best["val_mae"])
    _, saved = load_checkpoint(tmp_path / "model.pt")
    assert saved["epoch"] == best["epoch"] and saved["val_mae"] == best["val_mae"]
    assert saved["split_scheme"] == "tensors"
    assert saved["users"] == [f"fitrec/{u}" for u in range(6)]
    assert len(saved["data_hash"]) == 64


def test_training_is_reproducible(tmp_path: Path):
    folder = tensor_set(tmp_path / "tensors")
    config = TrainConfig(model="lstm", hyper={"hidden": 8, "layers": 1}, epochs=2, batch_size=4)
    first = train(folder, tmp_path / "a.pt", config)
    second = train(folder, tmp_path / "b.pt", config)
    assert [e["val_mae"] for e in first.history] == [e["val_mae"] for e in second.history]


def test_checkpoint_round_trip_predicts_identically(tmp_path: Path):
    folder = tensor_set(tmp_path / "tensors")
    config = TrainConfig(model="gru", hyper={"hidden": 8, "layers": 1}, epochs=1, batch_size=4)
    train(folder, tmp_path / "model.pt", config)
    model, _ = load_checkpoint(tmp_path / "model.pt")
    again, _ = load_checkpoint(tmp_path / "model.pt")
    split = load_split(folder, "test")
    inputs, user = torch.from_numpy(split.inputs()), torch.full((len(split),), -1)
    with torch.no_grad():
        assert torch.equal(model(inputs, user), again(inputs, user))


def test_a_checkpoint_for_other_features_is_refused(tmp_path: Path):
    folder = tensor_set(tmp_path / "tensors")
    train(folder, tmp_path / "model.pt", TrainConfig(model="linear", epochs=1))
    model, saved = load_checkpoint(tmp_path / "model.pt")
    save_checkpoint(
        tmp_path / "other.pt", model, {**saved, "feature_names": list(reversed(FEATURE_NAMES))}
    )
    with pytest.raises(ValueError, match="trained on features"):
        load_checkpoint(tmp_path / "other.pt")


def test_checkpoints_keep_the_grid_and_fine_tuning_refuses_another(tmp_path: Path):
    train(tensor_set(tmp_path / "8s"), tmp_path / "base.pt", TrainConfig(model="linear", epochs=1))
    _, saved = load_checkpoint(tmp_path / "base.pt")
    assert saved["grid"] == {"step_seconds": 8.0, "grid_hr_max_gap_s": 20.0}
    tuned = TrainConfig(model="linear", epochs=1, init_from=str(tmp_path / "base.pt"))
    with pytest.raises(ValueError, match="trained on the grid"):
        train(tensor_set(tmp_path / "10s", step_seconds=10.0), tmp_path / "tuned.pt", tuned)


def test_trained_model_asset_runs_the_entry_point_through_pipes(lake: Path):
    tensor_set(lake / "tensors" / "user_disjoint")
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [
            dg.AssetSpec("user_disjoint_tensors"),
            dg.AssetSpec("temporal_tensors"),
            trained_model("linear"),
            sweep,
            leaderboard,
        ],
        instance=instance,
        partition_key="user_disjoint",
        resources=lake_resources(str(lake)),
        run_config={
            "ops": {
                "trained_linear": {"config": {"epochs": 3, "batch_size": 8}},
                "sweep": {"config": {**GRID, "families": ["linear"], "sequence_lengths": [8, 16]}},
            }
        },
    )
    assert result.success
    [event] = result.asset_materializations_for_node("trained_linear")
    metadata = event.metadata
    assert metadata["epochs"].value == 3 and metadata["parameters"].value == 15
    checkpoint = Path(metadata["checkpoint"].value)
    assert checkpoint == lake / "models" / "linear" / "user_disjoint" / result.run_id / "model.pt"
    assert checkpoint.is_file() and (checkpoint.parent / "curve.png").is_file()
    assert metadata["curve"].value.startswith("![linear training curve](data:image/png;base64,")
    logs = [
        e.user_message for e in instance.all_logs(result.run_id) if e.step_key == "trained_linear"
    ]
    epochs = [json.loads(m.split(": ", 1)[1]) for m in logs if m.startswith("epoch ")]
    assert [e["epoch"] for e in epochs] == [0, 1, 2]
    assert epochs[-1]["val_mae"] == pytest.approx(metadata["best_val_mae"].value, abs=5.0)
    board = pl.read_parquet(lake / "leaderboard.parquet")
    trained = board.filter(pl.col("checkpoint") == str(checkpoint))
    assert trained.select("family", "scheme", "best_val_mae", "epochs", "run_id").rows() == [
        ("linear", "user_disjoint", metadata["best_val_mae"].value, 3, result.run_id)
    ]
    assert json.loads(trained["config"][0])["epochs"] == 3
    swept = pl.read_parquet(lake / "sweep.parquet")
    assert swept.height == 2 and board.height == 3
    assert board["best_val_mae"].is_sorted()
    assert sorted(json.loads(c)["sequence_length"] for c in swept["config"]) == [8, 16]


GRID = {"learning_rates": [0.05], "batch_sizes": [8], "epochs": 2}


def test_sequence_length_cuts_windows_into_shorter_sequences(tmp_path: Path):
    folder = tensor_set(tmp_path / "tensors")
    config = TrainConfig(model="linear", epochs=1, sequence_length=8)
    assert train(folder, tmp_path / "m.pt", config).epochs == 1
    with pytest.raises(ValueError, match="does not divide"):
        train(folder, tmp_path / "m.pt", replace(config, sequence_length=5))


def test_every_model_family_has_a_training_asset():
    assert set(FAMILIES) == set(MODELS)


def personal_tensor_set(folder: Path) -> Path:
    """FitRec users 0-5 train and 6-7 validate; Apple user 50 trains on two workouts and
    validates on a third, later one (the temporal case)."""
    fitrec = [workout(10 * user + k, user) for user in range(8) for k in range(3)]
    apple = [workout(500 + k, 50) | {"source": "apple_health"} for k in range(3)]
    table = pl.DataFrame(fitrec + apple, schema=polars_schema(CleanWorkouts))
    split = pl.when(pl.col("source") == "apple_health").then(
        pl.when(pl.col("workout_id") == "502").then(pl.lit("val")).otherwise(pl.lit("train"))
    )
    split = split.when(pl.col("user_id").cast(pl.Int32) < 6).then(pl.lit("train"))
    assignment = table.lazy().select("source", "workout_id", split=split.otherwise(pl.lit("val")))
    write_tensors(table.lazy(), assignment, folder, WindowConfig(window=16, stride=16), {})
    return folder


def test_fine_tuning_starts_from_the_checkpoint_and_trains_only_what_it_is_told(tmp_path: Path):
    folder = personal_tensor_set(tmp_path / "temporal")
    base = TrainConfig(model="lstm", hyper={"hidden": 8, "layers": 1}, epochs=2, batch_size=4)
    train(folder, tmp_path / "population.pt", replace(base, users=["fitrec"]))
    population, saved = load_checkpoint(tmp_path / "population.pt")
    assert saved["users"] == [f"fitrec/{u}" for u in range(6)]
    tuned = replace(
        base,
        users=["apple_health/50"],
        init_from=str(tmp_path / "population.pt"),
        trainable=["head"],
        learning_rate=0.1,
    )
    train(folder, tmp_path / "tuned.pt", tuned)
    finetuned, saved = load_checkpoint(tmp_path / "tuned.pt")
    assert saved["users"] == [f"fitrec/{u}" for u in range(6)]  # the new person stays unknown
    before, after = population.state_dict(), finetuned.state_dict()
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed and all(name.startswith("head") for name in changed)


def test_personalisation_asset_compares_three_ways_per_wearer(lake: Path):
    personal_tensor_set(lake / "tensors" / "temporal")
    config = {"epochs": 2, "batch_size": 4, "finetune_epochs": 2, "hyper": '{"hidden": 8}'}
    result = dg.materialize(
        [dg.AssetSpec("temporal_tensors"), personalisation],
        resources=lake_resources(str(lake)),
        run_config={"ops": {"personalisation": {"config": config}}},
    )
    assert result.success
    out = lake / "models" / "personalisation" / result.run_id
    table = pl.read_parquet(out / "comparison.parquet")
    assert table["user"].to_list() == ["apple_health/50"]
    maes = table.select("population_val_mae", "finetuned_val_mae", "alone_val_mae").row(0)
    assert all(0 < mae < 100 for mae in maes)
    assert {p.name for p in out.rglob("*.pt")} == {"population.pt", "finetuned.pt", "alone.pt"}


def test_models_run_without_dagster_polars_or_pandas():
    """What a GPU node has: torch and numpy. Blocking the others makes any import of them fail."""
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in ("dagster", "polars", "pandas"))
    modules = "models.entry, models.personalize, models.checkpoint, models.predict"
    code = f"import sys; {blocked}; import {modules}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
