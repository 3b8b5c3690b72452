"""Where activity files are: the configured folder, else the simulated sample in the lake; a
folder dropped into the inbox that no other source claims."""

import shutil
import tempfile
from pathlib import Path

from assets.lake.resources import Lake
from assets.sources.source import SourcePath
from simulator.activity_files import SAMPLE_PRESET, truth_dir_for_folder, write_activity_files

NAME = "activity_files"
SIMULATED_ACTIVITY_FILES = Path("raw", "activity_files_simulated")
SAMPLE_SEED = 20_230_701


class ActivityFilesSource(SourcePath):
    """Which folder of FIT/TCX/GPX/CSV activity files to ingest: one person's folder, a folder
    with one sub-folder per person, or unzipped Strava bulk exports; empty means the simulated
    sample."""


def ensure_simulated_activity_files(folder: Path) -> Path:
    """The embedded default: a simulated sample (and its truth sidecar beside it), written aside
    and moved into place whole, so a crash never leaves half a sample to ingest."""
    if folder.is_dir() and any(folder.iterdir()):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".simulating-") as scratch:
        written = Path(scratch, folder.name)
        write_activity_files(written, seed=SAMPLE_SEED, **SAMPLE_PRESET)
        for made, final in ((truth_dir_for_folder(written), truth_dir_for_folder(folder)),
                            (written, folder)):  # fmt: skip
            if final.exists():
                shutil.rmtree(final)
            made.rename(final)
    return folder


def activity_root(lake: Lake, source: SourcePath) -> Path:
    """The configured folder, else the simulated sample in the lake."""
    if source.path:
        return Path(source.path)
    return ensure_simulated_activity_files(lake.path(SIMULATED_ACTIVITY_FILES))


def claims_folder(entry: Path) -> Path | None:
    """Any folder: one person's activity files or a Strava export (checked after the sources
    whose drops are folders of a known shape)."""
    return entry if entry.is_dir() else None
