"""Promotion to production, gated. `production_candidate` picks the cold-start model with the
lowest validation MAE on the leaderboard (validation only: test never chooses) and re-scores it
and the current production model on today's validation split, so both are judged on the same
data. A blocking check stops `production_model` when the candidate is worse than production by
more than the configured margin; otherwise the candidate's checkpoint becomes
<lake>/models/production/model.pt, the default model of `pulselake predict`, with its
MODEL_CARD.md beside it."""

import json
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl

from assets.evaluation.defs import EVALUATION_DIR, SUMMARY_FILE
from assets.evaluation.model_card import model_card
from assets.evaluation.reality_check import REPORT_DIR, read_summary
from assets.features.defs import TENSOR_DIR
from assets.lake.resources import Lake
from assets.training.defs import MODEL_DIR, SCHEME
from models.predict import split_mae
from models.tensors import load_metadata

GROUP = "evaluation"
PRODUCTION = Path(MODEL_DIR, "production")
CHECKPOINT, RECORD, CARD = "model.pt", "production.json", "MODEL_CARD.md"


class PromotionConfig(dg.Config):
    """How much worse (validation MAE, bpm) a candidate may be and still replace production."""

    margin_bpm: float = 0.25


def production_mae(current: Path, tensors: Path) -> float | None:
    """The production model's validation MAE; None when there is none, or when this code can no
    longer read it (another feature list): a model that cannot serve is no bar to clear."""
    if not current.is_file():
        return None
    try:
        return split_mae(current, tensors, "val")
    except ValueError:
        return None


@dg.asset(group_name=GROUP, kinds={"pytorch", "parquet"}, deps=[f"{SCHEME}_tensors"])
def production_candidate(
    config: PromotionConfig, lake: Lake, leaderboard: pl.DataFrame
) -> dg.Output:
    """The best cold-start model by validation MAE, re-scored beside the production model."""
    cold_start = leaderboard.filter(scheme=SCHEME).sort("best_val_mae")
    if cold_start.is_empty():
        raise dg.Failure(f"the leaderboard has no {SCHEME} model")
    best = cold_start.row(0, named=True)
    tensors = lake.path(TENSOR_DIR, SCHEME)
    current = lake.path(PRODUCTION, CHECKPOINT)
    row = {
        "family": best["family"],
        "checkpoint": best["checkpoint"],
        "run_id": best["run_id"],
        "candidate_val_mae": split_mae(best["checkpoint"], tensors, "val"),
        "production_val_mae": production_mae(current, tensors),
        "margin_bpm": config.margin_bpm,
    }
    table = pl.DataFrame([row], schema_overrides={"production_val_mae": pl.Float64})
    shown = {k: v for k, v in row.items() if v is not None and k != "checkpoint"}
    return dg.Output(table, metadata=shown)


@dg.asset_check(
    asset=production_candidate,
    blocking=True,
    description="The candidate may not be worse than the production model on validation MAE "
    "by more than margin_bpm; a failure keeps the current production model.",
)
def candidate_not_worse(production_candidate: pl.DataFrame) -> dg.AssetCheckResult:
    row = production_candidate.row(0, named=True)
    current = row["production_val_mae"]
    passed = current is None or row["candidate_val_mae"] <= current + row["margin_bpm"]
    return dg.AssetCheckResult(
        passed=passed,
        metadata={
            "candidate_val_mae": row["candidate_val_mae"],
            "production_val_mae": current if current is not None else "none yet",
            "margin_bpm": row["margin_bpm"],
        },
    )


def promote(candidate: dict, folder: Path) -> dict:
    """Copy the candidate's checkpoint in atomically, with a record of where it came from."""
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{CHECKPOINT}.{uuid.uuid4().hex}"
    shutil.copyfile(candidate["checkpoint"], temp)
    temp.replace(folder / CHECKPOINT)
    record = {
        "family": candidate["family"],
        "source_checkpoint": candidate["checkpoint"],
        "trained_run_id": candidate["run_id"],
        "val_mae": candidate["candidate_val_mae"],
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (folder / RECORD).write_text(json.dumps(record, indent=1))
    return record


def evaluated_headline(lake: Lake, record: dict) -> dict | None:
    """The promoted model's own test figures: its family's evaluation summary on the scheme,
    when that evaluation scored this very checkpoint (None otherwise)."""
    path = lake.path(EVALUATION_DIR, SCHEME, record["family"], SUMMARY_FILE)
    if not path.is_file():
        return None
    summary = json.loads(path.read_text())
    same = summary["lineage"]["checkpoint"] == record["source_checkpoint"]
    return summary["headline"] if same else None


def checked_reality(lake: Lake, record: dict) -> dict | None:
    """The reality check's summary when it scored this very production model (None otherwise:
    a check of the model before it says nothing about this one)."""
    summary = read_summary(lake.path(REPORT_DIR))
    same = (
        summary is not None and summary.get("production_checkpoint") == record["source_checkpoint"]
    )
    return summary if same else None


def write_model_card(lake: Lake, record: dict) -> str:
    """MODEL_CARD.md beside the production model (its text): the promotion record, the
    training tensors' metadata, the model's own test figures and its reality check, if any.
    The `reality_check` asset writes it again once it has scored the model."""
    meta = load_metadata(lake.path(TENSOR_DIR, SCHEME))
    card = model_card(record, meta, evaluated_headline(lake, record), checked_reality(lake, record))
    lake.path(PRODUCTION, CARD).write_text(card)
    return card


@dg.asset(group_name=GROUP, kinds={"pytorch"})
def production_model(lake: Lake, production_candidate: pl.DataFrame) -> dg.MaterializeResult:
    """The model `pulselake predict` uses by default, replaced only through the gate above."""
    record = promote(production_candidate.row(0, named=True), lake.path(PRODUCTION))
    card = write_model_card(lake, record)
    return dg.MaterializeResult(
        metadata={
            "model_card": dg.MetadataValue.md(card),
            "family": record["family"],
            "val_mae": record["val_mae"],
            "trained_run_id": record["trained_run_id"],
            "checkpoint": dg.MetadataValue.path(str(lake.path(PRODUCTION, CHECKPOINT))),
        }
    )


production_assets = [production_candidate, production_model]
production_checks = [candidate_not_worse]
