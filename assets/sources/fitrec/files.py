"""Where FitRec files are: the configured file or folder, else the simulated sample; a dropped
`.json`/`.json.gz` in the inbox. One dynamic partition per file, keyed by its name."""

import re
import shutil
import tempfile
from pathlib import Path

import dagster as dg

from assets.lake.resources import Lake
from assets.sources.files import discover
from assets.sources.source import Partitioned, SourceFile, SourcePath
from simulator import SAMPLE_PRESET, truth_dir_for, write_fitrec

NAME = "fitrec"
FITREC_FILES = dg.DynamicPartitionsDefinition(name="fitrec_files")
FITREC_SUFFIXES = (".json", ".json.gz")
SIMULATED_FITREC = Path("raw", "fitrec", "endomondo_simulated.json")
FITREC_SAMPLE_SEED = 20_140_824


class FitrecSource(SourcePath):
    """Which FitRec/Endomondo file to ingest (plain or .gz); empty means the simulated sample."""


def ensure_simulated_fitrec(path: Path) -> Path:
    """The embedded default: write the small simulated FitRec sample unless it is already there.

    Written in a scratch folder and moved into place file last, so an interrupted generation never
    leaves a partial sample that later runs would take for the real thing.
    """
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".simulating-") as scratch:
        written = write_fitrec(Path(scratch, path.name), seed=FITREC_SAMPLE_SEED, **SAMPLE_PRESET)
        truth = truth_dir_for(path)
        if truth.exists():
            shutil.rmtree(truth)
        written.truth_dir.rename(truth)
        written.path.rename(path)
    return path


def fitrec_key(path: Path) -> str:
    """A FitRec file's partition key: its name without .json/.json.gz, safe as a file name."""
    name = path.name.removesuffix(".gz").removesuffix(".json")
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _fitrec_paths(root: Path) -> list[Path]:
    """A configured file, or every .json/.json.gz in a configured folder (dot names skipped)."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    found = (p for p in root.iterdir() if p.name.endswith(FITREC_SUFFIXES))
    return sorted(p for p in found if not p.name.startswith("."))


def configured_fitrec_files(lake: Lake, fitrec: SourcePath, simulate: bool) -> list[SourceFile]:
    """The configured FitRec file (or every .json/.json.gz in a configured folder), else the
    simulated sample (written first when `simulate`)."""
    name = FITREC_FILES.name
    if fitrec.path:
        paths = _fitrec_paths(Path(fitrec.path))
        return [SourceFile(name, fitrec_key(p), p.resolve()) for p in paths]
    sample = lake.path(SIMULATED_FITREC)
    if simulate:
        ensure_simulated_fitrec(sample)
    return (
        [SourceFile(name, fitrec_key(sample), sample.resolve(), True)] if sample.is_file() else []
    )


def dropped_fitrec_file(path: Path) -> list[SourceFile]:
    return [SourceFile(FITREC_FILES.name, fitrec_key(path), path)]


def claims_fitrec(entry: Path) -> Path | None:
    """An inbox entry is a FitRec file by its suffix."""
    return entry if entry.is_file() and entry.name.endswith(FITREC_SUFFIXES) else None


PARTITIONED = Partitioned(
    FITREC_FILES, "fitrec_source", configured_fitrec_files, dropped_fitrec_file
)


def fitrec_files(lake: Lake, fitrec: SourcePath, simulate: bool) -> list[SourceFile]:
    """The configured files (or the sample), then the FitRec files in the inbox."""
    return discover(NAME, claims_fitrec, PARTITIONED, lake, fitrec, simulate)
