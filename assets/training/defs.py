"""One `trained_<family>` asset per model family: the training entry point (`models/entry.py`)
runs in a subprocess through Dagster Pipes, so the same code trains here on CPU or on a GPU node;
per-epoch metrics stream back into the run log, and the checkpoint lands in the lake under the
run's id (never "the newest file in a folder").

Every family trains once per split scheme (a static partition): `user_disjoint` is the
cold-start case (validation and test users never seen in training), `temporal` the personalised
one (everyone's later workouts held out). Evaluating a user_disjoint model on temporal test
workouts would score it on workouts it trained on, so each scheme has its own models."""

import itertools
import json
from pathlib import Path

import dagster as dg
import matplotlib.pyplot as plt
import polars as pl
import pydantic

from assets.features.defs import SCHEME_PARTITIONS, SCHEMES, TENSOR_DIR
from assets.lake.figures import inline, png
from assets.lake.lineage import latest_materialization
from assets.lake.markdown import markdown_table
from assets.lake.resources import Lake
from assets.training.families import FAMILIES
from assets.training.launcher import TrainingLauncher

GROUP = "training"
MODEL_DIR = "models"
SCHEME = "user_disjoint"  # cold-start: the sweep's and the production model's scheme
LEADERBOARD = {
    "family": pl.String,
    "scheme": pl.String,
    "best_val_mae": pl.Float64,
    "parameters": pl.Int64,
    "epochs": pl.Int64,
    "best_epoch": pl.Int64,
    "train_seconds": pl.Float64,
    "device": pl.String,
    "config": pl.String,
    "run_id": pl.String,
    "checkpoint": pl.String,
}


class TrainingConfig(dg.Config):
    """Training hyper-parameters (models/train.py: TrainConfig); `hyper` is the model's own
    constructor arguments as JSON, e.g. {"hidden": 128, "layers": 2}."""

    hyper: str = "{}"
    epochs: int = 8
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    loss: str = "mse"
    schedule: str = "cosine"
    warmup_epochs: int = 1
    clip_norm: float = 1.0
    patience: int = 5
    seed: int = 0
    compile: bool = False
    precision: str = "bf16"
    device: str = "auto"


def train_config(family: str, config: TrainingConfig) -> dict:
    settings = config.model_dump()
    return {**settings, "model": family, "hyper": json.loads(settings["hyper"])}


def training_curve(history: list[dict], title: str) -> bytes:
    """Training loss and validation MAE per epoch."""
    figure, loss_axis = plt.subplots(figsize=(6, 3))
    epochs = [h["epoch"] for h in history]
    loss_axis.plot(epochs, [h["train_loss"] for h in history], color="tab:blue")
    loss_axis.set(xlabel="epoch", ylabel="train loss", title=title)
    mae_axis = loss_axis.twinx()
    mae_axis.plot(epochs, [h["val_mae"] for h in history], color="tab:red")
    mae_axis.set_ylabel("validation MAE (bpm)", color="tab:red")
    return png(figure)


def run_training(
    context: dg.AssetExecutionContext,
    trainer: TrainingLauncher,
    lake: Lake,
    checkpoint: Path,
    settings: dict,
    scheme: str = SCHEME,
) -> dict:
    """Train once through Pipes on `scheme`'s tensors; the entry point's result summary plus
    the epoch history, the training curve written beside the checkpoint."""
    session = trainer.run(
        context=context,
        extras={
            "tensors": str(lake.path(TENSOR_DIR, scheme)),
            "checkpoint": str(checkpoint),
            "config": settings,
        },
    )
    messages = session.get_custom_messages()
    [result] = [m["result"] for m in messages if "result" in m]
    history = [m["epoch_metrics"] for m in messages if "epoch_metrics" in m]
    curve = training_curve(history, settings["model"])
    checkpoint.with_name("curve.png").write_bytes(curve)
    return {**result, "config": settings, "curve": curve}


