"""`personalisation`: pretrain on the FitRec population, fine-tune on each Apple Watch wearer's
earlier workouts (temporal split), and compare with training on the wearer alone and with no
fine-tuning. Runs `models/entry.py` through Pipes like the other training assets."""

import sys

import dagster as dg
import polars as pl
import pydantic

from assets.markdown import markdown_table
from assets.tensors import TENSOR_DIR
from assets.training import GROUP, MODEL_DIR, TrainingConfig, train_config
from pipelines.resources import Lake

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
    pipes_subprocess: dg.PipesSubprocessClient,
) -> dg.MaterializeResult:
    """Validation MAE per wearer: population model, fine-tuned, wearer alone."""
    out = lake.path(MODEL_DIR, "personalisation", context.run.run_id)
    base = TrainingConfig(**config.model_dump(include=set(TrainingConfig.model_fields)))
    session = pipes_subprocess.run(
        command=[sys.executable, "-m", "models.entry"],
        context=context,
        extras={
            "task": "personalise",
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
