"""The training loop: masked loss, AdamW, warm-up + cosine (or plateau) schedule, gradient
clipping, early stopping on validation MAE, and the checkpoint written the moment a model is
best. Same code on a laptop CPU (float32) and a GPU (cuDNN, bf16 autocast, data resident)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from models.checkpoint import load_checkpoint, save_checkpoint, tensors_fingerprint
from models.tensors import TensorSplit, load_metadata, load_split
from models.zoo import MODELS, UNKNOWN_USER, build_model, hide_users, parameter_count

LOSSES = ("mse", "mae", "huber")


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


def masked_loss(prediction, target, mask, kind: str = "mse") -> torch.Tensor:
    """Mean of the per-step loss over masked-in steps only; padding and missing heart rate
    contribute nothing (the research code averaged over padding too)."""
    error = (prediction.float() - target) * mask
    if kind == "mse":
        per_step = error.square()
    elif kind == "mae":
        per_step = error.abs()
    else:
        per_step = torch.nn.functional.huber_loss(error, torch.zeros_like(error), reduction="none")
    return per_step.sum() / mask.sum().clamp(min=1)


@dataclass
class Batches:
    """A split on the training device: standardised inputs, target, mask, user rows."""

    inputs: torch.Tensor
    target: torch.Tensor
    mask: torch.Tensor
    user: torch.Tensor

    @classmethod
    def from_split(
        cls, split: TensorSplit, keys: np.ndarray, rows: np.ndarray, vocabulary: list[str], device
    ) -> Batches:
        """The windows `rows` of `split`; `keys` holds every window's user key, `vocabulary`
        the model's users (others become UNKNOWN_USER)."""
        index = {key: row for row, key in enumerate(vocabulary)}
        users = [index.get(key, UNKNOWN_USER) for key in keys[rows]]
        return cls(
            torch.from_numpy(split.inputs(rows)).to(device),
            torch.from_numpy(np.array(split.heart_rate[rows])).to(device),
            torch.from_numpy(np.asarray(split.mask[rows], dtype=np.float32)).to(device),
            torch.tensor(users, dtype=torch.int64, device=device),
        )

    def __len__(self) -> int:
        return len(self.user)

    def cut(self, length: int) -> Batches:
        """Each window as consecutive sequences of `length` steps (a sweep dimension); those
        without a measured step are dropped."""
        steps = self.target.shape[1]
        if length in (0, steps):
            return self
        if steps % length:
            raise ValueError(f"sequence_length {length} does not divide the windows' {steps}")
        parts = steps // length
        cut = Batches(
            self.inputs.reshape(-1, length, self.inputs.shape[2]),
            self.target.reshape(-1, length),
            self.mask.reshape(-1, length),
            self.user.repeat_interleave(parts),
        )
        keep = cut.mask.sum(dim=1) > 0
        return Batches(cut.inputs[keep], cut.target[keep], cut.mask[keep], cut.user[keep])

    def slices(self, size: int, order: torch.Tensor | None = None):
        index = order if order is not None else torch.arange(len(self), device=self.user.device)
        for start in range(0, len(self), size):
            rows = index[start : start + size]
            yield self.inputs[rows], self.target[rows], self.mask[rows], self.user[rows]


def user_keys(split: TensorSplit, meta: dict) -> np.ndarray:
    """ "<source>/<user_id>" of every window."""
    return np.asarray(meta["users"])[split.user_index]


def chosen_windows(keys: np.ndarray, users: list[str]) -> np.ndarray:
    """Rows whose user key, or whose source, is in `users` (all rows when it is empty)."""
    if not users:
        return np.arange(len(keys))
    sources = np.char.partition(keys.astype(str), "/")[:, 0]
    return np.flatnonzero(np.isin(keys, users) | np.isin(sources, users))


def load_batches(
    tensors, split_name: str, meta: dict, users: list[str], vocabulary: list[str] | None, device
) -> tuple[Batches, list[str]]:
    """A split's chosen windows on `device`, and the vocabulary (the chosen training users when
    none is given)."""
    split = load_split(tensors, split_name)
    keys = user_keys(split, meta)
    rows = chosen_windows(keys, users)
    if not split.mask[rows].any():
        raise ValueError(f"{tensors}: no {split_name} step with a heart rate for users {users}")
    vocabulary = sorted(set(keys[rows].tolist())) if vocabulary is None else vocabulary
    return Batches.from_split(split, keys, rows, vocabulary, device), vocabulary


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@torch.no_grad()
def evaluate_mae(model, batches: Batches, batch_size: int, autocast) -> float:
    """Pooled MAE over every masked-in step (not a mean of per-window means)."""
    model.eval()
    total, count = 0.0, 0.0
    for inputs, target, mask, user in batches.slices(batch_size):
        with autocast():
            prediction = model(inputs, user)
        total += float(((prediction.float() - target).abs() * mask).sum())
        count += float(mask.sum())
    return total / max(count, 1.0)


