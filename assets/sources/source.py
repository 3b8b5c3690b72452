"""What the platform knows of a source, so the stages and the assembly iterate the registry
(`assets/sources/registry.py`) instead of naming sources.

A source is one package under `assets/sources/`: its Dagster definitions, its resource, where
its files are, and one `Source` value that ties them together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from assets.lake.resources import Lake


class SourcePath(dg.ConfigurableResource):
    """Where a source reads its input; empty means its simulated sample."""

    path: str = ""


# Watches pause on their own (auto-pause, a stop at a crossing): a gap is no reason to drop the
# run, and the grid masks heart rate across it. Gate 7's gap rule stays FitRec's.
WATCH_GATES = {"gps_gap_reject_s": math.inf}


def signature(path: Path) -> str | None:
    """Files, bytes and newest mtime (ns) under `path`; None when it holds no file yet."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    if not files:
        return None
    stats = [f.stat() for f in files]
    size = sum(s.st_size for s in stats)
    return f"{len(files)}-{size}-{max(s.st_mtime_ns for s in stats)}"


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


def as_is(workouts: pl.LazyFrame) -> pl.LazyFrame:
    return workouts


@dataclass(frozen=True)
class Partitioned:
    """A source ingested one dynamic partition per file (or per person's export).

    `configured(lake, resource, simulate)` lists the configured files, else the simulated
    sample (written first when `simulate`); `dropped(path)` the files of one inbox drop;
    `source_asset` is the asset whose materializations carry each file's `signature`.
    """

    partitions: dg.DynamicPartitionsDefinition
    source_asset: str
    configured: Callable[[Lake, SourcePath, bool], list[SourceFile]]
    dropped: Callable[[Path], list[SourceFile]]


@dataclass(frozen=True)
class FromTable:
    """What a source derives from one of its tables (the asset's name) for a later stage."""

    asset: str
    derive: Callable[[pl.DataFrame], Any]


@dataclass(frozen=True)
class Source:
    """One source, as the stages and the assembly see it.

    `name` is its resource key, its `source` column value and its inbox tag; `workouts_asset`
    is its table in the unified workout schema (after `unified`), which the quality gates read;
    `claims(entry)` says which path of an inbox entry it reads (None: not its own);
    `truth(lake, resource, source_table)` gives the simulator's latent heart rate of its
    workouts (`assets/evaluation/latent.py`; the table is None when it is not partitioned), or
    nothing for real data; `artifact_log(source_table)` reads the artifacts its simulated input
    injected (scored in the quality audit), None for real data; `audit_notes` gives Markdown
    lines for the quality audit, `quality_classes` a (workout, quality_class) frame that the
    evaluation breaks its errors down by. Where no path is configured, the source's own
    discovery writes its simulated sample, the embedded default (`Partitioned.configured` with
    `simulate`, or the folder an unpartitioned source's asset reads)."""

    name: str
    resource: type[SourcePath]
    env_var: str
    description: str
    assets: Sequence
    checks: Sequence
    workouts_asset: str
    claims: Callable[[Path], Path | None]
    unified: Callable[[pl.LazyFrame], pl.LazyFrame] = as_is
    partitioned: Partitioned | None = None
    truth: Callable[..., list[pl.LazyFrame | None]] = field(default=lambda *_: [])
    artifact_log: Callable[[pl.DataFrame], pl.DataFrame | None] | None = None
    audit_notes: FromTable | None = None
    quality_classes: FromTable | None = None
    # GateConfig thresholds this source gates by instead of the launchpad's (its devices differ)
    gate_overrides: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self):
        strays = {
            key.to_user_string(): group
            for asset in self.assets
            for key, group in asset.group_names_by_key.items()
            if group != self.group
        }
        if strays:
            raise ValueError(f"source {self.name!r}: assets outside group {self.group}: {strays}")

    @property
    def group(self) -> str:
        """The ingestion asset group, which is also the ingestion job's name: an asset of the
        source outside it would be left out of its job, so construction refuses one."""
        return f"{self.name}_ingestion"


def by_key(configured: list[SourceFile], dropped: list[SourceFile]) -> list[SourceFile]:
    """One file per key; a drop under a configured file's key is the newer version."""
    return list({f.key: f for f in [*configured, *dropped]}.values())


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
