"""Hand-written miniature Apple Health exports for tests (the simulator writes the big ones)."""

from __future__ import annotations

import zipfile
from pathlib import Path

DTD = """<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
]>
"""
# What iOS 16 wrote: an ATTLIST whose closing '>' is missing, so strict parsers stop in the DTD.
BROKEN_DTD = """<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED

<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
]>
"""
ME = (
    ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1987-05-02" '
    'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" '
    'HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet"/>'
)
OWNER = "Anna\u2019s"  # Apple writes a typographic apostrophe
WATCH = (
    f'sourceName="{OWNER} Apple Watch" sourceVersion="8.0" device="&lt;&lt;HKDevice: 0x2&gt;, '
    'name:Apple Watch, hardware:Watch6,2&gt;"'
)


def hr(date: str, value: str, motion: int | None = None, kind: str = "HeartRate") -> str:
    """A Record line as Apple writes it (attributes in Apple's order)."""
    unit = "ms" if kind.endswith("SDNN") else "count/min"
    head = (
        f' <Record type="HKQuantityTypeIdentifier{kind}" {WATCH} unit="{unit}" '
        f'creationDate="{date}" startDate="{date}" endDate="{date}" value="{value}"'
    )
    if motion is None:
        return head + "/>"
    child = f'  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="{motion}"/>'
    return f"{head}>\n{child}\n </Record>"


def workout(start: str, end: str, route: str | None = None, indoor: bool = False) -> str:
    lines = [
        ' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" '
        f'durationUnit="min" sourceName="{OWNER} Apple Watch" sourceVersion="8.0" '
        f'creationDate="{end}" startDate="{start}" endDate="{end}">',
        f'  <MetadataEntry key="HKIndoorWorkout" value="{int(indoor)}"/>',
        '  <MetadataEntry key="HKTimeZone" value="Europe/Berlin"/>',
        '  <MetadataEntry key="HKElevationAscended" value="956 cm"/>',
        f'  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" '
        f'startDate="{start}" endDate="{end}" sum="5.12" unit="km"/>',
    ]
    if route:
        lines += [
            f'  <WorkoutRoute sourceName="{OWNER} Apple Watch" '
            f'startDate="{start}" endDate="{end}">',
            f'   <FileReference path="{route}"/>',
            "  </WorkoutRoute>",
        ]
    return "\n".join([*lines, " </Workout>"])


def export_xml(*elements: str, dtd: str = DTD, close: bool = True) -> str:
    body = "\n".join([' <ExportDate value="2021-11-01 20:00:00 +0100"/>', ME, *elements])
    tail = "\n</HealthData>\n" if close else "\n"
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n{dtd}<HealthData locale="en_US">\n'
    return head + body + tail


def gpx(points: list[tuple[str, float, float, float | None]], prefix: str = "") -> str:
    """A Watch-style GPX 1.1 route: (UTC time, lat, lon, speed m/s or None)."""
    ns = f"{prefix}:" if prefix else ""
    declare = f'xmlns:{prefix}="http://www.topografix.com/GPX/1/1"' if prefix else ""
    rows = []
    for time, lat, lon, speed in points:
        ext = (
            f"<extensions><{ns}speed>{speed}</{ns}speed><{ns}course>90.0</{ns}course>"
            f"<{ns}hAcc>3.0</{ns}hAcc><{ns}vAcc>2.0</{ns}vAcc></extensions>"
            if speed is not None
            else ""
        )
        rows.append(
            f'   <trkpt lon="{lon}" lat="{lat}"><ele>34.5</ele><time>{time}</time>{ext}</trkpt>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="Apple Health Export" '
        f'xmlns="http://www.topografix.com/GPX/1/1" {declare}>\n <trk>\n  <name>Route</name>\n'
        "  <trkseg>\n" + "\n".join(rows) + "\n  </trkseg>\n </trk>\n</gpx>\n"
    )


def write_export(
    folder: Path, xml: str, routes: dict[str, str] | None = None, zipped: bool = False
) -> Path:
    """Write `apple_health_export/` (or `export.zip`) under `folder`; returns what was written."""
    files = {"apple_health_export/export.xml": xml}
    files |= {f"apple_health_export/workout-routes/{k}": v for k, v in (routes or {}).items()}
    folder.mkdir(parents=True, exist_ok=True)
    if zipped:
        with zipfile.ZipFile(folder / "export.zip", "w") as archive:
            for name, text in files.items():
                archive.writestr(name, text)
        return folder / "export.zip"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "apple_health_export"
