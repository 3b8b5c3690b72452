"""Physiological running-workout simulator: the embedded data source and accuracy yardstick.

Users and workouts are generated from physiology at 1 Hz (`core.simulate`), then written in
FitRec/Endomondo format with a noise-free truth sidecar (`write_fitrec`).
"""

from simulator.config import (
    SAMPLE_PRESET,
    ArtifactRates,
    SimulatorConfig,
    SportSpec,
)
from simulator.fitrec import FitrecSummary, truth_dir_for, write_fitrec
from simulator.physiology import heart_rate_from_demand, latent_heart_rate, running_demand

__all__ = [
    "SAMPLE_PRESET",
    "ArtifactRates",
    "FitrecSummary",
    "SimulatorConfig",
    "SportSpec",
    "heart_rate_from_demand",
    "latent_heart_rate",
    "running_demand",
    "truth_dir_for",
    "write_fitrec",
]
