"""Workout routes: GPX files parsed with gpxpy, the Watch's extensions read in the GPX namespace.

The Watch writes speed (m/s), course, hAcc and vAcc inside each trkpt's <extensions> in the GPX
1.1 namespace; the research code ignored the namespace and lost speed. gpxpy is thorough but slow
(~9,000 points/s per core here), so routes are spread over worker processes.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from zipfile import BadZipFile

import gpxpy
import gpxpy.gpx
import polars as pl

from assets.apple_export import AppleExport, RouteUnavailable, UnsafeExportError
from schemas.apple import AppleRoutePoints
from schemas.tables import polars_schema

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"
EXTENSIONS = {"speed": "speed", "course": "course", "hAcc": "h_acc", "vAcc": "v_acc"}
DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
ROUTES_PER_TASK = 16
POINT_SCHEMA = pl.Schema(
    {k: v for k, v in polars_schema(AppleRoutePoints).items() if k not in ("user_id", "workout_id")}
)


class RouteError(ValueError):
    """A route file that exists but cannot be used (reason in the message)."""


def _extension_values(point: gpxpy.gpx.GPXTrackPoint) -> dict[str, float | None]:
    """speed/course/hAcc/vAcc from <extensions>, only when in the GPX namespace.

    gpxpy strips the document's default namespace, so GPX-namespace children arrive unqualified;
    a prefixed GPX namespace arrives as '{ns}name'. Other vendors' namespaces are ignored.
    """
    values: dict[str, float | None] = dict.fromkeys(EXTENSIONS.values())
    for child in point.extensions:
        namespace, _, local = str(child.tag).rpartition("}")
        if namespace.lstrip("{") not in ("", GPX_NAMESPACE) or local not in EXTENSIONS:
            continue
        try:
            values[EXTENSIONS[local]] = float(child.text)
        except (TypeError, ValueError):
            continue
    return values


def parse_gpx(data: bytes) -> pl.DataFrame:
    """Track points of a GPX document (time UTC, lat, lon, ele, extensions) or RouteError."""
    if DECLARATIONS.search(data):
        raise RouteError("GPX declares a DTD or entities; refused")
    try:
        gpx = gpxpy.parse(data.decode("utf-8"))
    except (gpxpy.gpx.GPXException, UnicodeDecodeError, ValueError) as error:
        raise RouteError(f"not a readable GPX file: {error}") from error
    rows = [
        {
            "time": point.time,
            "latitude": point.latitude,
            "longitude": point.longitude,
            "altitude": point.elevation,
            **_extension_values(point),
        }
        for track in gpx.tracks
        for segment in track.segments
        for point in segment.points
    ]
    points = pl.DataFrame(rows, schema=POINT_SCHEMA, strict=False)
    if points.height == 0:
        raise RouteError("GPX holds no track points")
    if points["time"].null_count():
        raise RouteError(f"{points['time'].null_count()} track points have no time")
    return points


def read_routes(
    export: AppleExport, routes: list[tuple[str, str]]
) -> tuple[pl.DataFrame, list[dict]]:
    """Points of each (workout_id, FileReference path), and quarantine rows for the rest."""
    frames, problems = [], []
    with export.files() as read:
        for workout_id, reference in routes:
            try:
                points = parse_gpx(read(reference))
            except (RouteError, RouteUnavailable, UnsafeExportError, OSError, BadZipFile) as error:
                problems.append({"workout_id": workout_id, "file": reference, "reason": str(error)})
                continue
            frames.append(
                points.select(
                    pl.lit(export.user_id).alias("user_id"),
                    pl.lit(workout_id).alias("workout_id"),
                    pl.all(),
                )
            )
    empty = polars_schema(AppleRoutePoints).to_frame()
    return pl.concat([empty, *frames]), problems


def read_all_routes(
    tasks: Iterable[tuple[AppleExport, list[tuple[str, str]]]], workers: int | None = None
) -> tuple[pl.DataFrame, list[dict]]:
    """`read_routes` over batches of routes in worker processes (spawned: polars is threaded,
    so forking it is unsafe)."""
    batches = [
        (export, routes[i : i + ROUTES_PER_TASK])
        for export, routes in tasks
        for i in range(0, len(routes), ROUTES_PER_TASK)
    ]
    workers = min(workers or os.cpu_count() or 1, len(batches))
    if workers <= 1:
        results = [read_routes(*batch) for batch in batches]
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(pool.map(read_routes, *zip(*batches, strict=True)))
    points = pl.concat([polars_schema(AppleRoutePoints).to_frame(), *(r[0] for r in results)])
    return points, [problem for _, found in results for problem in found]
