"""Resources, configured in one place (`lake_resources`) from the environment, with defaults."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipelines.io_manager import LakeParquetIOManager
from pipelines.training_launcher import TrainingLauncher

DEFAULT_LAKE = "data_lake"
SIMULATED_FITREC = Path("raw", "fitrec", "endomondo_simulated.json")
SIMULATED_APPLE = Path("raw", "apple_health_simulated")
SIMULATED_ACTIVITY_FILES = Path("raw", "activity_files_simulated")


class Lake(dg.ConfigurableResource):
    """The storage root; every path the project writes derives from it."""

    root: str

    def path(self, *parts: str | Path) -> Path:
        return Path(local_root(self.root)).joinpath(*parts)


def local_root(root: str) -> str:
    """The lake root as a POSIX path: a `file://` URL is one; files other than the IO manager's
    tables (tensors, checkpoints, reports) are written with pathlib, so an object store must
    be mounted (docs/deploy.md) rather than named by URL."""
    if root.startswith("file://"):
        return root.removeprefix("file://")
    if "://" in root:
        raise ValueError(f"the lake root {root!r} is a URL; mount it and give the path")
    return root


class FitrecSource(dg.ConfigurableResource):
    """Which FitRec/Endomondo file to ingest (plain or .gz); empty means the simulated sample."""

    path: str = ""


class AppleHealthSource(dg.ConfigurableResource):
    """Which Apple Health exports to ingest: an export.zip, an unzipped apple_health_export
    folder, or a folder with one sub-folder per person; empty means the simulated sample."""

    path: str = ""


class ActivityFilesSource(dg.ConfigurableResource):
    """Which folder of FIT/TCX/GPX/CSV activity files to ingest: one person's folder, a folder
    with one sub-folder per person, or unzipped Strava bulk exports; empty means the simulated
    sample."""

    path: str = ""


def lake_root() -> str:
    return os.environ.get("PULSELAKE_LAKE", DEFAULT_LAKE)


def training_launcher(root: str) -> TrainingLauncher:
    """`PULSELAKE_DEPLOYMENT=local` (the default) trains in a subprocess; `k8s` in a pod of
    `PULSELAKE_TRAINER_IMAGE` with `PULSELAKE_TRAINER_GPUS` GPUs (default 1) and the lake's
    volume claim `PULSELAKE_LAKE_CLAIM` mounted at the lake root."""
    env = os.environ.get
    return TrainingLauncher(
        deployment=env("PULSELAKE_DEPLOYMENT", "local"),
        image=env("PULSELAKE_TRAINER_IMAGE", ""),
        namespace=env("PULSELAKE_K8S_NAMESPACE", ""),
        gpus=int(env("PULSELAKE_TRAINER_GPUS", "1")),
        lake_claim=env("PULSELAKE_LAKE_CLAIM", ""),
        lake_mount=local_root(root) if env("PULSELAKE_LAKE_CLAIM") else "",
        service_account=env("PULSELAKE_TRAINER_SERVICE_ACCOUNT", ""),
    ).checked()


def lake_resources(
    root: str | None = None,
    fitrec_path: str | None = None,
    apple_path: str | None = None,
    activity_files_path: str | None = None,
) -> dict:
    """Every resource of the code location; tests pass a temp `root` (and sources)."""
    root = root or lake_root()
    return {
        "lake": Lake(root=root),
        "fitrec": FitrecSource(path=fitrec_path or os.environ.get("PULSELAKE_FITREC", "")),
        "apple_health": AppleHealthSource(path=apple_path or os.environ.get("PULSELAKE_APPLE", "")),
        "activity_files": ActivityFilesSource(
            path=activity_files_path or os.environ.get("PULSELAKE_ACTIVITY_FILES", "")
        ),
        "io_manager": LakeParquetIOManager(root=root),
        # Training runs `python -m models.entry` through Dagster Pipes: a subprocess, or a GPU pod.
        "trainer": training_launcher(root),
    }
