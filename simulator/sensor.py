"""Chest-strap measurement: correlated noise plus logged artifacts on the written samples.

Every artifact is logged with its position in the written series so tests and cleaning code
can be scored against what was really injected.
"""

from __future__ import annotations

import numpy as np

from simulator.config import ARTIFACT_KINDS, ArtifactRates

NOISE_PHI = 0.85  # AR(1) coefficient between consecutive records
# Samples each artifact spans (inclusive range); offsets may also cover the whole workout.
SEGMENT_SAMPLES = {
    "offset": (50, None),
    "cadence_lock": (20, 120),
    "flatline": (20, 80),
    "spike": (1, 3),
    "dropout": (10, 60),
    "out_of_range": (1, 5),
}


def _segments(
    rng: np.random.Generator, hit: np.ndarray, n: int, length: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Random [start, end) per workout with a length drawn in `length` (inclusive)."""
    size = rng.integers(length[0], length[1] + 1, len(hit))
    start = (rng.random(len(hit)) * (n - size + 1)).astype(np.int64)
    return np.where(hit, start, 0), np.where(hit, start + size, 0)


def measure(
    rng: np.random.Generator,
    latent: np.ndarray,
    cadence: np.ndarray,
    noise_sd: np.ndarray,
    on_foot: np.ndarray,
    rates: ArtifactRates,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Integer HR [W, n] and the artifact log (row, kind, start_index, end_index exclusive,
    magnitude). Later kinds overwrite earlier ones where they overlap (see ARTIFACT_KINDS)."""
    w, n = latent.shape
    z = rng.standard_normal((n, w))
    noise = np.empty((n, w))
    noise[0] = z[0]
    scale = np.sqrt(1 - NOISE_PHI**2)
    for i in range(1, n):
        noise[i] = NOISE_PHI * noise[i - 1] + scale * z[i]
    hr = latent + noise.T * noise_sd[:, None]
    idx = np.arange(n)[None, :]
    log: dict[str, list[np.ndarray]] = {k: [] for k in ("row", "kind", "start", "end", "magnitude")}
    rate = dict(rates.items())

    for kind in ARTIFACT_KINDS:
        hit = rng.random(w) < rate[kind]
        if kind == "cadence_lock":
            hit &= on_foot
        shortest, longest = SEGMENT_SAMPLES[kind]
        start, end = _segments(rng, hit, n, (shortest, longest or n))
        if kind == "offset":
            full = hit & (rng.random(w) < 0.5)
            start, end = np.where(full, 0, start), np.where(full, n, end)
        inside = hit[:, None] & (idx >= start[:, None]) & (idx < end[:, None])
        if kind == "offset":
            mag = rng.uniform(10, 40, w) * rng.choice([-1.0, 1.0], w)
            hr = np.where(inside, hr + mag[:, None], hr)
        elif kind == "cadence_lock":
            hr = np.where(inside, cadence, hr)
            mag = (cadence * inside).sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
        elif kind == "flatline":
            mag = np.rint(hr[np.arange(w), start])
            hr = np.where(inside, mag[:, None], hr)
        elif kind == "spike":
            mag = rng.uniform(20, 60, w)
            hr = np.where(inside, hr + mag[:, None], hr)
        elif kind == "dropout":
            mag = np.zeros(w)
            hr = np.where(inside, 0.0, hr)
        else:
            mag = np.where(rng.random(w) < 0.5, 0.0, rng.integers(245, 256, w).astype(float))
            hr = np.where(inside, mag[:, None], hr)
        rows = np.flatnonzero(hit)
        log["row"].append(rows)
        log["kind"].append(np.full(len(rows), kind, dtype=object))
        log["start"].append(start[rows])
        log["end"].append(end[rows])
        log["magnitude"].append(np.round(np.asarray(mag, dtype=float)[rows], 1))
    hr_int = np.clip(np.rint(hr), 0, None).astype(np.int64)
    return hr_int, {k: np.concatenate(v) for k, v in log.items()}
