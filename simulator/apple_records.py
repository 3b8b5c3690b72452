"""`<Record>` blocks of export.xml, generated and formatted one period at a time.

Apple groups records by type, then time, so every block walks the whole history: heart rate in
weekly periods (it dominates the file), the lighter types quarterly. Each (block, period) draws
from its own SeedSequence, so output never depends on how the writer schedules the work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from simulator.apple_config import AppleConfig
from simulator.apple_format import integers, record_lines, sig6
from simulator.apple_plan import UserPlan
from simulator.apple_sources import Sources
from simulator.apple_time import DAY, stamps
from simulator.apple_workouts import WorkoutLog, era_at

HK = "HKQuantityTypeIdentifier"
QUARTER = 91 * DAY


@dataclass(frozen=True)
class Context:
    """Everything a block needs: the user, their workouts, and the export's time span."""

    plan: UserPlan
    log: WorkoutLog
    sources: Sources
    config: AppleConfig
    background_scale: float
    seed: int
    user: int
    first: int  # epoch s, start day's local midnight
    last: int  # epoch s, local midnight after the end day

    def rng(self, block: int, period: int) -> np.random.Generator:
        key = (3, self.user, block, period)
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))

    def periods(self, length: int) -> Iterator[tuple[int, int, int]]:
        for p, a in enumerate(range(self.first, self.last, length)):
            yield p, a, min(a + length, self.last)

    def stamps(self, epoch: np.ndarray) -> pl.Series:
        return stamps(epoch, self.plan.itinerary.offsets(epoch))

    def local_hour(self, epoch: np.ndarray) -> np.ndarray:
        return ((epoch + self.plan.itinerary.offsets(epoch)) % DAY) / 3600


def _lines(
    ctx: Context,
    rng: np.random.Generator,
    kind: str,
    unit: str,
    start: np.ndarray,
    end: np.ndarray,
    value: pl.Series,
    context: np.ndarray | None = None,
    phone: np.ndarray | None = None,
) -> pl.Series:
    """Record lines created a little after their end; `phone` marks rows the iPhone wrote and
    `context` (-1 = none) adds the motion-context child."""
    creation = end + rng.integers(5, 600, len(end))
    source = ctx.sources.pick(rng, start)
    if phone is not None and phone.any():
        source = source.scatter(np.flatnonzero(phone), ctx.sources.pick(rng, start[phone], True))
    stamp_start = ctx.stamps(start)
    stamp_end = stamp_start if end is start else ctx.stamps(end)
    motion = None
    if context is not None:
        c = pl.col("c")
        motion = pl.DataFrame({"c": context}).select(pl.when(c >= 0).then(c.cast(pl.String)))
        motion = motion.to_series()
    creation_text = ctx.stamps(creation)
    return record_lines(
        HK + kind, unit, source, creation_text, stamp_start, stamp_end, value, motion
    )


