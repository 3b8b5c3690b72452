"""GPX track points with gpxpy, for Apple Watch routes and any device's activity files alike.

Extensions are read by namespace, never by bare name: the Watch writes speed (m/s), course,
hAcc and vAcc as <extensions> children in the GPX 1.1 namespace (the research code ignored the
namespace and lost speed); Garmin devices, Strava and most apps write heart rate (and, in v2,
speed) inside a Garmin TrackPointExtension (v1 or v2 namespace). Other vendors' namespaces are
ignored. A document that declares a DTD or entities is refused before parsing: no GPX needs one,
and entities are how external-entity and billion-laughs attacks work.
"""

from __future__ import annotations

import re

import gpxpy
import gpxpy.gpx
import polars as pl

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"
TRACKPOINT_NAMESPACES = (
    "http://www.garmin.com/xmlschemas/TrackPointExtension/v1",
    "http://www.garmin.com/xmlschemas/TrackPointExtension/v2",
)
GPX_EXTENSIONS = {"speed": "speed", "course": "course", "hAcc": "h_acc", "vAcc": "v_acc"}
TRACKPOINT_EXTENSIONS = {"hr": "heart_rate", "speed": "trackpoint_speed"}
DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
POINT_SCHEMA = pl.Schema(
    {
        "time": pl.Datetime("us", "UTC"),
        "latitude": pl.Float64,
        "longitude": pl.Float64,
        "altitude": pl.Float64,
        **dict.fromkeys(GPX_EXTENSIONS.values(), pl.Float64),
        "heart_rate": pl.Float64,
    }
)


class GpxError(ValueError):
    """A GPX document that cannot be used (reason in the message)."""


def _split(tag: object) -> tuple[str, str]:
    namespace, _, local = str(tag).rpartition("}")
    return namespace.lstrip("{"), local


def _number(text: str | None) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def extension_values(point: gpxpy.gpx.GPXTrackPoint) -> dict[str, float | None]:
    """GPX-namespace speed/course/hAcc/vAcc and TrackPointExtension hr (and v2 speed, used
    where the GPX namespace has none).

    gpxpy strips the document's default namespace, so GPX-namespace children arrive unqualified;
    a prefixed GPX namespace arrives as '{ns}name'.
    """
    values: dict[str, float | None] = dict.fromkeys(
        [*GPX_EXTENSIONS.values(), *TRACKPOINT_EXTENSIONS.values()]
    )
    for child in point.extensions:
        namespace, local = _split(child.tag)
        if namespace in ("", GPX_NAMESPACE) and local in GPX_EXTENSIONS:
            values[GPX_EXTENSIONS[local]] = _number(child.text)
        elif namespace in TRACKPOINT_NAMESPACES and local == "TrackPointExtension":
            for field in child:
                inner_namespace, name = _split(field.tag)
                if inner_namespace in TRACKPOINT_NAMESPACES and name in TRACKPOINT_EXTENSIONS:
                    values[TRACKPOINT_EXTENSIONS[name]] = _number(field.text)
    if values["speed"] is None:
        values["speed"] = values["trackpoint_speed"]
    del values["trackpoint_speed"]
    return values


def parse_gpx_document(data: bytes) -> gpxpy.gpx.GPX:
    """The gpxpy document, or GpxError for declarations and unreadable files."""
    if DECLARATIONS.search(data):
        raise GpxError("GPX declares a DTD or entities; refused")
    try:
        return gpxpy.parse(data.decode("utf-8"))
    except (gpxpy.gpx.GPXException, UnicodeDecodeError, ValueError) as error:
        raise GpxError(f"not a readable GPX file: {error}") from error


def gpx_points(gpx: gpxpy.gpx.GPX) -> pl.DataFrame:
    """Every track point (columns POINT_SCHEMA: time UTC, degrees, m, m/s, bpm), or GpxError
    when there are none or one has no time."""
    rows = [
        {
            "time": point.time,
            "latitude": point.latitude,
            "longitude": point.longitude,
            "altitude": point.elevation,
            **extension_values(point),
        }
        for track in gpx.tracks
        for segment in track.segments
        for point in segment.points
    ]
    points = pl.DataFrame(rows, schema=POINT_SCHEMA, strict=False)
    if points.height == 0:
        raise GpxError("GPX holds no track points")
    if missing := points["time"].null_count():
        first = points["time"].is_null().arg_true()[0]
        raise GpxError(f"{missing} track points have no time (the first is trkpt {first + 1})")
    return points
