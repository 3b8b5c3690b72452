"""The raw files behind the partitioned ingestion: one dynamic partition per file (a FitRec
file, a person's Apple Health export), so a new file costs one partition's work, not a rebuild
of every source.

A partition key names its file, and the file is found again by looking where the source is
configured (or at the simulated sample, the embedded default) and in the lake's inbox, so no
other record of paths can go stale. A key found in both places is the inbox's: a drop under the
same name is the newer version.
"""

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import dagster as dg

from assets.lake.resources import Lake
from assets.sources.inbox import INBOX, inbox_drops
from assets.sources.source import Partitioned, Source, SourceFile, SourcePath, by_key


def discover(
    name: str,
    claims: Callable[[Path], Path | None],
    partitioned: Partitioned,
    lake: Lake,
    resource: SourcePath,
    simulate: bool,
) -> list[SourceFile]:
    """One partitioned source's files: configured (or the sample), then its inbox drops."""
    configured = partitioned.configured(lake, resource, simulate)
    drops = inbox_drops(lake.path(INBOX), {name: claims})
    return by_key(configured, [f for drop in drops for f in partitioned.dropped(drop.path)])


def source_files(
    sources: Sequence[Source], resources: Mapping, lake: Lake, simulate: bool
) -> list[SourceFile]:
    """Every file of every partitioned source; `resources` maps a source's name to its
    configured resource."""
    return [
        found
        for source in sources
        if source.partitioned
        for found in discover(
            source.name,
            source.claims,
            source.partitioned,
            lake,
            resources[source.name],
            simulate,
        )
    ]


def register_partitions(
    instance: dg.DagsterInstance, sources: Sequence[Source], files: list[SourceFile]
) -> dict:
    """Add a dynamic partition for every file whose key is new; returns the new keys by
    partitions definition."""
    added = {}
    for source in sources:
        if source.partitioned is None:
            continue
        name = source.partitioned.partitions.name
        keys = sorted({f.key for f in files if f.partitions == name})
        new = [k for k in keys if not instance.has_dynamic_partition(name, k)]
        if new:
            instance.add_dynamic_partitions(name, new)
        added[name] = new
    return added
