"""Strava-like bulk exports for a few simulated runners, plus the noise-free truth beside them.

Each runner gets a folder `<out>/runner_<k>/` holding `activities.csv` (Strava's columns) and
`activities/<Activity ID>.<fit.gz|gpx.gz|tcx.gz|tcx>`: mostly runs and one ride, physiology from
`core.simulate`, recorded as a chest strap and GPS would (`fitrec.recorded_workouts`), at a
device's pace of a few seconds a sample. One run's FIT file is corrupted (a flipped byte, so its
CRC fails) so the quarantine is exercised. The truth sidecar `<out>.truth/` holds
`latent_hr.parquet` (workout_id = Activity ID as the unified table has it, timestamp and
latent_hr lists on the files' clock), `artifacts.parquet` (the sensor artifacts injected) and
`users.parquet`. The same seed gives the same bytes (gzip headers carry no name or time).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from simulator.activity_writers import WRITERS, Recording
from simulator.config import DEFAULT_SPORTS, RUN, SimulatorConfig
from simulator.fitrec import recorded_workouts
from simulator.plans import Schedule, make_schedule
from simulator.population import Users, make_users

FORMATS = ("fit.gz", "gpx.gz", "tcx.gz", "tcx")
STRAVA_TYPES = {"run": "Run", "bike": "Ride"}
FIRST_ACTIVITY_ID = 9_000_000_000
# A device records every few seconds ("smart recording"): 600 samples at ~5 s is ~50 min.
DEVICE_CONFIG = SimulatorConfig(
    sports=(replace(DEFAULT_SPORTS[0], share=1.0), replace(DEFAULT_SPORTS[1], share=0.0)),
    points_per_workout=600,
    mean_step_s=5.0,
    era_start=int(datetime(2023, 1, 1, tzinfo=UTC).timestamp()),
    era_end=int(datetime(2025, 12, 31, tzinfo=UTC).timestamp()),
)
OTHERS_CONFIG = replace(
    DEVICE_CONFIG, sports=tuple(replace(s, share=1.0 - s.share) for s in DEVICE_CONFIG.sports)
)
SAMPLE_PRESET = {"runners": 3, "runs_per_runner": 15, "others_per_runner": 1}


@dataclass(frozen=True)
class ActivityFilesSummary:
    path: Path
    truth_dir: Path
    activities: int
    runs: int
    corrupt_file: Path


def truth_dir_for_folder(folder: Path) -> Path:
    """`<out>` -> sibling `<out>.truth/`, outside the folder a reader scans."""
    return folder.with_name(f"{folder.name}.truth")


def _schedule(
    rng: np.random.Generator, runners: int, runs: int, others: int
) -> tuple[Users, Schedule]:
    """Users, then runs and other activities per user, ordered by user and start."""
    users = make_users(rng, runners, DEVICE_CONFIG.era_start, DEVICE_CONFIG.era_end)
    parts = [make_schedule(rng, users, runs, DEVICE_CONFIG)]
    if others:
        parts.append(make_schedule(rng, users, others, OTHERS_CONFIG))
    merged = {k: np.concatenate([getattr(p, k) for p in parts]) for k in parts[0].__dict__}
    order = np.lexsort((merged["start"], merged["user"]))
    return users, Schedule(**{k: v[order] for k, v in merged.items()})


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def write_activity_files(
    out: str | Path,
    runners: int = 3,
    runs_per_runner: int = 15,
    others_per_runner: int = 1,
    seed: int = 0,
) -> ActivityFilesSummary:
    """Write the exports under `out` and the truth in `<out>.truth/`."""
    out = Path(out)
    truth = truth_dir_for_folder(out)
    truth.mkdir(parents=True, exist_ok=True)
    setup = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    users, sched = _schedule(setup, runners, runs_per_runner, others_per_runner)
    record = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    cols, log = recorded_workouts(record, users, sched, DEVICE_CONFIG)
    sports = np.array(DEVICE_CONFIG.sport_names, dtype=object)[sched.sport]
    rank = np.argsort(np.argsort(sched.start, kind="stable"), kind="stable")
    activity_ids = (FIRST_ACTIVITY_ID + 37 * rank).astype(str)
    folders = [f"runner_{k + 1}" for k in range(runners)]
    corrupt = int(np.flatnonzero(sports == RUN)[0])  # the first runner's first run
    rows = []
    for w in range(len(sched)):
        kind = FORMATS[w % len(FORMATS)]
        name = f"activities/{activity_ids[w]}.{kind}"
        started = datetime.fromtimestamp(int(sched.start[w]), UTC)
        title = f"{started:%A} {STRAVA_TYPES[sports[w]]}"
        data = WRITERS[kind.split(".")[0]](
            Recording(
                sports[w],
                title,
                cols["timestamp"][w],
                cols["heart_rate"][w],
                cols["speed"][w],
                cols["altitude"][w],
                cols["latitude"][w],
                cols["longitude"][w],
            )
        )
        if w == corrupt:
            data = data[:200] + bytes([data[200] ^ 0xFF]) + data[201:]
        path = out / folders[sched.user[w]] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_gz(data) if kind.endswith(".gz") else data)
        rows.append((int(sched.user[w]), str(activity_ids[w]), started, title, sports[w], name))
    index = pl.DataFrame(
        rows,
        schema=["user", "Activity ID", "started", "Activity Name", "sport", "Filename"],
        orient="row",
    ).select(
        "user",
        "Activity ID",
        pl.col("started").dt.strftime("%b %-d, %Y, %-I:%M:%S %p").alias("Activity Date"),
        "Activity Name",
        pl.col("sport").replace_strict(STRAVA_TYPES).alias("Activity Type"),
        pl.lit("").alias("Activity Description"),
        "Filename",
    )
    for (user,), part in index.group_by("user", maintain_order=True):
        part.drop("user").write_csv(out / folders[user] / "activities.csv")
    _write_truth(truth, users, folders, sports, activity_ids, cols, log)
    return ActivityFilesSummary(
        path=out,
        truth_dir=truth,
        activities=len(sched),
        runs=int(np.sum(sports == RUN)),
        corrupt_file=out / folders[sched.user[corrupt]] / index["Filename"][corrupt],
    )


def _write_truth(
    truth: Path,
    users: Users,
    folders: list[str],
    sports: np.ndarray,
    activity_ids: np.ndarray,
    cols: dict[str, np.ndarray],
    log: dict[str, np.ndarray],
) -> None:
    """latent_hr (runs only), artifacts and users parquet files; ids as the unified table's."""
    runs = np.flatnonzero(sports == RUN)
    pl.DataFrame(
        {
            "workout_id": activity_ids[runs],
            "timestamp": pl.Series(cols["timestamp"][runs].astype(np.int64)).arr.to_list(),
            "latent_hr": pl.Series(cols["latent_hr"][runs].astype(np.float32)).arr.to_list(),
        }
    ).write_parquet(truth / "latent_hr.parquet")
    pl.DataFrame(
        {
            "workout_id": activity_ids[log["row"]],
            "kind": log["kind"].astype(str),
            "start_index": log["start"].astype(np.int32),
            "end_index": log["end"].astype(np.int32),  # exclusive
            "magnitude": log["magnitude"],
        }
    ).write_parquet(truth / "artifacts.parquet")
    pl.DataFrame(users.table()).with_columns(user_id=pl.Series(folders)).write_parquet(
        truth / "users.parquet"
    )
