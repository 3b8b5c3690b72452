"""`personalisation`: pretrain on the FitRec population, fine-tune on each Apple Watch wearer's
earlier workouts (temporal split), and compare with training on the wearer alone and with no
fine-tuning. Runs `models/entry.py` through Pipes like the other training assets."""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pydantic

from assets.evaluation.production import CHECKPOINT, PRODUCTION
from assets.features.defs import TENSOR_DIR
from assets.lake.markdown import markdown_table
from assets.lake.resources import Lake
from assets.personalize.runner import personalize_workouts
from assets.personalize.strategies import Finetuning
from assets.training.defs import GROUP, MODEL_DIR, TrainingConfig, train_config
from assets.training.launcher import TrainingLauncher

SCHEME = "temporal"


class PersonalisationConfig(TrainingConfig):
    """The base model's training config, plus how fine-tuning differs from it."""

    family: str = "lstm"
    hyper: str = '{"hidden": 32, "layers": 1}'
    epochs: int = 6
    finetune_learning_rate_factor: float = 0.1
    finetune_epochs: int = 6
    # Parameter-name prefixes fine-tuning trains; e.g. ["head"] freezes every lower layer.
    finetune_trainable: list[str] = pydantic.Field(default_factory=list)


@dg.asset(group_name=GROUP, kinds={"pytorch"}, pool="gpu", deps=[f"{SCHEME}_tensors"])
def personalisation(
    context: dg.AssetExecutionContext,
    config: PersonalisationConfig,
    lake: Lake,
    trainer: TrainingLauncher,
) -> dg.MaterializeResult:
    """Validation MAE per wearer: population model, fine-tuned, wearer alone."""
    out = lake.path(MODEL_DIR, "personalisation", context.run.run_id)
    base = TrainingConfig(**config.model_dump(include=set(TrainingConfig.model_fields)))
    session = trainer.run(
        context=context,
        extras={
            "task": "personalize",
            "tensors": str(lake.path(TENSOR_DIR, SCHEME)),
            "out": str(out),
            "config": train_config(config.family, base),
            "finetune": {
                "learning_rate_factor": config.finetune_learning_rate_factor,
                "epochs": config.finetune_epochs,
                "trainable": config.finetune_trainable,
            },
        },
    )
    [rows] = [m["personalisation"] for m in session.get_custom_messages() if "personalisation" in m]
    table = pl.DataFrame(rows).drop("finetune")
    table.write_parquet(out / "comparison.parquet")
    return dg.MaterializeResult(
        metadata={
            "comparison": dg.MetadataValue.md(markdown_table(table, 50)),
            "path": dg.MetadataValue.path(str(out)),
            **{
                f"{column}_mean": float(table[column].mean())
                for column in ("population_val_mae", "finetuned_val_mae", "alone_val_mae")
            },
        }
    )


class ActivityPersonalisationConfig(dg.Config):
    """Fine-tuning of `base` (empty: the production model) per activity-files runner; workouts
    before `cut_date` (YYYY-MM-DD; empty: three quarters of each runner's) train."""

    base: str = ""
    cut_date: str = ""
    epochs: int = 10
    # None (and no `trainable`): the family's own attempts, picked on each runner's validation
    learning_rate: float | None = None
    trainable: list[str] = pydantic.Field(default_factory=list)


@dg.asset(group_name=GROUP, kinds={"pytorch", "parquet"}, deps=["production_model"])
def activity_files_personalisation(
    context: dg.AssetExecutionContext,
    config: ActivityPersonalisationConfig,
    lake: Lake,
    activity_files_workouts: pl.DataFrame,
) -> dg.Output:
    """`pulselake personalize` for every runner of the activity-files source: MAE of the base
    and of the personalised model on each runner's workouts after the cut."""
    base = Path(config.base) if config.base else lake.path(PRODUCTION, CHECKPOINT)
    cut = datetime.fromisoformat(config.cut_date).replace(tzinfo=UTC) if config.cut_date else None
    fixed = config.learning_rate is not None or config.trainable
    tune = Finetuning(config.learning_rate or 1e-3, config.epochs, trainable=config.trainable)
    rows = []
    for (user,), workouts in activity_files_workouts.group_by("user_id", maintain_order=True):
        out = lake.path(MODEL_DIR, "personal", user, context.run.run_id, "model.pt")
        try:
            rows.append(
                {
                    "user": user,
                    **personalize_workouts(
                        workouts, base, out, cut, tune if fixed else None, config.epochs
                    ),
                }
            )
        except ValueError as error:  # too few usable workouts on one side of the cut
            context.log.warning(f"{user}: not personalised: {error}")
    table = pl.DataFrame(rows)
    return dg.Output(table, metadata={"runners": dg.MetadataValue.md(markdown_table(table, 50))})
