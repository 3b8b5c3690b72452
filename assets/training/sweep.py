"""`sweep`: trains every combination of model family x learning rate x batch size x sequence
length from its config, one Pipes subprocess each, into one table with the leaderboard's
columns. Selection happens on validation MAE only."""

import itertools
import json

import dagster as dg
import polars as pl
import pydantic

from assets.lake.markdown import markdown_table
from assets.lake.resources import Lake
from assets.training.defs import (
    GROUP,
    LEADERBOARD,
    MODEL_DIR,
    SCHEME,
    TrainingConfig,
    run_training,
    train_config,
)
from assets.training.families import FAMILIES
from assets.training.launcher import TrainingLauncher


class SweepConfig(dg.Config):
    """The grid; each family keeps its own model arguments (assets/training/families.py)."""

    families: list[str] = pydantic.Field(default_factory=lambda: ["lstm"])
    learning_rates: list[float] = pydantic.Field(default_factory=lambda: [1e-3, 3e-3])
    batch_sizes: list[int] = pydantic.Field(default_factory=lambda: [64])
    sequence_lengths: list[int] = pydantic.Field(default_factory=lambda: [500])
    epochs: int = 3


def grid(config: SweepConfig) -> list[dict]:
    unknown = set(config.families) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown model families {sorted(unknown)}; known: {list(FAMILIES)}")
    combinations = itertools.product(
        config.families, config.learning_rates, config.batch_sizes, config.sequence_lengths
    )
    return [
        {"family": f, "learning_rate": lr, "batch_size": b, "sequence_length": length}
        for f, lr, b, length in combinations
    ]


@dg.asset(group_name=GROUP, kinds={"pytorch", "parquet"}, pool="gpu", deps=[f"{SCHEME}_tensors"])
def sweep(
    context: dg.AssetExecutionContext,
    config: SweepConfig,
    lake: Lake,
    trainer: TrainingLauncher,
) -> dg.Output:
    """One row per trained combination, best validation MAE first."""
    rows = []
    for number, point in enumerate(grid(config)):
        family = point["family"]
        base = TrainingConfig(
            hyper=json.dumps(FAMILIES[family].get("hyper", {})),
            epochs=config.epochs,
            learning_rate=point["learning_rate"],
            batch_size=point["batch_size"],
        )
        settings = {**train_config(family, base), "sequence_length": point["sequence_length"]}
        checkpoint = lake.path(MODEL_DIR, "sweep", context.run.run_id, str(number), "model.pt")
        context.log.info(f"sweep point {number}: {point}")
        result = run_training(context, trainer, lake, checkpoint, settings)
        rows.append(
            {
                **{key: result[key] for key in ("best_val_mae", "parameters", "epochs")},
                "family": family,
                "scheme": SCHEME,
                "best_epoch": result["best_epoch"],
                "train_seconds": result["seconds"],
                "device": result["device"],
                "config": json.dumps(settings),
                "run_id": context.run.run_id,
                "checkpoint": result["checkpoint"],
            }
        )
    table = pl.DataFrame(rows, schema=LEADERBOARD).sort("best_val_mae")
    shown = table.select("family", "best_val_mae", "parameters", "epochs", "config")
    return dg.Output(
        table,
        metadata={"points": table.height, "sweep": dg.MetadataValue.md(markdown_table(shown, 100))},
    )
