"""Where Apple Health exports are: the configured export or folder of people, else the
simulated sample; a dropped export.zip or export folder in the inbox. One dynamic partition per
person, keyed by the name of the folder holding their export."""

import shutil
import tempfile
from pathlib import Path

import dagster as dg

from assets.lake.resources import Lake
from assets.sources.apple_health.export import EXPORT_FOLDER, ZIP_NAME, find_exports
from assets.sources.files import discover
from assets.sources.source import Partitioned, SourceFile, SourcePath
from simulator import APPLE_SAMPLE_PRESET, write_apple_exports

NAME = "apple_health"
APPLE_EXPORTS = dg.DynamicPartitionsDefinition(name="apple_exports")
SIMULATED_APPLE = Path("raw", "apple_health_simulated")
APPLE_SAMPLE_SEED = 20_190_601


class AppleHealthSource(SourcePath):
    """Which Apple Health exports to ingest: an export.zip, an unzipped apple_health_export
    folder, or a folder with one sub-folder per person; empty means the simulated sample."""


def ensure_simulated_exports(folder: Path) -> Path:
    """The embedded default: simulated exports, written aside and moved into place whole."""
    if folder.is_dir() and find_exports(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".simulating-") as scratch:
        write_apple_exports(Path(scratch, "exports"), seed=APPLE_SAMPLE_SEED, **APPLE_SAMPLE_PRESET)
        if folder.exists():
            shutil.rmtree(folder)
        Path(scratch, "exports").rename(folder)
    return folder


def configured_apple_exports(lake: Lake, apple: SourcePath, simulate: bool) -> list[SourceFile]:
    """One per person: the configured exports, else the simulated sample (written first when
    `simulate`); the key is the person (their folder's name)."""
    root = Path(apple.path) if apple.path else lake.path(SIMULATED_APPLE)
    if simulate and not apple.path:
        ensure_simulated_exports(root)
    return [
        SourceFile(APPLE_EXPORTS.name, e.user_id, e.path.resolve(), not apple.path)
        for e in (find_exports(root) if root.exists() else [])
    ]


def dropped_apple_exports(path: Path) -> list[SourceFile]:
    return [SourceFile(APPLE_EXPORTS.name, e.user_id, e.path.resolve()) for e in find_exports(path)]


def claims_apple_export(entry: Path) -> Path | None:
    """export.zip, an apple_health_export folder, or a person's folder holding either (the
    person is that folder's name)."""
    if entry.is_file():
        return entry if entry.name == ZIP_NAME else None
    if entry.name == EXPORT_FOLDER:
        return entry
    for export in (entry / ZIP_NAME, entry / EXPORT_FOLDER):
        if export.exists():
            return export
    return None


PARTITIONED = Partitioned(
    APPLE_EXPORTS, "apple_health_source", configured_apple_exports, dropped_apple_exports
)


def apple_exports(lake: Lake, apple: SourcePath, simulate: bool) -> list[SourceFile]:
    """The configured exports (or the sample), then the exports in the inbox."""
    return discover(NAME, claims_apple_export, PARTITIONED, lake, apple, simulate)
