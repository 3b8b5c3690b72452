"""The lake's inbox: what a file or folder dropped into `<lake>/inbox/` is, and its version.

Copy a drop in under a dot name and rename it when complete: names starting with a dot are
ignored, so a half-copied file is never ingested.
"""

from dataclasses import dataclass
from pathlib import Path

from assets.apple_export import EXPORT_FOLDER, ZIP_NAME

INBOX = "inbox"
FITREC_SUFFIXES = (".json", ".json.gz")


@dataclass(frozen=True)
class Drop:
    """One thing dropped into the inbox: the source it feeds, the path that source should read,
    and the file count, bytes and latest mtime that identify this version of it."""

    source: str
    path: Path
    signature: str


def drop_source(entry: Path) -> tuple[str, Path] | None:
    """Which source an inbox entry feeds and the path to give it; None for anything else.

    FitRec files by suffix; an Apple export as export.zip, an apple_health_export folder, or a
    person's folder holding either (the person is that folder's name); any other folder is
    activity files (one person's files or a Strava export).
    """
    if entry.name.startswith("."):
        return None
    if entry.is_file():
        if entry.name.endswith(FITREC_SUFFIXES):
            return "fitrec", entry
        return ("apple_health", entry) if entry.name == ZIP_NAME else None
    if not entry.is_dir():
        return None
    if entry.name == EXPORT_FOLDER:
        return "apple_health", entry
    for export in (entry / ZIP_NAME, entry / EXPORT_FOLDER):
        if export.exists():
            return "apple_health", export
    return "activity_files", entry


def signature(path: Path) -> str | None:
    """Files, bytes and newest mtime (ns) under `path`; None when it holds no file yet."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    if not files:
        return None
    stats = [f.stat() for f in files]
    size = sum(s.st_size for s in stats)
    return f"{len(files)}-{size}-{max(s.st_mtime_ns for s in stats)}"


def inbox_drops(inbox: Path) -> list[Drop]:
    """Every ingestible drop in the inbox, in name order."""
    if not inbox.is_dir():
        return []
    drops = []
    for entry in sorted(inbox.iterdir()):
        found = drop_source(entry)
        version = found and signature(found[1])
        if version:
            drops.append(Drop(found[0], found[1].resolve(), version))
    return drops
