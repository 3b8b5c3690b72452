"""The lake resource: the storage root every path the project writes derives from."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

DEFAULT_LAKE = "data_lake"


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


def lake_root() -> str:
    return os.environ.get("PULSELAKE_LAKE", DEFAULT_LAKE)
