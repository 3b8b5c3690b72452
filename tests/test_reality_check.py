"""The reality check: its figures on a hand-made table, reading and deduplicating runs, which
checkpoints it scores, and the `reality_check` asset on a temp lake, unconfigured and on a small
folder of simulated activity files with a tiny model (never real files: those stay outside)."""

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest

from assets.evaluation import baselines as bl
from assets.evaluation import reality_check as rc
from assets.evaluation.production import CARD, PRODUCTION, RECORD
from assets.lake.resources import Lake
from assets.prediction.predict_file import grid_features, load_bundle
from assets.reality.defs import NOT_CONFIGURED, reality_check
from assets.reality.resource import RealityCheck
from assets.reality.runs import Run, checkpoints, drop_duplicates, labelled, read_runs
from assets.sources.activity_files.readers import Activity
from models.train import TrainConfig, train
from simulator.activity_files import write_activity_files
from tests.training_builders import tensor_set

NAN = math.nan


def table(**scores: list[float]) -> pl.DataFrame:
    """Four runs of two runners, 0, 1, 3 and 4 earlier runs, with the given MAE columns."""
    n = 4
    frame = pl.DataFrame(
        {
            "file": [f"r{k}.fit" for k in range(n)],
            "runner": ["a", "b", "b", "b"],
            "start": [datetime(2024, 1, k + 1, tzinfo=UTC) for k in range(n)],
            "minutes": [30.0] * n,
            "scored_steps": [100] * n,
            "coverage": [1.0, 0.4, 1.0, 1.0],
            "earlier_runs": [0, 1, 3, 4],
            **scores,
            "notes": [""] * n,
        },
        schema_overrides=rc.RUN_SCHEMA,
    )
    return frame


SCORES = {
    "production": [8.0, 12.0, 6.0, 10.0],
    "linear": [9.0, 9.0, 9.0, NAN],
    "const": [20.0, 10.0, 15.0, 30.0],
    "population": [9.0, 13.0, 7.0, 11.0],
    "own_mean": [4.0, 4.0, 4.0, 4.0],
    "kinetics_cold": [9.5, 12.5, 6.5, 10.5],
    "kinetics_personal": [NAN, NAN, 5.0, 9.0],
    "personal_level": [NAN, NAN, 6.0, 6.0],
}


def test_summaries_and_headline_of_a_hand_made_table():
    cold = table(**SCORES)

    assert rc.models(cold) == ["production", "linear"]
    assert rc.summarise(cold, ["production", "linear"]) == {
        "production": {"runs": 4, "median": 9.0, "within_5": 0.0, "within_10": 0.75},
        "linear": {"runs": 3, "median": 9.0, "within_5": 0.0, "within_10": 1.0},
    }
    assert rc.personal_runs(cold)["file"].to_list() == ["r2.fit", "r3.fit"]
    assert rc.personal_names(cold) == [
        "production", "kinetics_personal", "personal_level", "const", "own_mean",
    ]  # fmt: skip
    assert rc.headline(cold, refused=2) == {
        "cold_median": 9.0,
        "personal_median": pytest.approx(NAN, nan_ok=True),
        "const_median": 17.5,
        "kinetics_cold": 10.0,
        "kinetics_personal": 7.0,
        "refused": 2,
        "target_met": False,  # nothing personalised
    }
    tuned = table(**SCORES, personal=[NAN, NAN, 4.0, 6.0])
    assert rc.headline(tuned, refused=0)["personal_median"] == 5.0
    assert rc.headline(tuned, refused=0)["target_met"]  # 9 <= 10.5, below 17.5, 10, 10; 5 < 7
    assert rc.text_table("T", rc.summarise(cold, ["production", "personal"])) == [
        "\nT",
        "  model / baseline      runs  median MAE  <=5 bpm  <=10 bpm",
        "  production               4        9.00       0%       75%",
        "  personal                 0           -",
    ]
    record = rc.summary_record(cold, 2, folder="/runs")
    assert (record["folder"], record["runs"], record["runners"], record["personal_runs"]) == (
        "/runs", 4, 2, 2,
    )  # fmt: skip
    assert record["headline"]["personal_median"] is None  # NaN as JSON null
    assert json.loads(json.dumps(record)) == record


