"""Physiological running-workout simulator: the embedded data source and accuracy yardstick.

Users and workouts are generated from physiology at 1 Hz (`core.simulate`), then written in
FitRec/Endomondo format (`write_fitrec`) or as Apple Health exports (`write_apple_exports`),
each with a noise-free truth sidecar.
"""

from simulator.apple_config import APPLE_SAMPLE_PRESET
from simulator.apple_export import AppleExportSummary, write_apple_exports
from simulator.config import (
    SAMPLE_PRESET,
    ArtifactRates,
    SimulatorConfig,
    SportSpec,
)
from simulator.fitrec import FitrecSummary, truth_dir_for, write_fitrec
from simulator.physiology import heart_rate_from_demand, latent_heart_rate, running_demand

__all__ = [
    "APPLE_SAMPLE_PRESET",
    "SAMPLE_PRESET",
    "AppleExportSummary",
    "ArtifactRates",
    "FitrecSummary",
    "SimulatorConfig",
    "SportSpec",
    "heart_rate_from_demand",
    "latent_heart_rate",
    "running_demand",
    "truth_dir_for",
    "write_apple_exports",
    "write_fitrec",
]
