"""<Workout>, <Me> and <ExportDate> elements: few per export, so each is parsed with lxml.

Units are normalised (km, kcal, m, s) whatever the export used; dates become UTC instants with
the local offset kept beside them, and HKTimeZone names the zone when the Watch recorded it.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl
from lxml import etree

from assets.sources.apple_health.records import apple_time
from assets.sources.safe_xml import safe_parser

DISTANCE_KM = {"km": 1.0, "m": 0.001, "mi": 1.609344, "ft": 0.0003048, "yd": 0.0009144}
ENERGY_KCAL = {"kcal": 1.0, "Cal": 1.0, "kJ": 1 / 4.184, "J": 1 / 4184}
LENGTH_M = {"cm": 0.01, "m": 1.0, "km": 1000.0, "ft": 0.3048, "in": 0.0254}
DURATION_S = {"s": 1.0, "min": 60.0, "hr": 3600.0, "h": 3600.0}
SPORTS = {"Running": "run", "Walking": "walk", "Cycling": "bike", "Hiking": "hiking"}
SEXES = {"HKBiologicalSexMale": "male", "HKBiologicalSexFemale": "female"}
QUANTITY = re.compile(r"^\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*(\S+)\s*$")


def _scaled(value: str | None, unit: str | None, table: dict[str, float]) -> float | None:
    if value is None or unit not in table:
        return None
    try:
        return float(value) * table[unit]
    except ValueError:
        return None


def _quantity(text: str | None, table: dict[str, float]) -> float | None:
    """'956 cm' -> 9.56 with LENGTH_M; None when the text or unit is unknown."""
    match = QUANTITY.match(text or "")
    return _scaled(match[1], match[2], table) if match else None


def sport_name(activity: str) -> str:
    """HKWorkoutActivityTypeRunning -> 'run'; others -> snake case ('functional_strength...')."""
    short = activity.removeprefix("HKWorkoutActivityType")
    return SPORTS.get(short) or re.sub(r"(?<!^)(?=[A-Z])", "_", short).lower()


def workout_fields(element: etree._Element) -> dict[str, Any]:
    """One <Workout>'s attributes and children as plain values (dates still text)."""
    meta = {m.get("key"): m.get("value") for m in element.iter("MetadataEntry")}
    stats = {s.get("type", ""): s for s in element.iter("WorkoutStatistics")}
    distance = next((s for t, s in stats.items() if "Distance" in t), None)
    energy = stats.get("HKQuantityTypeIdentifierActiveEnergyBurned")
    route = element.find("WorkoutRoute/FileReference")
    activity = element.get("workoutActivityType", "")
    return {
        "activity_type": activity,
        "sport": sport_name(activity),
        "start_raw": element.get("startDate"),
        "end_raw": element.get("endDate"),
        "duration_s": _scaled(element.get("duration"), element.get("durationUnit"), DURATION_S),
        "distance_km": _scaled(distance.get("sum"), distance.get("unit"), DISTANCE_KM)
        if distance is not None
        else _scaled(element.get("totalDistance"), element.get("totalDistanceUnit"), DISTANCE_KM),
        "energy_kcal": _scaled(energy.get("sum"), energy.get("unit"), ENERGY_KCAL)
        if energy is not None
        else _scaled(
            element.get("totalEnergyBurned"), element.get("totalEnergyBurnedUnit"), ENERGY_KCAL
        ),
        "elevation_gain_m": _quantity(meta.get("HKElevationAscended"), LENGTH_M),
        "indoor": meta.get("HKIndoorWorkout") == "1",
        "time_zone": meta.get("HKTimeZone"),
        "route_path": route.get("path") if route is not None else None,
        "source_name": element.get("sourceName"),
        "pauses": sum(
            e.get("type") == "HKWorkoutEventTypePause" for e in element.iter("WorkoutEvent")
        ),
    }


WORKOUT_FIELD_TYPES = {
    "activity_type": pl.String,
    "sport": pl.String,
    "start_raw": pl.String,
    "end_raw": pl.String,
    "duration_s": pl.Float64,
    "distance_km": pl.Float64,
    "energy_kcal": pl.Float64,
    "elevation_gain_m": pl.Float64,
    "indoor": pl.Boolean,
    "time_zone": pl.String,
    "route_path": pl.String,
    "source_name": pl.String,
    "pauses": pl.Int32,
}


def parse_blocks(blocks: pl.DataFrame) -> tuple[list[dict], dict[str, str], list[dict]]:
    """(workout rows, person attributes from <Me>/<ExportDate>, rejects with line and reason)."""
    workouts, person, rejects = [], {}, []
    for line_number, tag, text in blocks.iter_rows():
        try:
            element = etree.fromstring(text.encode(), safe_parser())
        except etree.XMLSyntaxError as error:
            rejects.append({"line_number": line_number, "reason": f"<{tag}> is not XML: {error}"})
            continue
        if tag == "Workout":
            workouts.append({"line_number": line_number, **workout_fields(element)})
        elif tag == "Me":
            sex = element.get("HKCharacteristicTypeIdentifierBiologicalSex")
            person["gender"] = SEXES.get(sex or "", "unknown")
            person["date_of_birth"] = element.get("HKCharacteristicTypeIdentifierDateOfBirth")
        else:
            person["export_date"] = element.get("value")
    return workouts, person, rejects


def workout_table(rows: list[dict], user_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed workouts (UTC start/end, local offset, id '<user>/<UTC start>') and rejects."""
    raw = pl.DataFrame(rows, schema={"line_number": pl.Int64, **WORKOUT_FIELD_TYPES})
    start, offset = apple_time("start_raw")
    end, _ = apple_time("end_raw")
    typed = raw.with_columns(start=start, end=end, utc_offset_min=offset).with_columns(
        reason=pl.when(pl.col("start").is_null() | pl.col("end").is_null())
        .then(pl.lit("startDate/endDate missing or not 'YYYY-MM-DD HH:MM:SS +HHMM'"))
        .when(pl.col("end") < pl.col("start"))
        .then(pl.lit("endDate before startDate")),
    )
    workouts = typed.filter(pl.col("reason").is_null()).select(
        pl.lit(user_id).alias("user_id"),
        pl.format("{}/{}", pl.lit(user_id), pl.col("start").dt.strftime("%Y%m%dT%H%M%SZ")).alias(
            "workout_id"
        ),
        "activity_type",
        "sport",
        "start",
        "end",
        "utc_offset_min",
        "time_zone",
        "duration_s",
        "distance_km",
        "energy_kcal",
        "elevation_gain_m",
        "indoor",
        "route_path",
        "source_name",
        "pauses",
        "line_number",
    )
    return workouts, typed.filter(pl.col("reason").is_not_null()).select("line_number", "reason")