def activity(path: str, start: int, minutes: int) -> Activity:
    stamps = list(range(start, start + 60 * minutes + 1, 60))
    when = datetime.fromtimestamp(start, UTC)
    return Activity(Path(path), "running", when, pl.DataFrame({"timestamp": stamps}))


def test_a_run_recorded_twice_counts_once_and_messages_lose_their_path():
    t0 = 1_700_000_000
    runs = [
        Run("a/watch1.fit", "a", activity("watch1.fit", t0, 60)),
        Run("a/watch2.fit", "a", activity("watch2.fit", t0 + 600, 60)),  # 50 of 60 min shared
        Run("b/same.fit", "b", activity("same.fit", t0, 60)),  # another runner
        Run("a/later.fit", "a", activity("later.fit", t0 + 3000, 60)),  # 10 min shared
    ]

    kept, dropped = drop_duplicates(runs)

    assert [run.id for run in kept] == ["a/watch1.fit", "b/same.fit", "a/later.fit"]
    assert dropped == [
        ("a/watch2.fit", "duplicate: the same run as a/watch1.fit (50 min overlap), counted once")
    ]
    path, relative = Path("/runs/a/multi.tcx"), Path("a/multi.tcx")
    assert labelled("/runs/a/multi.tcx#2: left out, its sport is 'biking'", path, relative) == (
        "a/multi.tcx#2",
        "left out, its sport is 'biking'",
    )
    assert labelled("/runs/a/multi.tcx: no samples", path, relative) == (
        "a/multi.tcx",
        "no samples",
    )


def test_checkpoints_are_production_and_each_familys_newest_cold_start_model(tmp_path: Path):
    models = tmp_path / "models"
    for relative, mtime in [
        ("production/model.pt", 1),
        ("linear/user_disjoint/old/model.pt", 1),
        ("linear/user_disjoint/new/model.pt", 2),
        ("linear/temporal/newest/model.pt", 3),  # not cold start
        ("gru/user_disjoint/r/model.pt", 1),
        ("sweep/user_disjoint/r/model.pt", 1),  # not a family
        ("personal/anna/r/model.pt", 1),
    ]:
        path = models / relative
        path.parent.mkdir(parents=True)
        path.write_bytes(b"")
        os.utime(path, (mtime, mtime))

    found = checkpoints(tmp_path)

    assert {name: str(path.relative_to(models)) for name, path in found.items()} == {
        "production": "production/model.pt",
        "gru": "gru/user_disjoint/r/model.pt",
        "linear": "linear/user_disjoint/new/model.pt",
    }
    assert list(found) == ["production", "gru", "linear"]


def materialize(lake: Path, path: str, personalize: bool = False) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [reality_check],
        resources={"lake": Lake(root=str(lake)), "reality_check": RealityCheck(path=path)},
        run_config={
            "ops": {"reality_check": {"config": {"personalize": personalize, "epochs": 1}}}
        },
    )


def test_without_a_folder_the_check_succeeds_with_an_empty_table(lake: Path):
    stale = lake / rc.REPORT_DIR / rc.SUMMARY_FILE
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")

    result = materialize(lake, "")

    assert result.success
    [event] = result.asset_materializations_for_node("reality_check")
    assert event.metadata["reality_check"].value == NOT_CONFIGURED
    empty = result.output_for_node("reality_check")
    assert empty.is_empty() and empty.columns[:8] == [*rc.RUN_SCHEMA, "production"]
    assert not stale.exists()  # an earlier check's files would no longer be true


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> tuple[Path, Path, dg.ExecuteInProcessResult]:
    """A lake with a tiny linear model as production and as the linear family, checked on two
    simulated runners' folders (six runs each, the first runner's first one corrupt)."""
    root = tmp_path_factory.mktemp("reality")
    lake = root / "lake"
    tensors = tensor_set(lake / "tensors" / "user_disjoint")
    family = lake / "models" / "linear" / "user_disjoint" / "r1" / "model.pt"
    family.parent.mkdir(parents=True)
    train(tensors, family, TrainConfig(model="linear", epochs=2))
    production = lake / PRODUCTION
    production.mkdir(parents=True)
    (production / "model.pt").write_bytes(family.read_bytes())
    record = {
        "family": "linear",
        "source_checkpoint": str(family),
        "trained_run_id": "r1",
        "val_mae": 10.0,
        "promoted_at": "2026-12-07T12:00:00+00:00",
    }
    (production / RECORD).write_text(json.dumps(record))
    (production / CARD).write_text("# Model card: linear\n")
    folder = write_activity_files(
        root / "runs", runners=2, runs_per_runner=6, others_per_runner=0, seed=5
    ).path
    return lake, folder, materialize(lake, str(folder), personalize=True)


