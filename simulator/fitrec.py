"""FitRec/Endomondo writer: byte-faithful `repr(dict)` lines plus a noise-free truth sidecar.

Lines are assembled with polars string kernels, never per-value Python formatting, so
multi-GB files are cheap. Polars prints floats like Python's repr except for magnitudes below
1e-4 (it avoids scientific notation); such values are zeroed before formatting.
"""

from __future__ import annotations

import gzip
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.config import RUN, SimulatorConfig
from simulator.core import Trajectory, simulate
from simulator.plans import WORKOUT_TYPES, Schedule, make_schedule, record_offsets
from simulator.population import SEXES, Users, make_users
from simulator.sensor import measure

URL = "https://www.endomondo.com/users/"
GROUP = 250  # workouts per 1 Hz grid
WORKERS = 2  # batches simulated concurrently (numpy and polars release the GIL); bounds memory


@dataclass(frozen=True)
class FitrecSummary:
    path: Path
    truth_dir: Path
    lines: int
    running_lines: int
    bytes: int  # size of the file on disk (compressed for .json.gz)


def truth_dir_for(path: Path) -> Path:
    """`x.json` / `x.json.gz` -> sibling directory `x.truth/`."""
    name = path.name.removesuffix(".gz").removesuffix(".json")
    return path.with_name(f"{name}.truth")


def _joined(values: np.ndarray) -> pl.Series:
    """[W, n] numbers -> W strings '[v0, v1, ...]' formatted as Python's repr would."""
    if values.dtype.kind == "f":
        values = np.where(np.abs(values) < 1e-4, 0.0, values) + 0.0  # also turns -0.0 into 0.0
    w, n = values.shape
    text = pl.Series(values.ravel()).cast(pl.String).reshape((w, n)).arr.join(", ")
    return "[" + text + "]"


def format_lines(
    sched: Schedule,
    users: Users,
    sport_names: tuple[str, ...],
    columns: dict[str, np.ndarray],
    has_speed: np.ndarray,
) -> pl.Series:
    """One dict literal per workout (no newline), keys in FitRec order, `speed` if `has_speed`."""
    w = len(sched)
    speed = pl.Series("speed", [None] * w, dtype=pl.String)
    rows = np.flatnonzero(has_speed)
    if len(rows):
        speed = speed.scatter(rows, _joined(columns["speed"][rows]))
    uid = users.user_id[sched.user]
    frame = pl.DataFrame(
        {
            "lon": _joined(columns["longitude"]),
            "alt": _joined(columns["altitude"]),
            "lat": _joined(columns["latitude"]),
            "sport": np.array(sport_names, dtype=object)[sched.sport].tolist(),
            "id": sched.workout_id.astype(str),
            "hr": _joined(columns["heart_rate"]),
            "gender": np.array(SEXES, dtype=object)[users.sex[sched.user]].tolist(),
            "ts": _joined(columns["timestamp"]),
            "uid": uid.astype(str),
            "speed": speed,
        }
    )
    c, lit = pl.col, pl.lit
    line = pl.concat_str(
        lit("{'longitude': "), c("lon"), lit(", 'altitude': "), c("alt"),
        lit(", 'latitude': "), c("lat"), lit(", 'sport': '"), c("sport"),
        lit("', 'id': "), c("id"), lit(", 'heart_rate': "), c("hr"),
        lit(", 'gender': '"), c("gender"), lit("', 'timestamp': "), c("ts"),
        lit(", 'url': '" + URL), c("uid"), lit("/workouts/"), c("id"),
        lit("', 'userId': "), c("uid"),
        pl.when(c("speed").is_null()).then(lit("")).otherwise(lit(", 'speed': ") + c("speed")),
        lit("}"),
    )  # fmt: skip
    return frame.select(line).to_series()


