"""Workout routes: the Watch's GPX files (parsed by assets.sources.gpx), spread over worker
processes.

gpxpy is thorough but slow (~9,000 points/s per core here), so routes are read in parallel.
"""

from __future__ import annotations

from collections.abc import Iterable
from zipfile import BadZipFile

import polars as pl

from assets.lake.parallel import map_in_processes
from assets.sources.apple_health.export import AppleExport, RouteUnavailable, UnsafeExportError
from assets.sources.gpx import GpxError, gpx_points, parse_gpx_document
from schemas.apple import AppleRoutePoints
from schemas.tables import polars_schema

ROUTES_PER_TASK = 16
POINT_SCHEMA = pl.Schema(
    {k: v for k, v in polars_schema(AppleRoutePoints).items() if k not in ("user_id", "workout_id")}
)


def parse_gpx(data: bytes) -> pl.DataFrame:
    """Track points of a route (time UTC, lat, lon, ele, the Watch's extensions) or GpxError."""
    return gpx_points(parse_gpx_document(data)).select(POINT_SCHEMA.names()).cast(POINT_SCHEMA)


def read_routes(
    export: AppleExport, routes: list[tuple[str, str]]
) -> tuple[pl.DataFrame, list[dict]]:
    """Points of each (workout_id, FileReference path), and quarantine rows for the rest."""
    frames, problems = [], []
    with export.files() as read:
        for workout_id, reference in routes:
            try:
                points = parse_gpx(read(reference))
            except (GpxError, RouteUnavailable, UnsafeExportError, OSError, BadZipFile) as error:
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
    """`read_routes` over batches of routes in worker processes."""
    batches = [
        (export, routes[i : i + ROUTES_PER_TASK])
        for export, routes in tasks
        for i in range(0, len(routes), ROUTES_PER_TASK)
    ]
    results = map_in_processes(read_routes, batches, workers)
    points = pl.concat([polars_schema(AppleRoutePoints).to_frame(), *(r[0] for r in results)])
    return points, [problem for _, found in results for problem in found]
