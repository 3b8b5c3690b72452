"""Resources, configured in one place (`lake_resources`) from the environment, with defaults."""

from __future__ import annotations

import os
from collections.abc import Sequence

from assets.lake.io_manager import LakeParquetIOManager
from assets.lake.resources import Lake, lake_root
from assets.reality.resource import ENV_VAR as REALITY_CHECK_ENV
from assets.reality.resource import RealityCheck
from assets.sources.registry import SOURCES
from assets.sources.source import Source
from assets.training.launcher import training_launcher


def lake_resources(
    root: str | None = None,
    sources: Sequence[Source] = SOURCES,
    reality_check: str | None = None,
    **paths: str,
) -> dict:
    """Every resource of the code location: the lake, each source's resource (its path from
    `paths[<source name>]`, else its environment variable, else the simulated sample), the IO
    manager, the trainer and the reality check's folder (`reality_check`, else
    PULSELAKE_REALITY_CHECK, else none); tests pass a temp `root` (and sources' paths)."""
    unknown = set(paths) - {source.name for source in sources}
    if unknown:
        raise ValueError(f"no source named {sorted(unknown)}")
    root = root or lake_root()
    return {
        "lake": Lake(root=root),
        **{
            source.name: source.resource(
                path=paths.get(source.name) or os.environ.get(source.env_var, "")
            )
            for source in sources
        },
        "io_manager": LakeParquetIOManager(root=root),
        # Training runs `python -m models.entry` through Dagster Pipes: a subprocess, or a GPU pod.
        "trainer": training_launcher(root),
        # Real activity files the lake's models are scored on; empty: no real-data check.
        "reality_check": RealityCheck(
            path=os.environ.get(REALITY_CHECK_ENV, "") if reality_check is None else reality_check
        ),
    }
