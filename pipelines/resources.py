"""Resources, configured in one place (`lake_resources`) from the environment, with defaults."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from pipelines.io_manager import LakeParquetIOManager

DEFAULT_LAKE = "data_lake"
SIMULATED_FITREC = Path("raw", "fitrec", "endomondo_simulated.json")
SIMULATED_APPLE = Path("raw", "apple_health_simulated")
SIMULATED_ACTIVITY_FILES = Path("raw", "activity_files_simulated")


class Lake(dg.ConfigurableResource):
    """The storage root; every path the project writes derives from it."""

    root: str

    def path(self, *parts: str | Path) -> Path:
        return Path(self.root).joinpath(*parts)


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
        # Training runs `python -m models.entry` in a subprocess speaking Dagster Pipes.
        "pipes_subprocess": dg.PipesSubprocessClient(),
    }