def truncate_some(
    rng: np.random.Generator, lines: pl.Series, share: float
) -> tuple[pl.Series, np.ndarray]:
    """Cut a `share` of lines short at a random byte, like a dump interrupted mid-write."""
    broken = rng.random(len(lines)) < share
    keep = (rng.random(len(lines)) * lines.str.len_bytes().to_numpy()).astype(np.int64)
    cut = pl.select(
        pl.when(pl.lit(broken)).then(lines.str.head(pl.lit(keep))).otherwise(lines)
    ).to_series()
    return cut, broken


def _list_array(values: np.ndarray) -> pa.Array:
    w, n = values.shape
    offsets = pa.array(np.arange(0, w * n + 1, n, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(values.ravel()))


def _sample(traj: Trajectory, offsets: np.ndarray) -> dict[str, np.ndarray]:
    def take(a: np.ndarray) -> np.ndarray:
        return np.take_along_axis(a, offsets, axis=1)

    lat, lon = traj.route.latlon(offsets)
    return {
        "longitude": lon,
        "altitude": np.round(take(traj.route.altitude).astype(np.float64), 1),
        "latitude": lat,
        "true_speed": take(traj.route.speed_kmh),
        "latent_hr": take(traj.latent_hr),
        "cadence": take(traj.cadence),
        "vo2max": traj.vo2max,
        "day_offset": traj.day_offset,
    }


def simulate_sampled(
    rng: np.random.Generator,
    users: Users,
    sched: Schedule,
    offsets: np.ndarray,
    config: SimulatorConfig,
) -> dict[str, np.ndarray]:
    """1 Hz simulation sampled at `offsets`, run in groups of similar duration.

    Padding every workout to the longest one would waste most of the 1 Hz grid (a 4 h hike
    next to a 30 min jog), so workouts are sorted by duration and grids sized per group.
    """
    duration = offsets[:, -1] + 1
    order = np.argsort(duration, kind="stable")
    parts = []
    for first in range(0, len(order), GROUP):
        rows = order[first : first + GROUP]
        traj = simulate(rng, users, sched.take(rows), duration[rows], config)
        parts.append(_sample(traj, offsets[rows]))
    inverse = np.argsort(order, kind="stable")
    return {k: np.concatenate([p[k] for p in parts])[inverse] for k in parts[0]}


def recorded_workouts(
    rng: np.random.Generator, users: Users, sched: Schedule, config: SimulatorConfig
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """What a chest strap and GPS record, whatever the file format: [W, n] columns (timestamp,
    heart_rate with artifacts, speed km/h with GPS noise, altitude, positions, and the truth:
    latent_hr, true_speed, ...) at `record_offsets`, plus the artifact log of `measure`."""
    offsets = record_offsets(rng, sched.minutes, config)
    cols = simulate_sampled(rng, users, sched, offsets, config)
    on_foot = np.array([s.on_foot for s in config.sports])[sched.sport]
    cols["heart_rate"], log = measure(
        rng,
        cols["latent_hr"],
        cols["cadence"],
        users.noise_sd[sched.user],
        on_foot,
        config.artifacts,
    )
    cols["timestamp"] = sched.start[:, None] + offsets
    gps = cols["true_speed"] * (1 + 0.03 * rng.standard_normal(offsets.shape))
    cols["speed"] = np.round(np.maximum(gps + 0.3 * rng.standard_normal(offsets.shape), 0), 4)
    return cols, log


def _render_batch(
    rng: np.random.Generator,
    users: Users,
    sched: Schedule,
    config: SimulatorConfig,
    first_line: int,
) -> tuple[str, pa.Table, pa.Table]:
    """Simulate one batch whose first workout lands on `first_line`; return text and truth."""
    cols, log = recorded_workouts(rng, users, sched, config)
    u = sched.user
    has_speed = rng.random(len(sched)) >= config.speed_absent_share
    lines = format_lines(sched, users, config.sport_names, cols, has_speed)
    lines, truncated = truncate_some(rng, lines, config.truncated_line_share)
    text = lines.str.join("\n").item() + "\n"

    names = np.array(config.sport_names, dtype=object)
    latent = pa.table(
        {
            "workout_id": pa.array(sched.workout_id, pa.int64()),
            "line_number": pa.array(first_line + np.arange(len(sched)), pa.int64()),
            "line_truncated": pa.array(truncated, pa.bool_()),
            "user_id": pa.array(users.user_id[u], pa.int64()),
            "sport": pa.array(names[sched.sport].tolist(), pa.string()),
            "workout_type": pa.array(np.array(WORKOUT_TYPES)[sched.wtype].tolist(), pa.string()),
            "timestamp": _list_array(cols["timestamp"].astype(np.int64)),
            "latent_hr": _list_array(cols["latent_hr"].astype(np.float32)),
            "speed_kmh": _list_array(cols["true_speed"].astype(np.float32)),
            "vo2max": pa.array(cols["vo2max"], pa.float64()),
            "day_offset": pa.array(cols["day_offset"], pa.float64()),
        }
    )
    artifacts = pa.table(
        {
            "workout_id": pa.array(sched.workout_id[log["row"]], pa.int64()),
            "kind": pa.array(log["kind"].tolist(), pa.string()),
            "start_index": pa.array(log["start"], pa.int32()),
            "end_index": pa.array(log["end"], pa.int32()),  # exclusive
            "magnitude": pa.array(log["magnitude"], pa.float64()),
        }
    )
    return text, latent, artifacts


def write_fitrec(
    out_path: str | Path,
    users: int = 50,
    workouts_per_user: int = 20,
    seed: int = 0,
    config: SimulatorConfig | None = None,
) -> FitrecSummary:
    """Write `users * workouts_per_user` workouts to a FitRec file (.json or .json.gz).

    Deterministic for a seed: users and schedule draw from SeedSequence(seed, spawn_key=(0,)),
    batch b from spawn_key=(1, b), batches are written in order even though two run at once,
    and the gzip header carries no name or mtime, so equal seeds give byte-identical files.
    """
    config = config or SimulatorConfig()
    path = Path(out_path)
    truth = truth_dir_for(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    setup = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    people = make_users(setup, users, config.era_start, config.era_end)
    sched = make_schedule(setup, people, workouts_per_user, config)
    pq.write_table(pa.table(people.table()), truth / "users.parquet")
    run_idx = config.sport_names.index(RUN)

    def batch(b: int) -> tuple[str, pa.Table, pa.Table]:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, b)))
        first = b * config.batch_size
        part = sched.take(slice(first, first + config.batch_size))
        return _render_batch(rng, people, part, config, first_line=first + 1)

    writers: dict[str, pq.ParquetWriter] = {}
    n_batches = -(-len(sched) // config.batch_size)
    with open(path, "wb") as raw, ThreadPoolExecutor(WORKERS) as pool:
        sink = gzip.GzipFile("", "wb", 1, raw, mtime=0) if path.name.endswith(".gz") else raw

        def emit(done: Future) -> None:
            text, latent, artifacts = done.result()
            sink.write(text.encode("ascii"))
            for name, table in (("latent_hr", latent), ("artifacts", artifacts)):
                if name not in writers:
                    writers[name] = pq.ParquetWriter(truth / f"{name}.parquet", table.schema)
                writers[name].write_table(table)

        with sink:
            pending: deque[Future] = deque()
            for b in range(n_batches):
                pending.append(pool.submit(batch, b))
                if len(pending) == WORKERS:
                    emit(pending.popleft())
            while pending:
                emit(pending.popleft())
    for writer in writers.values():
        writer.close()
    return FitrecSummary(
        path=path,
        truth_dir=truth,
        lines=len(sched),
        running_lines=int(np.sum(sched.sport == run_idx)),
        bytes=path.stat().st_size,
    )
