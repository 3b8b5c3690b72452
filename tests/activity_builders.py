"""Tiny activity files written by hand in tests: FIT with fit-tool, GPX, TCX and CSV text."""

from __future__ import annotations

import gzip
from pathlib import Path

from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.profile_type import FileType, Manufacturer, Sport

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z


def fit_file(records: list[dict], sport: Sport = Sport.RUNNING, start: int = T0) -> bytes:
    """A FIT activity: file_id, one record message per dict (fit-tool field names, degrees and
    m/s as fit-tool takes them, timestamp in epoch s), and a session with the sport."""
    return fit_sessions([(records, sport)], start)


def fit_sessions(sessions: list[tuple[list[dict], Sport]], start: int = T0) -> bytes:
    """A FIT file of one session per (records, sport), each after its records, as devices
    write multisport and multi-session files; a session spans its records' first to last time."""
    builder = FitFileBuilder(auto_define=True)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.time_created = start * 1000
    builder.add(file_id)
    for k, (records, sport) in enumerate(sessions):
        for values in records:
            record = RecordMessage()
            for name, value in values.items():
                setattr(record, name, value * 1000 if name == "timestamp" else value)
            builder.add(record)
        session = SessionMessage()
        first, last = records[0]["timestamp"], records[-1]["timestamp"]
        session.timestamp = last * 1000
        session.start_time = (start if k == 0 else first) * 1000
        session.total_elapsed_time = last - (start if k == 0 else first)
        session.sport = sport
        builder.add(session)
    return builder.build().to_bytes()


GPX_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"
 xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
 xmlns:tpx2="http://www.garmin.com/xmlschemas/TrackPointExtension/v2">
 <trk><type>{sport}</type><trkseg>
{points}
 </trkseg></trk>
</gpx>
"""

TCX_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
 xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
 <Activities>
  <Activity Sport="{sport}">
   <Id>{start}</Id>
   <Lap StartTime="{start}"><Track>
{points}
   </Track></Lap>
  </Activity>
 </Activities>
</TrainingCenterDatabase>
"""


def tcx_point(time: str, lat: float, lon: float, ele: float, hr: int | None, speed: float) -> str:
    heart = f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm>" if hr is not None else ""
    return (
        f"    <Trackpoint><Time>{time}</Time><Position><LatitudeDegrees>{lat}</LatitudeDegrees>"
        f"<LongitudeDegrees>{lon}</LongitudeDegrees></Position>"
        f"<AltitudeMeters>{ele}</AltitudeMeters>{heart}"
        f"<Extensions><ns3:TPX><ns3:Speed>{speed}</ns3:Speed></ns3:TPX></Extensions></Trackpoint>"
    )


def write(path: Path, data: bytes | str) -> Path:
    """Write `data` to `path`, gzipped when the name ends in .gz."""
    data = data.encode() if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if path.suffix.lower() == ".gz" else data)
    return path


def tcx_activities(*activities: tuple[str, str, str]) -> str:
    """A TCX of several (sport, start, points) <Activity>, as a watch exports several runs."""
    first = TCX_TEMPLATE.format(sport="{sport}", start="{start}", points="{points}")
    head, rest = first.split("  <Activity", 1)
    body, tail = ("  <Activity" + rest).rsplit(" </Activities>", 1)
    blocks = "".join(body.format(sport=s, start=t, points=p) for s, t, p in activities)
    return head + blocks + " </Activities>" + tail


def run_records(minutes: int = 10, step: int = 5, hr: bool = True, t0: int = T0) -> list[dict]:
    """The records of `running_fit`, starting at `t0`."""
    return [
        {
            "timestamp": t0 + k,
            "enhanced_speed": 10 / 3.6,
            "enhanced_altitude": 50.0 + k / 100,
            "position_lat": 52.5 + (10 / 3.6) * k / 111_320,
            "position_long": 13.4,
            **({"heart_rate": 120 + k // 30} if hr else {}),
        }
        for k in range(0, minutes * 60 + 1, step)
    ]


def running_fit(minutes: int = 10, step: int = 5, hr: bool = True) -> bytes:
    """A plausible steady run: 10 km/h on a gentle northward line, heart rate rising."""
    return fit_file(run_records(minutes, step, hr))