def test_the_check_scores_every_run_and_states_its_figures(checked):
    lake, folder, result = checked
    assert result.success
    [event] = result.asset_materializations_for_node("reality_check")
    meta = {key: value.value for key, value in event.metadata.items()}
    runs = result.output_for_node("reality_check")

    assert runs.height == 11 and meta["real_refused"] == 1  # the corrupt FIT file
    assert meta["real_runs"] == 11 and meta["real_runners"] == 2
    assert rc.score_columns(runs) == [
        "production", "linear", *rc.BASELINES, *rc.PERSONAL_BASELINES, "personal",
    ]  # fmt: skip
    # The family's checkpoint is the production one: the same predictions, the same MAE.
    assert runs["linear"].to_list() == runs["production"].to_list()
    assert meta["real_cold_median"] == pytest.approx(float(np.median(runs["production"])))
    assert meta["real_const_median"] == pytest.approx(float(np.median(runs["const"])))
    personal = runs.filter(pl.col("earlier_runs") >= rc.MIN_EARLIER)
    assert personal.height == 5  # runner_1: its 4th and 5th run; runner_2: its 4th to 6th
    assert runs.filter(pl.col("earlier_runs") < rc.MIN_EARLIER)["personal"].is_nan().all()
    assert personal["personal"].is_finite().all()
    assert meta["real_personal_median"] == pytest.approx(float(np.median(personal["personal"])))
    assert meta["real_kinetics_personal"] == pytest.approx(
        float(np.median(personal["kinetics_personal"]))
    )
    for key in ("real_kinetics_cold", "real_target_met", "cold_start", "personal", "curves"):
        assert key in meta
    assert meta["curves"].startswith("![best, median and worst run](data:image/png;base64,")

    # The constant baseline by hand on one run: 150 bpm against the measured steps after the
    # first minute, on the production model's grid.
    first = runs.row(0, named=True)
    [run] = [r for r in read_runs(folder)[0] if r.id == first["file"]]
    bundle = load_bundle(lake / PRODUCTION / "model.pt")
    grid = grid_features(run.activity, bundle.step_seconds, bundle.grid_hr_max_gap_s)
    elapsed = grid["step"].to_numpy() * bundle.step_seconds
    hr = grid["heart_rate"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    scored = (elapsed >= bl.WARMUP_S) & np.isfinite(hr)
    assert first["const"] == pytest.approx(np.abs(150.0 - hr[scored]).mean())
    assert first["scored_steps"] == scored.sum()


def test_the_check_leaves_its_files_for_the_report_and_the_model_card(checked):
    lake, folder, _ = checked
    reports = lake / rc.REPORT_DIR

    summary = rc.read_summary(reports)
    table = pl.read_parquet(reports / rc.TABLE_FILE)
    refused = pl.read_parquet(reports / rc.REFUSED_FILE)

    assert summary["folder"] == str(folder) and summary["personalised"]
    assert summary["production_checkpoint"].endswith("linear/user_disjoint/r1/model.pt")
    assert summary["runs"] == table.height == 11
    assert refused["kind"].to_list() == ["refused"]
    assert (reports / rc.PLOT_FILE).read_bytes()[:4] == b"\x89PNG"
    section = "\n".join(rc.report_section(reports))
    assert "Real runs (reality check)" in section and "data:image/png;base64," in section
    card = (lake / PRODUCTION / CARD).read_text()
    cold = f"cold start {summary['headline']['cold_median']:.2f} bpm"
    assert "- Real runs (reality check of" in card and cold in card