def training_metadata(result: dict, settings: dict, title: str) -> dict:
    keys = ("best_val_mae", "best_epoch", "epochs", "parameters", "device")
    return {
        **{key: result[key] for key in keys},
        "train_seconds": result["seconds"],
        "config": dg.MetadataValue.json(settings),
        "checkpoint": dg.MetadataValue.path(result["checkpoint"]),
        "curve": dg.MetadataValue.md(inline(result["curve"], f"{title} training curve")),
    }


def trained_model(family: str) -> dg.AssetsDefinition:
    defaults = FAMILIES[family]
    fields = {**defaults, "hyper": json.dumps(defaults.get("hyper", {}))}

    # The family's defaults, shown (and editable) in the launchpad.
    FamilyConfig = pydantic.create_model(
        f"{family.title().replace('_', '')}TrainingConfig",
        __base__=TrainingConfig,
        **{name: (type(value), value) for name, value in fields.items()},
    )

    @dg.asset(
        name=f"trained_{family}",
        group_name=GROUP,
        kinds={"pytorch"},
        pool="gpu",
        partitions_def=SCHEME_PARTITIONS,
        deps=[f"{scheme}_tensors" for scheme in SCHEMES],
        description=f"The {family} model trained on one split scheme's tensors (the "
        "partition), selected on validation MAE; checkpoint under "
        "<lake>/models/<family>/<scheme>/<run id>/.",
    )
    def _trained(
        context: dg.AssetExecutionContext,
        config: FamilyConfig,
        lake: Lake,
        trainer: TrainingLauncher,
    ) -> dg.MaterializeResult:
        scheme = context.partition_key
        checkpoint = lake.path(MODEL_DIR, family, scheme, context.run.run_id, "model.pt")
        settings = train_config(family, config)
        result = run_training(context, trainer, lake, checkpoint, settings, scheme)
        return dg.MaterializeResult(metadata=training_metadata(result, settings, family))

    return _trained


@dg.asset(
    group_name=GROUP,
    kinds={"polars", "parquet"},
    deps=[f"trained_{family}" for family in FAMILIES],
)
def leaderboard(context: dg.AssetExecutionContext, sweep: pl.DataFrame) -> dg.Output:
    """One row per trained model: each family's latest training run per split scheme and every
    point of the latest sweep, best validation MAE first within a scheme (selection uses
    validation only; test is scored once, in evaluation)."""
    rows = []
    for family, scheme in itertools.product(FAMILIES, SCHEMES):
        found = latest_materialization(context.instance, f"trained_{family}", scheme)
        if found is None:
            continue
        run_id, metadata = found
        rows.append(
            {
                "family": family,
                "scheme": scheme,
                "best_val_mae": metadata["best_val_mae"],
                "parameters": metadata["parameters"],
                "epochs": metadata["epochs"],
                "best_epoch": metadata["best_epoch"],
                "train_seconds": metadata["train_seconds"],
                "device": metadata["device"],
                "config": json.dumps(metadata["config"]),
                "run_id": run_id,
                "checkpoint": metadata["checkpoint"],
            }
        )
    table = pl.concat([pl.DataFrame(rows, schema=LEADERBOARD), sweep])
    table = table.sort("scheme", "best_val_mae", descending=[True, False])
    cold_start = table.filter(scheme=SCHEME)
    return dg.Output(
        table,
        metadata={
            "leaderboard": dg.MetadataValue.md(markdown_table(table.drop("config", "run_id"), 50)),
            **({"best_family": cold_start["family"][0]} if cold_start.height else {}),
        },
    )


family_assets = [*(trained_model(family) for family in FAMILIES), leaderboard]


def latest_checkpoint(lake_root: Path, family: str) -> Path | None:
    """A family's newest cold-start (SCHEME) checkpoint under a lake root, None when none."""
    found = (lake_root / MODEL_DIR / family).glob(f"{SCHEME}/*/model.pt")
    return max(found, key=lambda path: path.stat().st_mtime, default=None)
