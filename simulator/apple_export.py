"""Apple Health exports: what iPhone Settings > Health > Export writes, one per simulated user.

`out_dir/<user>/export.zip` holds `apple_health_export/export.xml` and
`apple_health_export/workout-routes/*.gpx` (or the same tree unzipped), beside an
`export.truth/` sidecar the ingestion never reads. export.xml is streamed block by block into
the archive while a second thread compresses, so memory stays bounded for multi-GB files.
"""

from __future__ import annotations

import itertools
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from simulator import apple_elements as elements
from simulator import apple_records as records
from simulator.apple_config import AppleConfig
from simulator.apple_dtd import dtd
from simulator.apple_format import joined
from simulator.apple_plan import UserPlan, make_plans, sim_config
from simulator.apple_sources import make_sources
from simulator.apple_time import (
    DAY,
    iso_utc,
    local_to_utc,
    midnight_utc,
    stamps,
    zone_offsets,
)
from simulator.apple_workouts import simulate_workouts

ROOT = "apple_health_export"
USER_WORKERS = 2  # users written at once; numpy, polars and zlib release the GIL
SEX = {"male": "HKBiologicalSexMale", "female": "HKBiologicalSexFemale"}


@dataclass(frozen=True)
class AppleExportSummary:
    user_slug: str
    export_path: Path  # export.zip, or the apple_health_export folder when not zipped
    truth_dir: Path
    export_xml_bytes: int
    workouts: int
    routes: int
    hr_records: int


class _Sink:
    """Files of one export, in a zip (fixed timestamps, stable order) or a folder.

    Every write runs on one worker thread, so compression (zlib releases the GIL) overlaps the
    simulation and formatting; at most a few chunks wait in memory.
    """

    def __init__(self, user_dir: Path, zipped: bool, stamp: tuple[int, ...]) -> None:
        self.zip = zipfile.ZipFile(user_dir / "export.zip", "w") if zipped else None
        self.root, self.stamp = user_dir, stamp
        self.pool = ThreadPoolExecutor(1)
        self.pending: deque[Future] = deque()

    def _submit(self, fn: Callable, *args: object) -> None:
        self.pending.append(self.pool.submit(fn, *args))
        while len(self.pending) > 2:
            self.pending.popleft().result()

    def _drain(self) -> None:
        while self.pending:
            self.pending.popleft().result()

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(f"{ROOT}/{name}", self.stamp)
        info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
        return info

    def _open(self, name: str) -> BinaryIO:
        if self.zip is not None:
            return self.zip.open(self._info(name), "w", force_zip64=True)
        path = self.root / ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "wb")

    def _write_now(self, name: str, data: bytes) -> None:
        with self._open(name) as handle:
            handle.write(data)

    def write(self, name: str, data: bytes) -> None:
        self._submit(self._write_now, name, data)

    def stream(self, name: str, chunks: Iterator[bytes]) -> None:
        self._drain()
        handle = self._open(name)
        for chunk in chunks:
            self._submit(handle.write, chunk)
        self._drain()
        handle.close()

    def close(self) -> None:
        try:
            self._drain()
        finally:
            self.pool.shutdown()
            if self.zip is not None:
                self.zip.close()


def _prologue(ctx: records.Context, exported: int, ios16: bool) -> bytes:
    plan = ctx.plan
    me = " ".join(
        f'HKCharacteristicTypeIdentifier{k}="{v}"'
        for k, v in (
            ("DateOfBirth", plan.birth.isoformat()),
            ("BiologicalSex", SEX.get(plan.sex, "HKBiologicalSexNotSet")),
            ("BloodType", "HKBloodTypeNotSet"),
            ("FitzpatrickSkinType", "HKFitzpatrickSkinTypeNotSet"),
            ("CardioFitnessMedicationsUse", "None"),
        )
    )
    when = stamps(np.array([exported]), zone_offsets(np.array([exported]), plan.home.zone))
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + dtd(ios16) + '<HealthData locale="en_US">\n'
        f' <ExportDate value="{when.item()}"/>\n <Me {me}/>\n'
    )
    return text.encode("utf-8")


def _blocks(ctx: records.Context) -> Iterator[tuple[str, pl.Series]]:
    """Every element of the body in Apple's order: record types, correlations, workouts,
    activity summaries."""
    for lines in records.heart_rate(ctx):
        yield "HeartRate", lines
    yield from (("", lines) for lines in records.walking(ctx, "StepCount"))
    yield from (("", lines) for lines in records.walking(ctx, "DistanceWalkingRunning"))
    yield from (("", lines) for lines in records.active_energy(ctx))
    pressure = elements.blood_pressure(ctx)
    yield "", pressure.systolic
    yield "", pressure.diastolic
    yield from (("", lines) for lines in records.daily_heart(ctx, "RestingHeartRate"))
    yield from (("", lines) for lines in records.daily_heart(ctx, "WalkingHeartRateAverage"))
    yield from (("", lines) for lines in records.variability(ctx))
    yield from (("", lines) for lines in records.recovery(ctx))
    yield "", pressure.correlations
    yield "", elements.workouts(ctx)
    yield "", elements.activity_summaries(ctx)


def _xml_chunks(
    ctx: records.Context, exported: int, ios16: bool, counts: dict[str, int]
) -> Iterator[bytes]:
    """export.xml piece by piece; tallies bytes and heart-rate records into `counts`."""
    pieces = itertools.chain(
        [("", _prologue(ctx, exported, ios16))],
        ((kind, lines) for kind, lines in _blocks(ctx)),
        [("", b"</HealthData>\n")],
    )
    for kind, piece in pieces:
        data = piece if isinstance(piece, bytes) else joined(piece)
        counts["bytes"] += len(data)
        counts["hr"] += len(piece) if kind == "HeartRate" else 0
        yield data


