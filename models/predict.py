"""Prediction with a trained model: the one path evaluation and `pulselake predict` share.
Heart rate from the inputs alone (sequence mode), window by window as in training; forecast mode
builds on it (assets/evaluation/forecast.py). torch and numpy only."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from models.base import UNKNOWN_USER
from models.checkpoint import load_checkpoint
from models.tensors import Scaler, TensorSplit, load_metadata, load_split


def user_row(vocabulary: list[str], user: str | None) -> int:
    """The checkpoint's row for `user` ("<source>/<user_id>"); UNKNOWN_USER for anyone else."""
    return vocabulary.index(user) if user in vocabulary else UNKNOWN_USER


@torch.no_grad()
def predict_windows(
    model: torch.nn.Module,
    inputs: np.ndarray,
    users: np.ndarray,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Standardised inputs [N, T, 14] and user rows [N] -> heart rate [N, T] (float32)."""
    model = model.to(device).eval()
    out = np.empty(inputs.shape[:2], dtype=np.float32)
    for start in range(0, len(inputs), batch_size):
        chunk = slice(start, start + batch_size)
        x = torch.as_tensor(np.ascontiguousarray(inputs[chunk]), device=device)
        u = torch.as_tensor(np.asarray(users[chunk], dtype=np.int64), device=device)
        out[chunk] = model(x, u).float().cpu().numpy()
    return out


def predict_split(
    model: torch.nn.Module,
    vocabulary: list[str],
    tensors: str | Path,
    split_name: str,
    device: str | torch.device = "cpu",
    batch_size: int = 256,
) -> tuple[TensorSplit, list[str], np.ndarray]:
    """A tensor split, its user keys ("<source>/<user_id>" per user_index) and the model's
    heart rate [N, T] for every window; users outside the checkpoint's `vocabulary` count as
    unknown. Scaled batch by batch, so a large memory-mapped split is never copied whole."""
    split = load_split(tensors, split_name)
    users = load_metadata(tensors)["users"]
    known = {user: row for row, user in enumerate(vocabulary)}
    rows = np.array([known.get(user, UNKNOWN_USER) for user in users], dtype=np.int64)
    predicted = np.empty(split.heart_rate.shape, dtype=np.float32)
    for start in range(0, len(split), batch_size):
        chunk = slice(start, start + batch_size)
        predicted[chunk] = predict_windows(
            model, split.inputs(chunk), rows[split.user_index[chunk]], batch_size, device
        )
    return split, users, predicted


def split_mae(checkpoint: str | Path, tensors: str | Path, split_name: str) -> float:
    """A checkpoint's pooled MAE over a tensor split's masked steps."""
    model, saved = load_checkpoint(checkpoint)
    split, _, predicted = predict_split(model, saved["users"], tensors, split_name)
    mask = np.asarray(split.mask)
    return float(np.abs(predicted - split.heart_rate)[mask].mean())


def predict_sequence(
    model: torch.nn.Module,
    scaler: Scaler,
    features: np.ndarray,
    user: int = UNKNOWN_USER,
    window: int = 500,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Raw features of one workout [L, 14] -> heart rate [L], cut into consecutive windows of
    `window` steps as the tensors were (each window starts the model afresh)."""
    length = len(features)
    count = max(1, math.ceil(length / window))
    padded = np.zeros((count * window, features.shape[1]), dtype=np.float32)
    padded[:length] = scaler.transform(features.astype(np.float32))
    predicted = predict_windows(
        model, padded.reshape(count, window, -1), np.full(count, user), device=device
    )
    return predicted.reshape(-1)[:length]
