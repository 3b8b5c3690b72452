"""The lake's inbox: what a file or folder dropped into `<lake>/inbox/` is, and its version.

Copy a drop in under a dot name and rename it when complete: names starting with a dot are
ignored, so a half-copied file is never ingested. Which source a drop feeds is the first
source, in registry order, whose `claims` takes it; a partitioned source looks only at its own
claims when it finds a partition's file, so partitioned sources' claims must not overlap.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from assets.sources.source import signature

INBOX = "inbox"


@dataclass(frozen=True)
class Drop:
    """One thing dropped into the inbox: the source it feeds, the path that source should read,
    and the file count, bytes and latest mtime that identify this version of it."""

    source: str
    path: Path
    signature: str


def drop_source(
    entry: Path, claims: Mapping[str, Callable[[Path], Path | None]]
) -> tuple[str, Path] | None:
    """Which source an inbox entry feeds and the path to give it; None for anything else."""
    if entry.name.startswith(".") or not (entry.is_file() or entry.is_dir()):
        return None
    for source, claim in claims.items():
        path = claim(entry)
        if path is not None:
            return source, path
    return None


def inbox_drops(inbox: Path, claims: Mapping[str, Callable[[Path], Path | None]]) -> list[Drop]:
    """Every drop in the inbox that one of the sources claims, in name order."""
    if not inbox.is_dir():
        return []
    drops = []
    for entry in sorted(inbox.iterdir()):
        found = drop_source(entry, claims)
        version = found and signature(found[1])
        if version:
            drops.append(Drop(found[0], found[1].resolve(), version))
    return drops
