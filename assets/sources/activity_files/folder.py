"""A folder of activity files, or Strava bulk exports, -> unified workouts and a quarantine.

Layout: the folder is one person (its name), or holds one sub-folder per person; a folder with
an `activities.csv` is a Strava export (one person, the export folder's name) whose CSV gives
each file's Activity ID (the workout id) and Activity Type (the sport). Other files' ids are
their paths relative to the folder. Every readable activity becomes a workout, running or not:
the gates downstream decide and record why. Unreadable files, CSV rows naming a file that is
missing or outside the export, and symlinks leading out of the folder go to the quarantine with
the reason; nothing is dropped silently. Files that are not activities (the CSVs, photos) are
listed as skipped.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.lake.parallel import map_in_processes
from assets.sources.activity_files.readers import (
    Activity,
    ActivityFileError,
    activity_format,
    read_activities,
)
from assets.sources.geo import haversine_m
from assets.sources.unify import UNIFIED
from schemas.activity_files import ActivityQuarantine
from schemas.tables import polars_schema

SOURCE = "activity_files"
STRAVA_INDEX = "activities.csv"
# Sixty-four files take a few seconds in one process; below that, spawning workers costs more.
FILES_PER_TASK = 64
RUNNING_WORDS = {"run", "running"}
# Strava's GPX <type> is its numeric activity code: 9 is Run (1 Ride, 10 Walk, ... stay as is).
STRAVA_RUN_CODE = "9"
# A file that names no sport, or FIT's 'generic', is a run when its median moving speed is a
# runner's (a walk is slower, a ride mostly faster).
UNDECLARED = {None, "generic", "not stated"}
RUNNING_SPEED_KMH = (6.0, 16.0)
MOVING_KMH = 3.0
QUARANTINE_SCHEMA = polars_schema(ActivityQuarantine)


def gate_sport(declared: str | None, median_speed_kmh: float | None = None) -> str | None:
    """'run' for every running type however a format spells it (FIT 'running', TCX 'Running',
    Strava 'Trail Run', 'Virtual Run' or GPX code 9, 'treadmill_running'), and for an undeclared
    or 'generic' sport at a runner's median speed; other sports lower-cased."""
    text = (declared or "").strip()
    if text == STRAVA_RUN_CODE:
        return "run"
    words = re.split(r"[\s_\-]+", text.lower()) if text else []
    if (" ".join(words) or None) in UNDECLARED and median_speed_kmh is not None:
        low, high = RUNNING_SPEED_KMH
        if low <= median_speed_kmh <= high:
            return "run"
    if not words:
        return None
    return "run" if RUNNING_WORDS & set(words) else " ".join(words)


def median_moving_speed(activity: Activity) -> float | None:
    """Median speed (km/h) over the samples faster than a stroll: recorded, else from positions
    between consecutive samples; None when neither is there."""
    series = activity.series.with_columns(
        derived=haversine_m("latitude", "longitude") / pl.col("timestamp").diff() * 3.6
    )
    speed = series.select(pl.coalesce("speed", "derived"))[:, 0]
    moving = speed.filter(speed > MOVING_KMH)
    return float(moving.median()) if len(moving) else None


def activity_sport(activity: Activity, declared: str | None = None) -> str | None:
    """The gate's sport for an activity: `declared` (a Strava export's type) or the file's."""
    declared = declared or activity.sport
    return gate_sport(declared, median_moving_speed(activity))


@dataclass(frozen=True)
class StravaEntry:
    activity_id: str
    activity_type: str | None
    user_id: str


@dataclass(frozen=True)
class Inventory:
    """What a folder holds: activity files (resolved, sorted), files that are not activities,
    and problems found before reading (file, reason)."""

    root: Path
    activity_files: list[Path]
    skipped: list[Path]
    strava: dict[Path, StravaEntry]
    problems: list[tuple[str, str]]


def strava_exports(root: Path) -> list[Path]:
    """The folder itself when it is a Strava export, else its sub-folders that are."""
    if (root / STRAVA_INDEX).is_file():
        return [root]
    return sorted(d for d in root.iterdir() if d.is_dir() and (d / STRAVA_INDEX).is_file())


def read_strava_index(export: Path) -> tuple[dict[Path, StravaEntry], list[tuple[str, str]]]:
    """activities.csv: each row with a Filename, keyed by the file's resolved path; rows whose
    file escapes the export or is missing become problems. Rows without a file (manual entries)
    hold no workout samples and are left out."""
    index = export / STRAVA_INDEX
    try:
        table = pl.read_csv(index, infer_schema=False)
    except pl.exceptions.PolarsError as error:
        return {}, [(str(index), f"{index}: not a readable activities.csv: {error}")]
    missing = {"Activity ID", "Filename"} - set(table.columns)
    if missing:
        return {}, [(str(index), f"{index}: no {', '.join(sorted(missing))} column")]
    types = table["Activity Type"] if "Activity Type" in table.columns else [None] * table.height
    entries, problems, inside = {}, [], export.resolve()
    for line, (activity_id, name, kind) in enumerate(
        zip(table["Activity ID"], table["Filename"], types, strict=True), start=2
    ):
        if not name:
            continue
        path = (export / name).resolve()
        where = f"{index} line {line}"
        if not path.is_relative_to(inside):
            problems.append(
                (f"{export}/{name}", f"{where}: Filename {name!r} is outside the export")
            )
        elif not path.is_file():
            problems.append((str(path), f"{where}: Filename {name!r} is not in the export"))
        else:
            entries[path] = StravaEntry(activity_id, kind, export.name)
    return entries, problems


