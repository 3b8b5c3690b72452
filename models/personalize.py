"""Two-stage personalisation on the temporal split: a model pretrained on the FitRec population,
then fine-tuned on one person's earlier workouts, against the same model trained on that
person's workouts alone and against no fine-tuning. All three are scored on the person's
validation workouts (later in time than any training one); test stays for evaluation."""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from models.batches import evaluate_mae, load_batches, user_keys
from models.checkpoint import load_checkpoint
from models.tensors import load_metadata, load_split
from models.train import TrainConfig, pick_device, train

POPULATION = "fitrec"  # pretrained on every FitRec user
PERSONAL_SOURCE = "apple_health"  # fine-tuned per Apple Watch wearer


@dataclass
class FinetuneConfig:
    learning_rate_factor: float = 0.1  # fine-tuning rate = this x the pretraining rate
    # Parameter-name prefixes trained during fine-tuning; empty trains everything. ["head"]
    # freezes every lower layer.
    trainable: list[str] = field(default_factory=list)
    epochs: int = 10


def population_mae(checkpoint: Path, tensors, user: str, batch_size: int) -> float:
    """The pretrained model, unchanged, on the person's validation windows."""
    model, saved = load_checkpoint(checkpoint, "cpu")
    device = pick_device("auto")
    model = model.to(device)
    val, _ = load_batches(tensors, "val", load_metadata(tensors), [user], saved["users"], device)
    return evaluate_mae(model, val, batch_size, contextlib.nullcontext)


def people_to_personalize(tensors, source: str = PERSONAL_SOURCE) -> list[str]:
    """Users of `source` with heart rate in both their training and validation windows."""
    meta = load_metadata(tensors)
    found = []
    for split_name in ("train", "val"):
        split = load_split(tensors, split_name)
        keys = user_keys(split, meta)[split.mask.any(axis=1)]
        found.append({k for k in keys.tolist() if k.startswith(f"{source}/")})
    return sorted(found[0] & found[1])


def personalize(
    tensors: str | Path, out: str | Path, base: TrainConfig, tune: FinetuneConfig
) -> list[dict]:
    """One row per Apple Health person with training and validation workouts: validation MAE
    of the population model, of it fine-tuned, and of the model trained on the person alone."""
    out = Path(out)
    people = people_to_personalize(tensors)
    if not people:
        raise ValueError(f"{tensors}: no {PERSONAL_SOURCE} user has training and validation data")
    pretrained = out / "population.pt"
    train(tensors, pretrained, replace(base, users=[POPULATION]))
    rows = []
    for person in people:
        folder = out / person.replace("/", "_")
        finetuned = train(
            tensors,
            folder / "finetuned.pt",
            replace(
                base,
                users=[person],
                init_from=str(pretrained),
                learning_rate=base.learning_rate * tune.learning_rate_factor,
                trainable=tune.trainable,
                epochs=tune.epochs,
            ),
        )
        alone = train(tensors, folder / "alone.pt", replace(base, users=[person]))
        rows.append(
            {
                "user": person,
                "population_val_mae": population_mae(pretrained, tensors, person, base.batch_size),
                "finetuned_val_mae": finetuned.best_val_mae,
                "alone_val_mae": alone.best_val_mae,
                "finetune": asdict(tune),
            }
        )
    return rows
