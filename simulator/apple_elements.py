"""The non-Record elements of export.xml: blood-pressure Correlations, Workouts, ActivitySummary.

There are at most a few thousand of each, so each element is assembled in Python; every date in
them is still formatted in one vectorised call per kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from simulator.apple_format import integers, record_lines, sig6
from simulator.apple_records import HK, Context
from simulator.apple_sources import RIGHT_QUOTE
from simulator.apple_time import DAY

CORRELATION = "HKCorrelationTypeIdentifierBloodPressure"


@dataclass(frozen=True)
class BloodPressure:
    systolic: pl.Series  # top-level Record lines
    diastolic: pl.Series
    correlations: pl.Series  # Correlation elements holding copies of both


def blood_pressure(ctx: Context) -> BloodPressure:
    """Manual cuff readings entered on the iPhone a few times a year, in the morning."""
    rng = ctx.rng(7, 0)
    years = (ctx.last - ctx.first) / (365.25 * DAY)
    n = rng.poisson(ctx.config.blood_pressure_per_year * years)
    day = ctx.first + rng.integers(0, (ctx.last - ctx.first) // DAY, n) * DAY
    t = np.sort(day - ctx.plan.itinerary.offsets(day) + rng.integers(7 * 3600, 9 * 3600, n))
    source = ctx.sources.pick(rng, t, phone=True)
    stamp, created = ctx.stamps(t), ctx.stamps(t + rng.integers(5, 120, n))
    values = {
        "Systolic": integers(rng.normal(118, 8, n).round()),
        "Diastolic": integers(rng.normal(77, 6, n).round()),
    }

    def records(kind: str, indent: str) -> pl.Series:
        name = f"{HK}BloodPressure{kind}"
        return record_lines(name, "mmHg", source, created, stamp, stamp, values[kind], None, indent)

    head = f' <Correlation type="{CORRELATION}" ' + source + ' creationDate="' + created
    head = head + '" startDate="' + stamp + '" endDate="' + stamp + '">\n'
    meta = '  <MetadataEntry key="HKWasUserEntered" value="1"/>\n'
    body = records("Diastolic", "  ") + "\n" + records("Systolic", "  ")
    correlations = head + meta + body + "\n </Correlation>"
    return BloodPressure(records("Systolic", " "), records("Diastolic", " "), correlations)


def _attr_list(pairs: list[tuple[str, str]]) -> str:
    return " ".join(f'{k}="{v}"' for k, v in pairs)


def workouts(ctx: Context) -> pl.Series:
    """`<Workout>` elements with metadata, events, statistics and the route reference."""
    plan, log, config = ctx.plan, ctx.log, ctx.config
    wp = plan.workouts
    n = len(wp)
    rng = ctx.rng(8, 0)
    created = log.end + rng.integers(1, 10, n)
    routed = log.route_start >= 0  # placeholders elsewhere keep the arrays aligned

    def routes(epoch: np.ndarray) -> np.ndarray:
        return np.where(routed, epoch, wp.start)

    dates = {
        "start": ctx.stamps(wp.start).to_list(),
        "end": ctx.stamps(log.end).to_list(),
        "created": ctx.stamps(created).to_list(),
        "route_start": ctx.stamps(routes(log.route_start)).to_list(),
        "route_end": ctx.stamps(routes(log.route_end)).to_list(),
        "route_created": ctx.stamps(created - rng.integers(0, 3, n)).to_list(),
    }
    sources = ctx.sources.pick(rng, wp.start).to_list()
    zones = plan.itinerary.zone_names(wp.start)
    events = [_events(log.pauses[w], log.splits[w]) for w in range(n)]
    flat = np.array([e[1] for ev in events for e in ev], dtype=np.int64)
    event_dates = iter(ctx.stamps(flat).to_list())
    energy, hr_avg = sig6(log.energy_kcal).to_list(), sig6(log.hr_avg).to_list()
    distance, mets = sig6(log.distance_km).to_list(), sig6(log.mets).to_list()
    temperature, humidity = sig6(log.temperature_f).to_list(), log.humidity
    out = []
    for w in range(n):
        activity = config.activities[wp.activity[w]]
        span = f'startDate="{dates["start"][w]}" endDate="{dates["end"][w]}"'
        minutes = float((log.end[w] - wp.start[w] - log.paused_s[w]) / 60)
        lines = [
            f' <Workout workoutActivityType="HKWorkoutActivityType{activity.name}" '
            f'duration="{minutes!r}" durationUnit="min" {sources[w]} '
            f'creationDate="{dates["created"][w]}" {span}>',
            f'  <MetadataEntry key="HKIndoorWorkout" value="{int(wp.indoor[w])}"/>',
            f'  <MetadataEntry key="HKTimeZone" value="{zones[w]}"/>',
        ]
        if not wp.indoor[w]:
            lines += [
                f'  <MetadataEntry key="HKWeatherTemperature" value="{temperature[w]} degF"/>',
                f'  <MetadataEntry key="HKWeatherHumidity" value="{round(humidity[w]) * 100} %"/>',
            ]
        if wp.route[w]:
            lines.append(
                f'  <MetadataEntry key="HKElevationAscended" value="{log.elevation_cm[w]} cm"/>'
            )
        lines.append(f'  <MetadataEntry key="HKAverageMETs" value="{mets[w]} kcal/hr&#183;kg"/>')
        for kind, _, seconds in events[w]:
            extra = f' duration="{seconds / 60!r}" durationUnit="min"' if seconds else ""
            date = next(event_dates)
            lines.append(f'  <WorkoutEvent type="HKWorkoutEventType{kind}" date="{date}"{extra}/>')
        stat = f'  <WorkoutStatistics type="{HK}'
        lines.append(f'{stat}ActiveEnergyBurned" {span} sum="{energy[w]}" unit="Cal"/>')
        if activity.has_route:
            kind = "DistanceCycling" if activity.name == "Cycling" else "DistanceWalkingRunning"
            lines.append(f'{stat}{kind}" {span} sum="{distance[w]}" unit="km"/>')
        lines.append(
            f'{stat}HeartRate" {span} average="{hr_avg[w]}" minimum="{log.hr_min[w]}" '
            f'maximum="{log.hr_max[w]}" unit="count/min"/>'
        )
        if log.route_file[w] is not None:
            version = ctx.sources.version(int(wp.start[w]))
            route = _attr_list([
                ("sourceName", f"{plan.first_name}{RIGHT_QUOTE}s Apple Watch"),
                ("sourceVersion", version),
                ("creationDate", dates["route_created"][w]),
                ("startDate", dates["route_start"][w]),
                ("endDate", dates["route_end"][w]),
            ])  # fmt: skip
            lines += [
                f"  <WorkoutRoute {route}>",
                '   <MetadataEntry key="HKMetadataKeySyncVersion" value="2"/>',
                f'   <FileReference path="/workout-routes/{log.route_file[w]}"/>',
                "  </WorkoutRoute>",
            ]
        lines.append(" </Workout>")
        out.append("\n".join(lines))
    return pl.Series(out, dtype=pl.String)


def _events(pauses: np.ndarray, splits: np.ndarray) -> list[tuple[str, int, int]]:
    """(kind, epoch, seconds) in time order; pause/resume carry no duration."""
    events = [("Pause", int(a), 0) for a, _ in pauses] + [("Resume", int(b), 0) for _, b in pauses]
    events += [("Segment", int(t), int(s)) for t, s in splits]
    return sorted(events, key=lambda e: e[1])


def activity_summaries(ctx: Context) -> pl.Series:
    """One ActivitySummary per day of the span (home calendar)."""
    rng = ctx.rng(9, 0)
    days = np.arange(ctx.first, ctx.last, DAY)
    n = len(days)
    workout_day = np.searchsorted(days, ctx.plan.workouts.start, side="right") - 1
    energy = rng.uniform(150, 650, n) + np.bincount(workout_day, ctx.log.energy_kcal, n)
    minutes = (ctx.log.end - ctx.plan.workouts.start - ctx.log.paused_s) / 60
    exercise = np.bincount(workout_day, minutes, n) + rng.integers(0, 20, n)
    noon = pl.Series((days + DAY // 2) * 1_000_000).cast(pl.Datetime("us"))
    date = noon.dt.strftime("%Y-%m-%d")
    goal = 400 + 50 * ((days - days[0]) // (365 * DAY) % 5)
    return (
        ' <ActivitySummary dateComponents="' + date
        + '" activeEnergyBurned="' + sig6(energy)
        + '" activeEnergyBurnedGoal="' + integers(goal)
        + '" activeEnergyBurnedUnit="Cal" appleMoveTime="0" appleMoveTimeGoal="0"'
        + ' appleExerciseTime="' + integers(np.rint(exercise))
        + '" appleExerciseTimeGoal="30" appleStandHours="' + integers(rng.integers(6, 15, n))
        + '" appleStandHoursGoal="12"/>'
    )  # fmt: skip
