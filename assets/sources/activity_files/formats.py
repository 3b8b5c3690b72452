"""The three device formats, from bytes to one workout's samples: FIT (fitdecode), TCX (lxml)
and GPX (gpxpy, shared with Apple routes). Each returns a `Parsed`: samples in file order
(SAMPLE_SCHEMA), the sport the file declares and the start it declares.

Problems raise FormatError naming the element (FIT message, XML line, trkpt) at fault; the
caller adds the file name.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import fitdecode
import polars as pl
from lxml import etree

from assets.sources.gpx import DECLARATIONS, GpxError, gpx_points, parse_gpx_document
from assets.sources.safe_xml import safe_parser
from schemas.activity_files import ACTIVITY_SERIES

SEMICIRCLES_PER_DEGREE = 2**31 / 180
TCX = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
ACTIVITY_EXTENSION = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
TCX_NAMES = {"t": TCX, "x": ACTIVITY_EXTENSION}
# What the parsers return: ACTIVITY_SERIES with every float column at full precision (speed in
# km/h, though the formats write m/s); read_activity narrows it to ACTIVITY_SERIES.
SAMPLE_SCHEMA = pl.Schema(
    {name: pl.Float64 if dtype.is_float() else dtype for name, dtype in ACTIVITY_SERIES.items()}
)


class FormatError(ValueError):
    """What is wrong inside a file, and where (the caller names the file)."""


@dataclass(frozen=True)
class Parsed:
    samples: pl.DataFrame  # SAMPLE_SCHEMA, file order; null where absent
    sport: str | None
    start: datetime | None


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds UTC; a time without an offset is taken as UTC (what GPX and TCX mandate)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp())


def _speeds_from_distance(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """`rows` with speed (m/s) filled where it is missing but the sample records the file's
    cumulative "distance" (m; a foot pod without GPS): the distance over the time since the
    previous sample that records one, from the past only (the first gets none, as speed from
    positions), negative differences as 0, none where the two share a time. The distance
    itself is dropped (not in SAMPLE_SCHEMA)."""
    out, previous = [], None
    for row in rows:
        row = dict(row)
        distance = row.pop("distance", None)
        if distance is None:
            out.append(row)
            continue
        if row.get("speed") is None and previous is not None:
            seconds = row["timestamp"] - previous[0]
            if seconds > 0:
                row["speed"] = max(distance - previous[1], 0.0) / seconds
        previous = (row["timestamp"], distance)
        out.append(row)
    return out


def _frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """Samples keyed by SAMPLE_SCHEMA's names (absent or None: null), speed in m/s, plus the
    cumulative "distance" where recorded (speed from it where missing) -> SAMPLE_SCHEMA (km/h)."""
    rows = _speeds_from_distance(rows)
    return pl.DataFrame(rows, schema=SAMPLE_SCHEMA).with_columns(pl.col("speed") * 3.6)


def _degrees(semicircles: int | None) -> float | None:
    return None if semicircles is None else semicircles / SEMICIRCLES_PER_DEGREE


def _first(message: fitdecode.FitDataMessage, *names: str) -> object:
    """The first of `names` the message holds with a valid value (enhanced_* before the old)."""
    for name in names:
        value = message.get_value(name, fallback=None)
        if value is not None:
            return value
    return None


def _session(message: fitdecode.FitDataMessage) -> tuple[datetime | None, float | None, str]:
    """(start, elapsed seconds, sport) of a session message."""
    elapsed = _first(message, "total_elapsed_time", "total_timer_time")
    sport = message.get_value("sport", fallback=None)
    return message.get_value("start_time", fallback=None), elapsed, str(sport or "")


def _by_session(samples: list[dict], sessions: list[tuple], sport: str | None) -> list[Parsed]:
    """One Parsed per session that holds records (a multisport or multi-session file), by
    the session's time span; the whole file as one when it has fewer than two sessions."""
    spans = [(s, e) for s, e, _ in sessions if isinstance(s, datetime) and e is not None]
    if len(sessions) < 2 or len(spans) < len(sessions):
        start = sessions[0][0] if sessions else None
        return [Parsed(_frame(samples), sport, start)]
    found = []
    for start, elapsed, name in sessions:
        first = epoch_seconds(start)
        inside = [s for s in samples if first <= s["timestamp"] <= first + elapsed]
        if inside:
            found.append(Parsed(_frame(inside), name or sport, start))
    return found or [Parsed(_frame(samples), sport, sessions[0][0])]


