"""The training loop: AdamW, warm-up + cosine (or plateau) schedule, gradient clipping, early
stopping on validation MAE, and the checkpoint written the moment a model is best (the data and
the masked loss are in batches.py; the optimiser, schedule and stopping rule in optimisation.py).
Same code on a laptop CPU (float32) and a GPU (cuDNN, bf16 autocast, data resident)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch

from models.batches import LOSSES, Batches, evaluate_mae, load_batches, masked_loss
from models.checkpoint import grid_config, load_checkpoint, save_checkpoint, tensors_fingerprint
from models.optimisation import EarlyStopping, Optimisation
from models.tensors import load_metadata
from models.zoo import MODELS, build_model, hide_users, parameter_count


@dataclass
class TrainConfig:
    model: str = "lstm"
    hyper: dict = field(default_factory=dict)  # the model's own constructor arguments
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    loss: str = "mse"
    schedule: str = "cosine"  # or "plateau" (halves the rate when validation MAE stalls)
    warmup_epochs: int = 1
    clip_norm: float = 1.0
    # Personalisation: train and select on these users' windows only ("<source>/<user_id>", or
    # a source name for all its users; empty = all), start from a checkpoint, and train only
    # the parameters whose names start with one of `trainable` (empty = all).
    users: list[str] = field(default_factory=list)
    init_from: str = ""
    trainable: list[str] = field(default_factory=list)
    sequence_length: int = 0  # train on windows cut to this many steps (0: the tensors' T)
    user_dropout: float = 0.1  # share of training windows shown as an unknown user
    patience: int = 5  # epochs without a better validation MAE before stopping
    seed: int = 0
    compile: bool = False  # torch.compile on CUDA
    precision: str = "bf16"  # autocast on CUDA; "fp32": float32 throughout (CPU: always)
    device: str = "auto"

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, not {self.loss!r}")
        if self.schedule not in ("cosine", "plateau"):
            raise ValueError(f"schedule must be cosine or plateau, not {self.schedule!r}")
        if self.precision not in ("bf16", "fp32"):
            raise ValueError(f"precision must be bf16 or fp32, not {self.precision!r}")


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@dataclass
class TrainResult:
    best_val_mae: float
    best_epoch: int
    epochs: int
    seconds: float
    device: str
    parameters: int
    history: list[dict]
    checkpoint: str


def seed_everything(seed: int) -> None:
    """Seed the global generators: a new model's initial weights draw from torch's, so the same
    seed gives the same model on every run."""
    torch.manual_seed(seed)
    np.random.seed(seed)


def starting_point(
    config: TrainConfig, meta: dict, device: torch.device
) -> tuple[torch.nn.Module, dict] | None:
    """The checkpoint to fine-tune (config.init_from) and its fields, or None to start afresh.
    Refused when it holds another model family, or when it was trained on another time grid than
    these tensors: the same weights would read steps of a different length."""
    if not config.init_from:
        return None
    model, saved = load_checkpoint(config.init_from, str(device))
    if model.config["name"] != config.model:
        raise ValueError(f"{config.init_from} holds a {model.config['name']}, not a {config.model}")
    # A checkpoint from before grids were saved has no "grid"; nothing to compare it with.
    if saved.get("grid", grid_config(meta)) != grid_config(meta):
        raise ValueError(
            f"{config.init_from} was trained on the grid {saved['grid']}, "
            f"these tensors are on {grid_config(meta)}"
        )
    return model.train(), saved


def new_model(config: TrainConfig, meta: dict, users: int, device: torch.device) -> torch.nn.Module:
    """A freshly initialised config.model for `users` known users. What it needs from the tensor
    set (physical units: the scaler, the grid step) comes from the metadata, not from the user."""
    context = {
        "feature_mean": meta["scaler"]["mean"],
        "feature_std": meta["scaler"]["std"],
        "step_seconds": meta["step_seconds"],
    }
    hyper = {**config.hyper, **{k: context[k] for k in MODELS[config.model].context_kwargs}}
    return build_model(config.model, users, **hyper).to(device)


def freeze(model: torch.nn.Module, trainable: list[str]) -> None:
    """Train only the parameters named with one of the `trainable` prefixes (all when empty):
    fine-tuning can keep the pretrained lower layers as they are."""
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(not trainable or name.startswith(tuple(trainable)))


def autocast_for(device: torch.device, precision: str) -> Callable[[], torch.autocast]:
    """bf16 autocast on CUDA unless float32 was asked for; a no-op context on the CPU."""
    bf16 = device.type == "cuda" and precision == "bf16"
    return partial(torch.autocast, "cuda", dtype=torch.bfloat16, enabled=bf16)


def train_epoch(
    model: torch.nn.Module,
    step_model: torch.nn.Module,
    data: Batches,
    optimisation: Optimisation,
    generator: torch.Generator,
    autocast: Callable[[], torch.autocast],
    config: TrainConfig,
) -> float:
    """One pass over the training windows in a fresh order, some users hidden; the mean batch
    loss. `step_model` is `model`, compiled or not: the forward pass runs through it, clipping
    reads the parameters of `model`."""
    model.train()
    order = torch.randperm(len(data), generator=generator).to(data.user.device)
    total, batches = torch.zeros((), device=data.user.device), 0
    for inputs, target, mask, user in data.slices(config.batch_size, order):
        user = hide_users(user, config.user_dropout, generator)
        with autocast():
            prediction = step_model(inputs, user)
        loss = masked_loss(prediction, target, mask, config.loss)
        optimisation.step(loss, model)
        total, batches = total + loss.detach(), batches + 1  # no per-batch GPU sync
    return float(total) / max(batches, 1)


def checkpoint_provenance(
    tensors: str | Path, meta: dict, vocabulary: list[str], config: TrainConfig
) -> dict:
    """What a checkpoint keeps beside the weights so it can be used honestly: the inputs' names
    and scaling, the grid they were cut on, which data, which users, which settings."""
    return {
        "feature_names": meta["feature_names"],
        "scaler": meta["scaler"],
        "grid": grid_config(meta),
        "split_scheme": Path(tensors).name,
        "data_hash": tensors_fingerprint(tensors),
        "users": vocabulary,
        "train_config": asdict(config),
    }


def train(
    tensors: str | Path,
    checkpoint: str | Path,
    config: TrainConfig,
    on_epoch: Callable[[dict], None] = lambda metrics: None,
) -> TrainResult:
    """Train config.model on `tensors/train`, select on `tensors/val` (test is never read)."""
    seed_everything(config.seed)
    device = pick_device(config.device)
    torch.backends.cudnn.enabled = True
    meta = load_metadata(tensors)
    start = starting_point(config, meta, device)
    vocabulary = start[1]["users"] if start else None
    train_data, vocabulary = load_batches(tensors, "train", meta, config.users, vocabulary, device)
    val_data, _ = load_batches(tensors, "val", meta, config.users, vocabulary, device)
    train_data = train_data.cut(config.sequence_length)
    val_data = val_data.cut(config.sequence_length)
    model = start[0] if start else new_model(config, meta, len(vocabulary), device)
    freeze(model, config.trainable)
    step_model = torch.compile(model) if config.compile and device.type == "cuda" else model
    optimisation = Optimisation.for_model(model, config, len(train_data))
    autocast = autocast_for(device, config.precision)
    provenance = checkpoint_provenance(tensors, meta, vocabulary, config)
    generator = torch.Generator(device="cpu").manual_seed(config.seed)
    stopping, history = EarlyStopping(config.patience), []
    started = time.perf_counter()
    for epoch in range(config.epochs):
        train_loss = train_epoch(
            model, step_model, train_data, optimisation, generator, autocast, config
        )
        val_mae = evaluate_mae(step_model, val_data, config.batch_size, autocast)
        optimisation.end_epoch(val_mae)
        metrics = {
            "epoch": epoch,
            "train_loss": train_loss,
            "val_mae": val_mae,
            "learning_rate": optimisation.learning_rate,
            "seconds": time.perf_counter() - started,
        }
        history.append(metrics)
        on_epoch(metrics)
        if stopping.improved(val_mae, epoch):
            # Serialised now, while these are the best weights (not a reference to live tensors).
            save_checkpoint(checkpoint, model, {**provenance, "val_mae": val_mae, "epoch": epoch})
        elif stopping.exhausted:
            break
    return TrainResult(
        best_val_mae=stopping.best,
        best_epoch=stopping.best_epoch,
        epochs=len(history),
        seconds=time.perf_counter() - started,
        device=str(device),
        parameters=parameter_count(model),
        history=history,
        checkpoint=str(checkpoint),
    )
