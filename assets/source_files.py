"""The raw files behind the partitioned ingestion: one dynamic partition per FitRec file and one
per Apple Health export (a person), so a new file or a new person's export costs one partition's
work, not a rebuild of every source.

A partition key names its file, and the file is found again by looking where the source is
configured (or at the simulated sample, the embedded default) and in the lake's inbox, so no
other record of paths can go stale. A key found in both places is the inbox's: a drop under the
same name is the newer version.
"""

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from assets.apple_export import find_exports
from assets.inbox import FITREC_SUFFIXES, INBOX, inbox_drops, signature
from pipelines.resources import (
    SIMULATED_APPLE,
    SIMULATED_FITREC,
    AppleHealthSource,
    FitrecSource,
    Lake,
)
from simulator import (
    APPLE_SAMPLE_PRESET,
    SAMPLE_PRESET,
    truth_dir_for,
    write_apple_exports,
    write_fitrec,
)

FITREC_FILES = dg.DynamicPartitionsDefinition(name="fitrec_files")
APPLE_EXPORTS = dg.DynamicPartitionsDefinition(name="apple_exports")
FITREC_SAMPLE_SEED = 20_140_824
APPLE_SAMPLE_SEED = 20_190_601


@dataclass(frozen=True)
class SourceFile:
    """One partition's raw input: its partitions definition's name, key and path."""

    partitions: str
    key: str
    path: Path
    simulated: bool = False

    @property
    def signature(self) -> str | None:
        return signature(self.path)


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


def fitrec_key(path: Path) -> str:
    """A FitRec file's partition key: its name without .json/.json.gz, safe as a file name."""
    name = path.name.removesuffix(".gz").removesuffix(".json")
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _by_key(configured: list[SourceFile], dropped: list[SourceFile]) -> list[SourceFile]:
    return list({f.key: f for f in [*configured, *dropped]}.values())


def _fitrec_paths(root: Path) -> list[Path]:
    """A configured file, or every .json/.json.gz in a configured folder (dot names skipped)."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    found = (p for p in root.iterdir() if p.name.endswith(FITREC_SUFFIXES))
    return sorted(p for p in found if not p.name.startswith("."))


def fitrec_files(lake: Lake, fitrec: FitrecSource, simulate: bool) -> list[SourceFile]:
    """The configured FitRec file (or every .json/.json.gz in a configured folder), else the
    simulated sample (written first when `simulate`), then the FitRec files in the inbox."""
    name = FITREC_FILES.name
    if fitrec.path:
        paths = _fitrec_paths(Path(fitrec.path))
        configured = [SourceFile(name, fitrec_key(p), p.resolve()) for p in paths]
    else:
        sample = lake.path(SIMULATED_FITREC)
        if simulate:
            ensure_simulated_fitrec(sample)
        configured = (
            [SourceFile(name, fitrec_key(sample), sample.resolve(), True)]
            if sample.is_file()
            else []
        )
    dropped = [
        SourceFile(name, fitrec_key(drop.path), drop.path)
        for drop in inbox_drops(lake.path(INBOX))
        if drop.source == "fitrec"
    ]
    return _by_key(configured, dropped)


def apple_exports(lake: Lake, apple: AppleHealthSource, simulate: bool) -> list[SourceFile]:
    """One per person: the configured exports, else the simulated sample (written first when
    `simulate`), then the exports in the inbox; the key is the person (their folder's name)."""
    name = APPLE_EXPORTS.name
    root = Path(apple.path) if apple.path else lake.path(SIMULATED_APPLE)
    if simulate and not apple.path:
        ensure_simulated_exports(root)
    configured = [
        SourceFile(name, e.user_id, e.path.resolve(), not apple.path)
        for e in (find_exports(root) if root.exists() else [])
    ]
    dropped = [
        SourceFile(name, e.user_id, e.path.resolve())
        for drop in inbox_drops(lake.path(INBOX))
        if drop.source == "apple_health"
        for e in find_exports(drop.path)
    ]
    return _by_key(configured, dropped)


def source_files(
    lake: Lake, fitrec: FitrecSource, apple: AppleHealthSource, simulate: bool
) -> list[SourceFile]:
    """Every FitRec file and Apple export of the partitioned ingestion."""
    return [*fitrec_files(lake, fitrec, simulate), *apple_exports(lake, apple, simulate)]


def partition_file(
    discover: Callable[[bool], list[SourceFile]], key: str, where: str
) -> SourceFile:
    """The file of partition `key`, or a failure saying where it was looked for.
    `discover(simulate)` lists the files; the sample is written only when the key is nowhere."""
    files = discover(False)
    if key not in {f.key for f in files}:
        files = discover(True)
    for found in files:
        if found.key == key:
            return found
    known = ", ".join(sorted(f.key for f in files)) or "none"
    raise dg.Failure(
        f"partition {key!r} has no file any more: looked in {where} and the lake's inbox "
        f"(partitions found there: {known})"
    )


def register_partitions(instance: dg.DagsterInstance, files: list[SourceFile]) -> dict:
    """Add a dynamic partition for every file whose key is new; returns the new keys by
    partitions definition."""
    added = {}
    for partitions in (FITREC_FILES, APPLE_EXPORTS):
        keys = sorted({f.key for f in files if f.partitions == partitions.name})
        new = [k for k in keys if not instance.has_dynamic_partition(partitions.name, k)]
        if new:
            instance.add_dynamic_partitions(partitions.name, new)
        added[partitions.name] = new
    return added