def is_activity(path: Path, exports: list[Path], strava: dict[Path, StravaEntry]) -> bool:
    """An activity file by its suffix; inside a Strava export only what activities.csv lists
    or what lies in its activities/ folder (the export's other CSVs are not workouts)."""
    if activity_format(path) is None:
        return False
    export = next((e for e in exports if path.is_relative_to(e)), None)
    return export is None or path in strava or path.is_relative_to(export / "activities")


def take_inventory(root: str | Path) -> Inventory:
    """Every file under `root` (symlinks are not followed out of it), sorted by path."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise ActivityFileError(f"{root}: not a folder")
    strava, problems = {}, []
    for export in strava_exports(root):
        entries, found = read_strava_index(export)
        strava.update(entries)
        problems += found
    exports = [export.resolve() for export in strava_exports(root)]
    activities, skipped = [], []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                problems.append((str(path), f"{path}: a link to a file outside {root}"))
            elif is_activity(path.resolve(), exports, strava):
                activities.append(path.resolve())
            else:
                skipped.append(path)
    return Inventory(root, sorted(activities), skipped, strava, problems)


def user_of(path: Path, inventory: Inventory) -> str:
    """The Strava export's folder name, else the sub-folder of the root holding the file, else
    the root's name."""
    if path in inventory.strava:
        return inventory.strava[path].user_id
    parts = path.relative_to(inventory.root).parts
    return parts[0] if len(parts) > 1 else inventory.root.name


def unified_row(
    activity: Activity, workout_id: str, user_id: str, sport: str | None, source: str = SOURCE
) -> pl.DataFrame:
    """One workout in the unified schema; a series the file never filled is null (missing),
    so the gates name it and speed is derived from positions where there is none."""
    series = activity.series
    present = {name: series[name].is_not_null().any() for name in series.columns}
    return (
        series.select(
            pl.col(name).implode() if present[name] else pl.lit(None).alias(name)
            for name in series.columns
        )
        .with_columns(
            source=pl.lit(source),
            workout_id=pl.lit(workout_id),
            user_id=pl.lit(user_id),
            sport=pl.lit(sport, pl.String),
            gender=pl.lit("unknown"),
            start_time=pl.lit(activity.start_time),
            source_file=pl.lit(str(activity.path)),
        )
        .select(UNIFIED.names())
        .cast(dict(UNIFIED))
    )


def read_batch(paths: list[Path]) -> list[list[Activity] | str]:
    """Each file's activities, or the reason it could not be read."""
    found: list[list[Activity] | str] = []
    for path in paths:
        try:
            found.append(read_activities(path))
        except ActivityFileError as error:
            found.append(str(error))
    return found


def read_folder(
    root: str | Path, workers: int | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, Inventory]:
    """(workouts in the unified schema, quarantine (file, reason), what the folder held).
    Files are parsed in worker processes (FILES_PER_TASK at a time)."""
    inventory = take_inventory(root)
    paths = inventory.activity_files
    tasks = [(paths[i : i + FILES_PER_TASK],) for i in range(0, len(paths), FILES_PER_TASK)]
    read = [one for batch in map_in_processes(read_batch, tasks, workers) for one in batch]
    rows, quarantine, seen = [], list(inventory.problems), {}
    for path, activities in zip(paths, read, strict=True):
        entry = inventory.strava.get(path)
        relative = path.relative_to(inventory.root).as_posix()
        workout_id = entry.activity_id if entry and entry.activity_id else relative
        if workout_id in seen:
            quarantine.append(
                (
                    str(path),
                    f"{path}: workout id {workout_id} was already read from {seen[workout_id]}",
                )
            )
            continue
        if isinstance(activities, str):
            quarantine.append((str(path), activities))
            continue
        seen[workout_id] = str(path)
        declared = entry.activity_type if entry and entry.activity_type else None
        for activity in activities:
            part = workout_id + (f"#{activity.part}" if activity.part else "")
            sport = activity_sport(activity, declared)
            rows.append(unified_row(activity, part, user_of(path, inventory), sport))
    # One frame of one chunk: concatenated one-row frames keep a chunk per row, and after the
    # gates filter rows out, columns chunked unlike their neighbours (some chunks empty) make
    # polars' streaming pl.format panic (`assertion failed: i < self.len()`).
    workouts = pl.concat([UNIFIED.to_frame(), *rows], rechunk=True)
    return workouts, pl.DataFrame(quarantine, schema=QUARANTINE_SCHEMA, orient="row"), inventory
