"""The runs of a folder of real activity files, read as `pulselake predict` reads them, and the
checkpoints that score them.

The folder holds one sub-folder per runner. Every running activity of every file is a run
(`assets.prediction.predict_file.read_runs`); an activity of another sport is left out, and a second
recording of a run already counted (two watches on one run) is left out too, so no run weighs
twice. What cannot be read is refused with its reason; nothing stops on one file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from assets.evaluation.production import CHECKPOINT, PRODUCTION
from assets.prediction.predict_file import read_runs as read_predictable
from assets.sources.activity_files.folder import activity_sport, take_inventory
from assets.sources.activity_files.readers import Activity
from assets.training.defs import latest_checkpoint
from assets.training.families import FAMILIES

# Two recordings of one run (two watches, or a file exported twice): same runner, and their time
# spans overlap by more than this share of the shorter one.
DUPLICATE_OVERLAP = 0.5

Labelled = tuple[str, str]  # (file relative to the folder, "#k" for its k-th activity; reason)


@dataclass
class Run:
    """One activity of one file: what was read, and what each model and baseline scored."""

    id: str  # the file relative to the folder, "#k" appended when the file held several
    runner: str
    activity: Activity
    minutes: float = math.nan
    steps: int = 0  # scored steps on the production grid
    coverage: float = math.nan  # share of the grid's steps after the first minute that score
    mae: dict[str, float] = field(default_factory=dict)
    earlier: list[Run] = field(default_factory=list)  # the runner's runs that started before

    @property
    def start(self) -> datetime:
        return self.activity.start_time

    @property
    def span(self) -> tuple[int, int]:
        stamps = self.activity.series["timestamp"]
        return int(stamps.min()), int(stamps.max())


def read_runs(root: Path) -> tuple[list[Run], list[Labelled], list[Labelled]]:
    """(every run under `root`, (file, reason) of what could not be read, (activity, why) of
    what was left out). The runner is the first folder below `root`."""
    inventory = take_inventory(root)
    refused = [(str(file), str(reason)) for file, reason in inventory.problems]
    left_out, runs = [], []
    for path in inventory.activity_files:
        relative = path.relative_to(root)
        runner = relative.parts[0] if len(relative.parts) > 1 else root.name
        found, errors, notes = read_predictable([path])
        refused += [labelled(error, path, relative) for error in errors]
        left_out += [labelled(note, path, relative) for note in notes]
        activities = [activity for _, activity in found]
        for activity in activities:  # a file of several activities numbers them (`part`)
            part = activity.part
            run = Run(relative.as_posix() + (f"#{part}" if part else ""), runner, activity)
            sport = activity_sport(activity)
            if sport == "run":
                runs.append(run)
            else:  # `pulselake predict` predicts any file it is given; a run check scores runs
                left_out.append((run.id, f"left out, its sport is {sport!r}"))
    return runs, refused, left_out


def reason(error: Exception, path: Path) -> str:
    """The error's message without the path it starts with (the table names the file)."""
    return str(error).removeprefix(f"{path}: ")


def labelled(message: str, path: Path, relative: Path) -> Labelled:
    """("<file relative to the folder>[#k]", reason) of a message "<path>[#k]: <reason>"."""
    text = message.removeprefix(str(path))
    part, _, why = text.partition(": ") if text.startswith(("#", ":")) else ("", "", text)
    return relative.as_posix() + part.removeprefix(":"), why or text


def drop_duplicates(runs: list[Run]) -> tuple[list[Run], list[Labelled]]:
    """One run recorded twice (two watches) counts once: the first in file order is kept."""
    kept: list[Run] = []
    dropped = []
    for run in runs:
        start, end = run.span
        for other in kept:
            if other.runner != run.runner:
                continue
            o_start, o_end = other.span
            overlap = min(end, o_end) - max(start, o_start)
            shorter = max(min(end - start, o_end - o_start), 1)
            if overlap > DUPLICATE_OVERLAP * shorter:
                dropped.append(
                    (
                        run.id,
                        f"duplicate: the same run as {other.id} ({overlap / 60:.0f} min "
                        "overlap), counted once",
                    )
                )
                break
        else:
            kept.append(run)
    return kept, dropped


def checkpoints(lake: Path) -> dict[str, Path]:
    """The lake's production model and each family's latest cold-start (SCHEME) checkpoint, the
    newest file; production first, then the families by name."""
    found = {}
    if (lake / PRODUCTION / CHECKPOINT).is_file():
        found["production"] = lake / PRODUCTION / CHECKPOINT
    for family in sorted(FAMILIES):
        latest = latest_checkpoint(lake, family)
        if latest:
            found[family] = latest
    return found