def parse_fit(data: bytes) -> list[Parsed]:
    """Record messages (timestamp, heart_rate, enhanced_speed/speed, enhanced_altitude/altitude,
    position semicircles -> degrees, speed from distance where none is recorded); sport from
    the sport or session message; one Parsed per session when the file holds several
    (multisport, or two runs in one recording)."""
    samples, sport, sessions = [], None, []
    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,
            error_handling=fitdecode.ErrorHandling.RAISE,
        ) as fit:
            records = 0
            for frame in fit:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    records += 1
                    moment = frame.get_value("timestamp", fallback=None)
                    if not isinstance(moment, datetime):
                        raise FormatError(f"record message {records} has no timestamp")
                    samples.append(
                        {
                            "timestamp": epoch_seconds(moment),
                            "heart_rate": frame.get_value("heart_rate", fallback=None),
                            "speed": _first(frame, "enhanced_speed", "speed"),
                            "altitude": _first(frame, "enhanced_altitude", "altitude"),
                            "latitude": _degrees(frame.get_value("position_lat", fallback=None)),
                            "longitude": _degrees(frame.get_value("position_long", fallback=None)),
                            "distance": frame.get_value("distance", fallback=None),
                        }
                    )
                elif frame.name in ("sport", "session"):
                    sport = sport or frame.get_value("sport", fallback=None)
                    if frame.name == "session":
                        sessions.append(_session(frame))
    except fitdecode.FitError as error:
        raise FormatError(f"not a readable FIT file: {error}") from error
    return _by_session(samples, sessions, None if sport is None else str(sport))


def _iso(text: str | None, where: str) -> datetime:
    try:
        return datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise FormatError(f"{where}: {text!r} is not an ISO 8601 time") from None


def _float(element: etree._Element, path: str) -> float | None:
    text = element.findtext(path, namespaces=TCX_NAMES)
    if text is None or not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise FormatError(
            f"line {element.sourceline}: {path.replace('t:', '').replace('x:', '')} "
            f"{text!r} is not a number"
        ) from None


def parse_tcx(data: bytes) -> list[Parsed]:
    """Trackpoints of each Activity in the TrainingCenterDatabase v2 namespace (several in one
    file, or the legs of a MultiSportSession), speed from the ActivityExtension v2 <TPX><Speed>
    (m/s), else from <DistanceMeters> (a foot pod), sport from Activity/@Sport."""
    if found := DECLARATIONS.search(data):
        line = data.count(b"\n", 0, found.start()) + 1
        raise FormatError(f"line {line}: TCX declares a DTD or entities; refused")
    try:
        root = etree.fromstring(data.lstrip(), safe_parser())
    except etree.XMLSyntaxError as error:
        raise FormatError(f"not a readable TCX file: {error}") from error
    activities = list(root.iterfind("t:Activities//t:Activity", TCX_NAMES))
    if not activities:
        raise FormatError(f"no <Activity> in the {TCX} namespace")
    return [_tcx_activity(activity) for activity in activities]


def _tcx_activity(activity: etree._Element) -> Parsed:
    """One <Activity>: its trackpoints, sport and Id (its start)."""
    samples = []
    for point in activity.iterfind("t:Lap/t:Track/t:Trackpoint", TCX_NAMES):
        time = point.findtext("t:Time", namespaces=TCX_NAMES)
        if time is None:
            raise FormatError(f"line {point.sourceline}: Trackpoint has no Time")
        samples.append(
            {
                "timestamp": epoch_seconds(_iso(time, f"line {point.sourceline}: Trackpoint Time")),
                "heart_rate": _float(point, "t:HeartRateBpm/t:Value"),
                "speed": _float(point, "t:Extensions/x:TPX/x:Speed"),
                "altitude": _float(point, "t:AltitudeMeters"),
                "latitude": _float(point, "t:Position/t:LatitudeDegrees"),
                "longitude": _float(point, "t:Position/t:LongitudeDegrees"),
                "distance": _float(point, "t:DistanceMeters"),
            }
        )
    declared = activity.findtext("t:Id", namespaces=TCX_NAMES)
    start = _iso(declared, f"line {activity.sourceline}: Activity Id") if declared else None
    return Parsed(_frame(samples), activity.get("Sport"), start)


def parse_gpx(data: bytes) -> list[Parsed]:
    """Track points with TrackPointExtension heart rate and the Watch's speed; sport from the
    first track's <type>."""
    try:
        gpx = parse_gpx_document(data)
        points = gpx_points(gpx)
    except GpxError as error:
        raise FormatError(str(error)) from error
    samples = points.select(
        timestamp=(pl.col("time").dt.epoch("ms") / 1000).round().cast(pl.Int64),
        heart_rate="heart_rate",
        speed=pl.col("speed") * 3.6,
        altitude="altitude",
        latitude="latitude",
        longitude="longitude",
    )
    return [Parsed(samples, gpx.tracks[0].type if gpx.tracks else None, None)]