def _truth_tables(plan: UserPlan, ctx: records.Context) -> tuple[pl.DataFrame, pl.DataFrame]:
    wp, log = plan.workouts, ctx.log
    us = pl.Datetime("us", "UTC")

    def when(epoch: np.ndarray) -> pl.Series:
        return pl.Series(np.asarray(epoch, dtype=np.int64) * 1_000_000).cast(us)

    names = [f"HKWorkoutActivityType{a.name}" for a in ctx.config.activities]
    workouts = pl.DataFrame(
        {
            "start": when(wp.start),
            "end": when(log.end),
            "activity": pl.Series([names[a] for a in wp.activity], dtype=pl.String),
            "indoor": wp.indoor,
            "away": wp.away,
            "route_file": pl.Series(log.route_file, dtype=pl.String),
            "time_zone": pl.Series(plan.itinerary.zone_names(wp.start), dtype=pl.String),
            "paused_s": log.paused_s,
            "hr_per_min": log.hr_per_min,
            "distance_km": log.distance_km,
        }
    )
    table = {k: v[:1] for k, v in plan.people.table().items()}
    user = pl.DataFrame(table).with_columns(
        slug=pl.lit(plan.slug),
        first_name=pl.lit(plan.first_name),
        birth_date=pl.lit(plan.birth),
        weight_kg=pl.lit(plan.weight_kg),
        home_zone=pl.lit(plan.home.zone),
        trip_zone=pl.lit(plan.trip.zone),
        trip_start=when(np.array([plan.itinerary.trip_start])),
        trip_end=when(np.array([plan.itinerary.trip_end])),
    )
    return workouts, user


def _write_user(
    out: Path, plan: UserPlan, u: int, seed: int, start: date, end: date,
    scale: float, zipped: bool, ios16: bool, config: AppleConfig,
) -> AppleExportSummary:  # fmt: skip
    user_dir, truth = out / plan.slug, out / plan.slug / "export.truth"
    truth.mkdir(parents=True, exist_ok=True)
    home = plan.home.zone
    first = int(local_to_utc(np.array([midnight_utc(start)]), home)[0])
    last = int(local_to_utc(np.array([midnight_utc(end) + DAY]), home)[0])
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(4, u)))
    exported = last - 3 * 3600 + int(rng.integers(3600))  # an evening export on the end day
    local = exported + int(zone_offsets(np.array([exported]), home)[0])
    stamp = datetime.fromtimestamp(local, UTC).timetuple()[:6]
    sink = _Sink(user_dir, zipped, stamp)
    writer: list[pq.ParquetWriter] = []

    def on_truth(frame: pl.DataFrame) -> None:
        if not writer:
            writer.append(pq.ParquetWriter(truth / "latent_hr.parquet", frame.to_arrow().schema))
        writer[0].write_table(frame.to_arrow())

    def on_route(name: str, doc: bytes) -> None:
        sink.write(f"workout-routes/{name}", doc)

    try:
        sim = sim_config(start, end, config)
        exported_utc = iso_utc(np.array([exported])).item()
        log = simulate_workouts(plan, config, sim, (seed, u), exported_utc, on_route, on_truth)
        sources = make_sources(rng, plan.first_name, start, end, config)
        ctx = records.Context(plan, log, sources, config, scale, seed, u, first, last)
        counts = {"bytes": 0, "hr": 0}
        sink.stream("export.xml", _xml_chunks(ctx, exported, ios16, counts))
    finally:
        sink.close()
        for w in writer:
            w.close()
    workouts, user = _truth_tables(plan, ctx)
    workouts.write_parquet(truth / "workouts.parquet")
    user.write_parquet(truth / "user.parquet")
    return AppleExportSummary(
        user_slug=plan.slug,
        export_path=user_dir / ("export.zip" if zipped else ROOT),
        truth_dir=truth,
        export_xml_bytes=counts["bytes"],
        workouts=len(plan.workouts),
        routes=sum(f is not None for f in log.route_file),
        hr_records=counts["hr"],
    )


def write_apple_exports(
    out_dir: str | Path,
    *,
    users: int = 2,
    seed: int = 0,
    start: date = date(2019, 1, 1),
    end: date = date(2025, 12, 31),
    runs_per_week: float = 2.0,
    background_scale: float = 1.0,
    zipped: bool = True,
    ios16_dtd: bool = False,
) -> list[AppleExportSummary]:
    """One export per user in `out_dir/<user_slug>/`; equal arguments give identical bytes.

    `background_scale` multiplies the all-day heart-rate density (1.0 is realistic).
    """
    config = AppleConfig()
    if not config.eras[0].start <= start <= end < date(2040, 1, 1):
        raise ValueError(f"need {config.eras[0].start} <= start <= end < 2040-01-01")
    out = Path(out_dir)
    plans = make_plans(seed, users, start, end, runs_per_week, config)
    with ThreadPoolExecutor(USER_WORKERS) as pool:
        jobs = [
            pool.submit(
                _write_user, out, plan, u, seed, start, end, background_scale, zipped, ios16_dtd,
                config,
            )
            for u, plan in enumerate(plans)
        ]  # fmt: skip
        return [job.result() for job in jobs]