def warmup_cosine(warmup_steps: int, total_steps: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(total_steps - warmup_steps, 1)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return factor


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


def train(
    tensors: str | Path,
    checkpoint: str | Path,
    config: TrainConfig,
    on_epoch: Callable[[dict], None] = lambda metrics: None,
) -> TrainResult:
    """Train config.model on `tensors/train`, select on `tensors/val` (test is never read)."""
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    device = pick_device(config.device)
    cuda = device.type == "cuda"
    torch.backends.cudnn.enabled = True
    meta = load_metadata(tensors)
    start = load_checkpoint(config.init_from, str(device)) if config.init_from else None
    vocabulary = start[1]["users"] if start else None
    train_data, vocabulary = load_batches(tensors, "train", meta, config.users, vocabulary, device)
    val_data, _ = load_batches(tensors, "val", meta, config.users, vocabulary, device)
    train_data = train_data.cut(config.sequence_length)
    val_data = val_data.cut(config.sequence_length)
    if start:
        model = start[0].train()
        if model.config["name"] != config.model:
            raise ValueError(
                f"{config.init_from} holds a {model.config['name']}, not a {config.model}"
            )
    else:
        # What a model needs from the tensor set (physical units), not from the user.
        context = {
            "feature_mean": meta["scaler"]["mean"],
            "feature_std": meta["scaler"]["std"],
            "step_seconds": meta["step_seconds"],
        }
        hyper = {**config.hyper, **{k: context[k] for k in MODELS[config.model].context_kwargs}}
        model = build_model(config.model, len(vocabulary), **hyper).to(device)
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(not config.trainable or name.startswith(tuple(config.trainable)))
    step_model = torch.compile(model) if config.compile and cuda else model
    bf16 = cuda and config.precision == "bf16"
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = math.ceil(len(train_data) / config.batch_size)
    if config.schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            warmup_cosine(config.warmup_epochs * steps_per_epoch, config.epochs * steps_per_epoch),
        )
    else:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)

    def autocast():
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16)

    provenance = {
        "feature_names": meta["feature_names"],
        "scaler": meta["scaler"],
        "split_scheme": Path(tensors).name,
        "data_hash": tensors_fingerprint(tensors),
        "users": vocabulary,
        "train_config": asdict(config),
    }
    generator = torch.Generator(device="cpu").manual_seed(config.seed)
    best, best_epoch, history, stale = math.inf, -1, [], 0
    started = time.perf_counter()
    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(len(train_data), generator=generator).to(device)
        total, batches = torch.zeros((), device=device), 0
        for inputs, target, mask, user in train_data.slices(config.batch_size, order):
            user = hide_users(user, config.user_dropout, generator)
            with autocast():
                prediction = step_model(inputs, user)
            loss = masked_loss(prediction, target, mask, config.loss)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
            optimizer.step()
            if config.schedule == "cosine":
                scheduler.step()
            total, batches = total + loss.detach(), batches + 1  # no per-batch GPU sync
        val_mae = evaluate_mae(step_model, val_data, config.batch_size, autocast)
        if config.schedule == "plateau":
            scheduler.step(val_mae)
        metrics = {
            "epoch": epoch,
            "train_loss": float(total) / max(batches, 1),
            "val_mae": val_mae,
            "learning_rate": optimizer.param_groups[0]["lr"],
            "seconds": time.perf_counter() - started,
        }
        history.append(metrics)
        on_epoch(metrics)
        if val_mae < best:
            best, best_epoch, stale = val_mae, epoch, 0
            # Serialised now, while these are the best weights (not a reference to live tensors).
            save_checkpoint(checkpoint, model, {**provenance, "val_mae": val_mae, "epoch": epoch})
        else:
            stale += 1
            if stale >= config.patience:
                break
    return TrainResult(
        best_val_mae=best,
        best_epoch=best_epoch,
        epochs=len(history),
        seconds=time.perf_counter() - started,
        device=str(device),
        parameters=parameter_count(model),
        history=history,
        checkpoint=str(checkpoint),
    )
