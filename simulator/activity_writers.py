"""One recorded workout as the files devices and Strava hand out: FIT (written with fit-tool, as a
device would), GPX with Garmin's TrackPointExtension heart rate, and TCX with the
ActivityExtension speed. GPX and TCX text is assembled with polars string kernels in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from fit_tool.data_message import DataMessage
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.common_fields import TimestampField
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.record_message import (
    RecordEnhancedAltitudeField,
    RecordEnhancedSpeedField,
    RecordHeartRateField,
    RecordMessage,
    RecordPositionLatField,
    RecordPositionLongField,
)
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.messages.sport_message import SportMessage
from fit_tool.profile.profile_type import FileType, Manufacturer, Sport

from simulator.apple_format import fixed, integers
from simulator.apple_time import iso_utc

# How each format names the two simulated sports.
FIT_SPORTS = {"run": Sport.RUNNING, "bike": Sport.CYCLING}
GPX_TYPES = {"run": "running", "bike": "cycling"}
TCX_SPORTS = {"run": "Running", "bike": "Biking"}
GPX_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gpx version="1.1" creator="pulselake simulator" xmlns="http://www.topografix.com/GPX/1/1"'
    ' xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
    " <metadata><time>{start}</time></metadata>\n"
    " <trk>\n  <name>{title}</name>\n  <type>{kind}</type>\n  <trkseg>\n"
)
GPX_FOOTER = "  </trkseg>\n </trk>\n</gpx>\n"
TCX_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"'
    ' xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">\n'
    ' <Activities>\n  <Activity Sport="{sport}">\n   <Id>{start}</Id>\n'
    '   <Lap StartTime="{start}">\n    <TotalTimeSeconds>{seconds}</TotalTimeSeconds>\n'
    "    <Intensity>Active</Intensity>\n    <TriggerMethod>Manual</TriggerMethod>\n    <Track>\n"
)
RECORD_FIELDS = (
    TimestampField,
    RecordHeartRateField,
    RecordEnhancedSpeedField,
    RecordEnhancedAltitudeField,
    RecordPositionLatField,
    RecordPositionLongField,
)
TCX_FOOTER = "    </Track>\n   </Lap>\n  </Activity>\n </Activities>\n</TrainingCenterDatabase>\n"


@dataclass(frozen=True)
class Recording:
    """What a watch recorded of one workout: epoch s, bpm (0 = dropout), km/h, m, degrees."""

    sport: str  # "run" or "bike"
    title: str
    time: np.ndarray
    heart_rate: np.ndarray
    speed_kmh: np.ndarray
    altitude: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray


def _record_message() -> RecordMessage:
    """A record message holding only the fields written: `RecordMessage()` builds all ~80 of
    the profile's fields, which made encoding ten times slower than it needs to be."""
    message = RecordMessage.__new__(RecordMessage)
    DataMessage.__init__(
        message,
        name=RecordMessage.NAME,
        global_id=RecordMessage.ID,
        fields=[field() for field in RECORD_FIELDS],
    )
    return message


def fit_bytes(rec: Recording) -> bytes:
    """A FIT activity: file_id, sport, one record per sample, a session with the start."""
    start_ms = int(rec.time[0]) * 1000
    builder = FitFileBuilder(auto_define=True)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.serial_number = 1
    file_id.time_created = start_ms
    sport = SportMessage()
    sport.sport = FIT_SPORTS[rec.sport]
    builder.add_all([file_id, sport])
    columns = zip(
        rec.time.tolist(),
        rec.heart_rate.tolist(),
        (rec.speed_kmh / 3.6).tolist(),
        rec.altitude.tolist(),
        rec.latitude.tolist(),
        rec.longitude.tolist(),
        strict=True,
    )
    for t, hr, speed, altitude, lat, lon in columns:
        record = _record_message()
        record.timestamp = t * 1000
        record.heart_rate = hr
        record.enhanced_speed = speed
        record.enhanced_altitude = altitude
        record.position_lat = lat
        record.position_long = lon
        builder.add(record)
    session = SessionMessage()
    session.timestamp = int(rec.time[-1]) * 1000
    session.start_time = start_ms
    session.total_elapsed_time = float(rec.time[-1] - rec.time[0])
    session.sport = FIT_SPORTS[rec.sport]
    builder.add(session)
    return builder.build().to_bytes()


def _points(rec: Recording) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "time": iso_utc(rec.time),
            "hr": integers(rec.heart_rate),
            "speed": fixed(rec.speed_kmh / 3.6, 3),
            "ele": fixed(rec.altitude, 1),
            "lat": fixed(rec.latitude, 7),
            "lon": fixed(rec.longitude, 7),
        }
    )


def gpx_bytes(rec: Recording) -> bytes:
    """GPX 1.1 as Garmin Connect and Strava export it: heart rate in a TrackPointExtension (v1),
    no speed (readers derive it from positions)."""
    lit = pl.lit
    lines = _points(rec).select(
        pl.concat_str(
            lit('   <trkpt lat="'), "lat", lit('" lon="'), "lon", lit('"><ele>'), "ele",
            lit("</ele><time>"), "time",
            lit("</time><extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>"), "hr",
            lit("</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>"),
        )
    ).to_series()  # fmt: skip
    start = iso_utc(rec.time[:1])[0]
    head = GPX_HEADER.format(start=start, title=rec.title, kind=GPX_TYPES[rec.sport])
    return (head + lines.str.join("\n").item() + "\n" + GPX_FOOTER).encode("utf-8")


def tcx_bytes(rec: Recording) -> bytes:
    """TCX v2 with speed (m/s) in the ActivityExtension v2 <TPX>, as Garmin devices write it."""
    lit = pl.lit
    lines = _points(rec).select(
        pl.concat_str(
            lit("     <Trackpoint><Time>"), "time",
            lit("</Time><Position><LatitudeDegrees>"), "lat",
            lit("</LatitudeDegrees><LongitudeDegrees>"), "lon",
            lit("</LongitudeDegrees></Position><AltitudeMeters>"), "ele",
            lit("</AltitudeMeters><HeartRateBpm><Value>"), "hr",
            lit("</Value></HeartRateBpm><Extensions><ns3:TPX><ns3:Speed>"), "speed",
            lit("</ns3:Speed></ns3:TPX></Extensions></Trackpoint>"),
        )
    ).to_series()  # fmt: skip
    head = TCX_HEADER.format(
        sport=TCX_SPORTS[rec.sport],
        start=iso_utc(rec.time[:1])[0],
        seconds=int(rec.time[-1] - rec.time[0]),
    )
    return (head + lines.str.join("\n").item() + "\n" + TCX_FOOTER).encode("utf-8")


WRITERS = {"fit": fit_bytes, "gpx": gpx_bytes, "tcx": tcx_bytes}