def _allday(
    ctx: Context, rng: np.random.Generator, a: int, b: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Background heart rate outside workouts: daily rate by watch era, sleep/wake pattern,
    slow activity swings and the tail of each workout's recovery."""
    log, wp, people = ctx.log, ctx.plan.workouts, ctx.plan.people
    days = np.arange(a, b, DAY)
    eras = [era_at(ctx.config, d) for d in days]
    lo, hi = (np.array([e.allday_per_min[i] for e in eras]) for i in (0, 1))
    counts = rng.poisson(rng.uniform(lo, hi) * 1440 * ctx.background_scale)
    t = np.repeat(days, counts) + (rng.random(counts.sum()) * DAY).astype(np.int64)
    t = np.sort(t[t < b])
    k = np.searchsorted(wp.start, t, side="right") - 1
    last = np.where(k >= 0, log.end[np.maximum(k, 0)], -(10**9))
    t, k, last = t[t > last], k[t > last], last[t > last]
    hour = ctx.local_hour(t)
    asleep = (hour < 6.5) | (hour >= 23)
    grid = a + 600 * np.arange((b - a) // 600 + 2)
    activity = np.interp(t, grid, rng.gamma(0.8, 1.0, len(grid)))
    rest, top = people.hr_rest[0], people.hr_max[0]
    since = t - last
    peak = np.where(k >= 0, log.hr_avg[np.maximum(k, 0)], rest) - rest
    recovery = np.where(since < 3600, 0.5 * peak * np.exp(-since / 600), 0)
    base = rest + np.where(asleep, -4.0, 8 + 9 * activity) + recovery
    values = np.clip(np.rint(base + rng.normal(0, 2.5, len(t))), 38, top).astype(np.int64)
    draw = rng.random(len(t))
    moving = (activity > 1.5) & ~asleep
    context = np.where(draw < 0.25, -1, np.where(draw < 0.4, 0, np.where(moving, 2, 1)))
    return t, values, context


def heart_rate(ctx: Context) -> Iterator[pl.Series]:
    """All-day samples merged with the workout samples: a week at a time at full density,
    longer periods when the background is thinned (fewer, larger formatting calls)."""
    log = ctx.log
    days = np.clip(7 / max(ctx.background_scale, 1e-9), 7, 91)
    for p, a, b in ctx.periods(int(days) * DAY):
        rng = ctx.rng(0, p)
        t, values, context = _allday(ctx, rng, a, b)
        i, j = np.searchsorted(log.hr_time, [a, b])
        t = np.concatenate([t, log.hr_time[i:j]])
        order = np.argsort(t, kind="stable")
        t = t[order]
        values = np.concatenate([values, log.hr_value[i:j]])[order]
        context = np.concatenate([context, log.hr_context[i:j]])[order]
        yield _lines(ctx, rng, "HeartRate", "count/min", t, t, integers(values), context)


def _bouts(
    ctx: Context, rng: np.random.Generator, a: int, b: int, per_day: float
) -> tuple[np.ndarray, np.ndarray]:
    """Waking-hours activity bouts: start times and lengths (s)."""
    t = np.sort(a + (rng.random(rng.poisson(per_day * (b - a) / DAY)) * (b - a)).astype(np.int64))
    hour = ctx.local_hour(t)
    t = t[(hour >= 7) & (hour < 22)]
    return t, rng.integers(60, 900, len(t))


def walking(ctx: Context, kind: str) -> Iterator[pl.Series]:
    """StepCount or DistanceWalkingRunning from the Watch and the iPhone (same bouts)."""
    for p, a, b in ctx.periods(QUARTER):
        rng = ctx.rng(1, p)
        t, length = _bouts(ctx, rng, a, b, 2 * ctx.config.steps_per_day)
        phone = rng.random(len(t)) < 0.5
        steps = np.rint(length / 60 * rng.uniform(20, 110, len(t)))
        km = steps * rng.uniform(0.65, 0.8, len(t)) / 1000
        value = integers(steps) if kind == "StepCount" else sig6(km)
        unit = "count" if kind == "StepCount" else "km"
        block = 11 if kind == "StepCount" else 12
        yield _lines(ctx, ctx.rng(block, p), kind, unit, t, t + length, value, None, phone)


def active_energy(ctx: Context) -> Iterator[pl.Series]:
    for p, a, b in ctx.periods(QUARTER):
        rng = ctx.rng(2, p)
        t, length = _bouts(ctx, rng, a, b, ctx.config.energy_per_day)
        kcal = length / 60 * rng.uniform(0.5, 6, len(t))
        yield _lines(ctx, rng, "ActiveEnergyBurned", "Cal", t, t + length, sig6(kcal))


def _local_days(ctx: Context, a: int, b: int) -> np.ndarray:
    """Approximate local midnights (epoch s) of the days starting in [a, b)."""
    days = np.arange(a, b, DAY)
    offsets = ctx.plan.itinerary.offsets
    return days - offsets(days) + offsets(np.array([ctx.first]))


def daily_heart(ctx: Context, kind: str) -> Iterator[pl.Series]:
    """RestingHeartRate or WalkingHeartRateAverage: one record per day spanning the day."""
    rest = ctx.plan.people.hr_rest[0]
    for p, a, b in ctx.periods(QUARTER):
        rng = ctx.rng(3 if kind.startswith("Resting") else 4, p)
        day = _local_days(ctx, a, b)
        start = day + rng.integers(600, 7200, len(day))
        end = day + rng.integers(72_000, 85_000, len(day))
        if kind.startswith("Resting"):
            value = integers(np.rint(rest + rng.normal(0, 2, len(day))))
        else:
            value = sig6(np.round(2 * (rest + rng.uniform(30, 45, len(day)))) / 2)
        yield _lines(ctx, rng, kind, "count/min", start, end, value)


def _beats(ctx: Context, rng: np.random.Generator, start: np.ndarray) -> pl.Series:
    """`<HeartRateVariabilityMetadataList>` blocks: one beat-to-beat reading per record."""
    count = rng.integers(40, 70, len(start))
    record = np.repeat(np.arange(len(start)), count)
    bpm = np.rint(ctx.plan.people.hr_rest[0] + 4 + rng.normal(0, 4, len(record)))
    gap = 60 / np.maximum(bpm, 35)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    clock = np.cumsum(gap) - np.repeat(np.cumsum(gap)[first] - gap[first], count)
    wall = (start + ctx.plan.itinerary.offsets(start))[record] % DAY + clock + 1
    centi = np.rint(wall * 100).astype(np.int64) % (DAY * 100)
    hour, rest = centi // 360_000, centi % 360_000
    h12 = pl.Series((hour + 11) % 12 + 1).cast(pl.String)
    mmss = (
        pl.Series(rest // 6000).cast(pl.String).str.zfill(2) + ":"
        + pl.Series(rest % 6000 // 100).cast(pl.String).str.zfill(2) + "."
        + pl.Series(rest % 100).cast(pl.String).str.zfill(2)
    )  # fmt: skip
    ampm = pl.Series(np.where(hour < 12, " AM", " PM"))
    line = '   <InstantaneousBeatsPerMinute bpm="' + integers(bpm) + '" time="' + h12 + ":"
    frame = pl.DataFrame({"record": record, "line": line + mmss + ampm + '"/>'})
    body = frame.group_by("record", maintain_order=True).agg(pl.col("line").str.join("\n"))
    return body["line"]


def variability(ctx: Context) -> Iterator[pl.Series]:
    """HeartRateVariabilitySDNN (ms), one-minute readings with their beat lists."""
    for p, a, b in ctx.periods(QUARTER):
        rng = ctx.rng(5, p)
        n = rng.poisson(ctx.config.hrv_per_day * (b - a) / DAY)
        start = np.sort(a + (rng.random(n) * (b - a)).astype(np.int64))
        sdnn = np.exp(rng.normal(np.log(60 - 0.4 * ctx.plan.people.hr_rest[0]), 0.3, n))
        lines = _lines(ctx, rng, "HeartRateVariabilitySDNN", "ms", start, start + 60, sig6(sdnn))
        if n:
            beats = _beats(ctx, rng, start)
            open_ = lines.str.strip_suffix("/>") + ">\n  <HeartRateVariabilityMetadataList>\n"
            lines = open_ + beats + "\n  </HeartRateVariabilityMetadataList>\n </Record>"
        yield lines


def recovery(ctx: Context) -> Iterator[pl.Series]:
    """HeartRateRecoveryOneMinute after the workouts that recorded one."""
    rows = np.flatnonzero(ctx.log.hrr >= 0)
    start = ctx.log.end[rows]
    rng = ctx.rng(6, 0)
    value = integers(ctx.log.hrr[rows])
    yield _lines(ctx, rng, "HeartRateRecoveryOneMinute", "count/min", start, start + 60, value)
