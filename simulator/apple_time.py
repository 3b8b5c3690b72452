"""Clock handling: where the user is at each instant and Apple's local date strings.

export.xml writes every date in the zone the phone was in at that moment, with its offset
(`2021-03-04 07:52:10 +0100`); GPX files write UTC. All conversions here are vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache

import numpy as np
import polars as pl

DAY = 86_400


def midnight_utc(day: date) -> int:
    """Epoch seconds of 00:00 UTC on `day`."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _utc(epoch: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(epoch, dtype=np.int64) * 1_000_000).cast(pl.Datetime("us", "UTC"))


HOUR, FIRST_HOUR, LAST_HOUR = 3600, 40 * 8766, 70 * 8766  # table spans 2010 to 2040


@cache
def _hourly(zone: str) -> np.ndarray:
    """UTC offset of `zone` at every whole UTC hour 2010-2040; zones change offset on the hour."""
    local = _utc(np.arange(FIRST_HOUR, LAST_HOUR) * HOUR).dt.convert_time_zone(zone)
    offset = local.dt.base_utc_offset() + local.dt.dst_offset()
    return offset.dt.total_seconds().to_numpy().astype(np.int64)


def zone_offsets(epoch: np.ndarray, zone: str) -> np.ndarray:
    """UTC offset (s) of `zone` at each instant, summer time included."""
    hours = np.asarray(epoch, dtype=np.int64) // HOUR - FIRST_HOUR
    if len(hours) and (hours.min() < 0 or hours.max() >= LAST_HOUR - FIRST_HOUR):
        raise ValueError("instants outside 2010-2040")
    return _hourly(zone)[hours]


def local_to_utc(wall: np.ndarray, zone: str) -> np.ndarray:
    """Epoch seconds of local wall-clock times (given as naive epoch seconds) in `zone`."""
    naive = pl.Series(np.asarray(wall, dtype=np.int64) * 1_000_000).cast(pl.Datetime("us"))
    aware = naive.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="raise")
    return aware.dt.epoch("s").to_numpy().astype(np.int64)


@dataclass(frozen=True)
class Itinerary:
    """Home zone, except from `trip_start` (inclusive) to `trip_end` (exclusive, UTC s)."""

    home: str
    trip: str
    trip_start: int
    trip_end: int

    def away(self, epoch: np.ndarray) -> np.ndarray:
        return (epoch >= self.trip_start) & (epoch < self.trip_end)

    def offsets(self, epoch: np.ndarray) -> np.ndarray:
        epoch = np.asarray(epoch, dtype=np.int64)
        out = zone_offsets(epoch, self.home)
        away = self.away(epoch)
        if away.any():
            out[away] = zone_offsets(epoch[away], self.trip)
        return out

    def zone_names(self, epoch: np.ndarray) -> list[str]:
        return np.where(self.away(np.asarray(epoch)), self.trip, self.home).tolist()


def offset_text(offsets: np.ndarray) -> pl.Series:
    """'+0100' style offsets; only the few distinct values are formatted in Python."""
    uniq, inverse = np.unique(offsets, return_inverse=True)
    text = [f"{'-' if o < 0 else '+'}{abs(o) // 3600:02d}{abs(o) % 3600 // 60:02d}" for o in uniq]
    return pl.Series(text, dtype=pl.String).gather(inverse.ravel())


def stamps(epoch: np.ndarray, offsets: np.ndarray) -> pl.Series:
    """Apple's `YYYY-MM-DD HH:MM:SS +HHMM` for instants in zones with the given offsets."""
    epoch, offsets = np.asarray(epoch, dtype=np.int64), np.asarray(offsets, dtype=np.int64)
    wall = _utc(epoch + offsets).dt.strftime("%Y-%m-%d %H:%M:%S ")
    return wall + offset_text(offsets)


def iso_utc(epoch: np.ndarray) -> pl.Series:
    """GPX times: `2021-03-04T06:52:10Z`."""
    return _utc(epoch).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def clock_12h(wall_s: np.ndarray, sep: str) -> pl.Series:
    """Local wall time (s since midnight) as `7{sep}52am`; no leading zero on the hour."""
    minutes = (np.asarray(wall_s, dtype=np.int64) % DAY) // 60
    hour, minute = minutes // 60, minutes % 60
    h12 = pl.Series((hour + 11) % 12 + 1).cast(pl.String)
    mm = pl.Series(minute).cast(pl.String).str.zfill(2)
    return h12 + sep + mm + pl.Series(np.where(hour < 12, "am", "pm"))


def route_names(end: np.ndarray, offsets: np.ndarray) -> tuple[list[str], list[str]]:
    """GPX file names and track names, from the local time the route ended.

    Real exports name `route_2021-01-08_7.13pm.gpx` a route that ran 18:44-19:13 local.
    """
    wall = np.asarray(end, dtype=np.int64) + np.asarray(offsets, dtype=np.int64)
    day = _utc(wall).dt.strftime("%Y-%m-%d")
    files = "route_" + day + "_" + clock_12h(wall, ".") + ".gpx"
    titles = "Route " + day + " " + clock_12h(wall, ":")
    return files.to_list(), titles.to_list()
