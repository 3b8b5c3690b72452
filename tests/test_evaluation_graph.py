"""The evaluation graph on a temp lake: a trained checkpoint scored on the test split with the
noise floor from a truth sidecar, the comparison table, promotion through the blocking gate,
and the HTML report."""

import json
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest

from assets.evaluation.comparison import model_comparison
from assets.evaluation.defs import evaluation_assets
from assets.evaluation.production import candidate_not_worse, production_assets
from assets.evaluation.report import evaluation_report
from assets.features.tensor_store import WindowConfig, write_tensors
from assets.sources.registry import SOURCES
from assets.training.defs import LEADERBOARD, leaderboard, trained_model
from models.checkpoint import load_checkpoint
from models.predict import predict_split
from pipelines.resources import lake_resources
from schemas.tables import polars_schema
from schemas.workouts import CleanWorkouts
from simulator import truth_dir_for
from tests.training_builders import workout

STEPS = 150  # 20 minutes at 8 s: long enough to forecast past the 10-minute cut


def sample_lake(lake: Path) -> None:
    """Users 0-5 train, 6-7 validate, 8 tests; a FitRec truth sidecar one beat below the
    measured heart rate; the upstream tables the evaluation reads."""
    rows = [workout(10 * user + k, user, STEPS) for user in range(9) for k in range(3)]
    clean = pl.DataFrame(rows, schema=polars_schema(CleanWorkouts))
    split = {str(u): "train" if u < 6 else "val" if u < 8 else "test" for u in range(9)}
    assignment = clean.lazy().select(
        "source", "workout_id", split=pl.col("user_id").replace_strict(split)
    )
    config = WindowConfig(window=64, stride=64)
    write_tensors(clean.lazy(), assignment, lake / "tensors" / "user_disjoint", config, {})
    clean.write_parquet(lake / "workouts_clean.parquet")
    raw = lake / "raw" / "sim.json"
    pl.DataFrame({"path": [str(raw)]}).write_parquet(lake / "fitrec_source.parquet")
    truth_dir_for(raw).mkdir(parents=True)
    clean.select(
        workout_id=pl.col("workout_id").cast(pl.Int64),
        timestamp="timestamp",
        latent_hr=pl.col("heart_rate").list.eval(pl.element() - 1),
    ).write_parquet(truth_dir_for(raw) / "latent_hr.parquet")
    pl.DataFrame(schema={"user_id": pl.String, "path": pl.String}).write_parquet(
        lake / "apple_health_source.parquet"
    )
    pl.DataFrame(schema={"workout_id": pl.String, "quality_class": pl.String}).write_parquet(
        lake / "apple_alignment.parquet"
    )
    pl.DataFrame(schema=LEADERBOARD).write_parquet(lake / "sweep.parquet")


UPSTREAM = [
    "user_disjoint_tensors",
    "temporal_tensors",
    "workouts_clean",
    "fitrec_source",
    "apple_health_source",
    "apple_alignment",
    "sweep",
]
[LATENT, *_] = evaluation_assets(SOURCES)
[EVALUATE_LINEAR] = [a for a in evaluation_assets(SOURCES) if a.key.path == ["evaluation_linear"]]


def materialize(
    lake: Path, instance, margin: float = 0.25, selection: list[str] | None = None
) -> dg.ExecuteInProcessResult:
    ops = {"production_candidate": {"config": {"margin_bpm": margin}}}
    if not selection:
        ops["trained_linear"] = {"config": {"epochs": 4, "batch_size": 8}}
    return dg.materialize(
        [
            *(dg.AssetSpec(name) for name in UPSTREAM),
            trained_model("linear"),
            leaderboard,
            LATENT,
            EVALUATE_LINEAR,
            model_comparison,
            *production_assets,
            candidate_not_worse,
            evaluation_report,
        ],
        instance=instance,
        selection=selection,
        partition_key=None if selection else "user_disjoint",
        resources=lake_resources(str(lake), activity_files=str(lake / "no_files")),
        run_config={"ops": ops},
        raise_on_error=False,
    )


def test_evaluation_scores_the_checkpoint_promotes_it_and_reports(lake: Path):
    sample_lake(lake)
    instance = dg.DagsterInstance.ephemeral()
    result = materialize(lake, instance)
    assert result.success
    [event] = result.asset_materializations_for_node("evaluation_linear")
    found = {key: value.value for key, value in event.metadata.items()}

    checkpoint = found["checkpoint"]
    model, saved = load_checkpoint(checkpoint)
    split, _, predicted = predict_split(
        model, saved["users"], lake / "tensors/user_disjoint", "test"
    )
    mask = np.asarray(split.mask)
    assert found["test_mae"] == pytest.approx(np.abs(predicted - split.heart_rate)[mask].mean())
    assert found["noise_floor_mae"] == pytest.approx(1.0)
    assert found["test_mae_over_floor"] == pytest.approx(found["test_mae"])
    assert found["test_workouts"] == 3 and found["test_steps"] == 3 * STEPS
    assert found["forecast_steps"] == found["persistence_steps"] > 0

    steps = pl.read_parquet(lake / "evaluation_linear" / "user_disjoint.parquet")
    assert steps.height == 3 * STEPS and steps["latent"].is_not_null().all()

    comparison = pl.read_parquet(lake / "model_comparison.parquet")
    assert comparison.select("mode", "model").sort("mode", "model").rows() == [
        ("forecast", "linear"),
        ("forecast", "persistence"),
        ("sequence", "linear"),
        ("sequence", "noise_floor"),
    ]
    linear = comparison.filter(mode="sequence", model="linear").row(0, named=True)
    assert linear["mae"] == pytest.approx(found["test_mae"])
    assert linear["mae_low"] <= linear["mae"] <= linear["mae_high"] and linear["reference"]

    record = json.loads((lake / "models/production/production.json").read_text())
    assert (record["family"], record["source_checkpoint"]) == ("linear", checkpoint)
    card = (lake / "models/production/MODEL_CARD.md").read_text()
    assert card.startswith("# Model card: linear")
    assert f"Validation MAE {record['val_mae']:.2f} bpm" in card
    assert f"Test MAE {found['test_mae']:.2f} bpm" in card  # the promoted checkpoint's own
    report = (lake / "reports" / "evaluation_report.html").read_text()
    for section in (
        "Model comparison",
        "Noise floor",
        "linear (user_disjoint)",
    ):
        assert section in report
    assert "data:image/gif;base64," in report and checkpoint in report

    # The same candidate against a margin it cannot meet: the gate holds production back.
    again = ["production_candidate", "production_model", "evaluation_report"]
    blocked = materialize(lake, instance, margin=-1.0, selection=again)
    [check] = [
        c for c in blocked.get_asset_check_evaluations() if c.check_name == "candidate_not_worse"
    ]
    assert not check.passed
    assert not blocked.asset_materializations_for_node("production_model")
    assert json.loads((lake / "models/production/production.json").read_text()) == record
    report = (lake / "reports" / "evaluation_report.html").read_text()
    assert "Production model" in report and record["promoted_at"] in report
