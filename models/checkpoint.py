"""Checkpoints: weights plus everything needed to use them honestly (model config, scaler and
feature names of the tensors trained on, the time grid they were cut on, split scheme, data
fingerprint, training users).
Loaded with `weights_only=True`: a checkpoint is data, never code."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch

from models.tensors import FEATURE_NAMES, METADATA_FILE
from models.zoo import build_model


def tensors_fingerprint(folder: str | Path) -> str:
    """sha256 of the tensor set's metadata.json: its counts, scaler and the lake
    materializations it was cut from identify the data."""
    return hashlib.sha256(Path(folder, METADATA_FILE).read_bytes()).hexdigest()


# The grid settings a tensor set's features were made with (models/tensors.py metadata): a model
# only means something on the grid it was trained on, so a checkpoint keeps them under "grid".
GRID_FIELDS = ("step_seconds", "grid_hr_max_gap_s")


def grid_config(meta: dict) -> dict[str, float]:
    """The grid fields of a tensor set's metadata, as a checkpoint stores them: prediction and
    fine-tuning must grid new workouts exactly as the training data was."""
    return {name: float(meta[name]) for name in GRID_FIELDS}


def save_checkpoint(path: str | Path, model: torch.nn.Module, provenance: dict) -> None:
    """Atomic: written beside, then renamed over the previous one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    state = {name: value.detach().cpu().clone() for name, value in model.state_dict().items()}
    torch.save({"state_dict": state, "model_config": model.config, **provenance}, temp)
    temp.replace(path)


def load_checkpoint(path: str | Path, device: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """The model (eval mode) and the checkpoint's other fields; refuses a feature list other
    than this code's, since the inputs would silently mean something else."""
    saved = torch.load(path, map_location=device, weights_only=True)
    if tuple(saved["feature_names"]) != FEATURE_NAMES:
        raise ValueError(
            f"{path}: trained on features {saved['feature_names']}, this code makes {FEATURE_NAMES}"
        )
    model = build_model(**saved["model_config"]).to(device)
    model.load_state_dict(saved.pop("state_dict"))
    return model.eval(), saved
