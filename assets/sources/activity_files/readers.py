"""One activity file (FIT, TCX, GPX or CSV, each optionally gzipped) -> one workout's series.

`read_activities` (every activity of a file, each through `cleaning.clean_series`) is shared by
the `activity_files` source and `pulselake predict`, so a file is read the same way for training
and for prediction. Every problem is an ActivityFileError whose
message starts with the file and names the element, line or field at fault.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from assets.sources.activity_files.cleaning import FLAT_NOTE, MAX_GAP_S, clean_series
from assets.sources.activity_files.formats import (
    SAMPLE_SCHEMA,
    FormatError,
    Parsed,
    epoch_seconds,
    parse_fit,
    parse_gpx,
    parse_tcx,
)
from schemas.activity_files import ACTIVITY_SERIES

# A 24 h ultra at 1 Hz is under 20 MB in any of these formats; more is a zip bomb or not a
# workout, so decompression stops there instead of filling memory.
MAX_ACTIVITY_BYTES = 256 * 1024 * 1024
# The CSV's number columns, in the order _refuse_unparsed reports them: SAMPLE_SCHEMA's floats.
CSV_NUMBERS = ("speed", "altitude", "heart_rate", "latitude", "longitude")
if set(CSV_NUMBERS) != {name for name, dtype in SAMPLE_SCHEMA.items() if dtype.is_float()}:
    raise RuntimeError(f"CSV_NUMBERS {CSV_NUMBERS} are not the float columns of {SAMPLE_SCHEMA}")
EPOCH = r"^\s*\d+(\.\d*)?\s*$"


class ActivityFileError(ValueError):
    """An activity file that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Activity:
    path: Path
    sport: str | None  # as the file (or a CSV's sport column) declares it; None if it does not
    start_time: datetime  # UTC: the start the file declares, else its first time stamp
    series: pl.DataFrame  # ACTIVITY_SERIES, one row per second in time order (clean_series)
    part: int | None = None  # 1, 2, ... when the file holds several activities, else None
    notes: tuple[str, ...] = ()  # what clean_series changed, for the user to read

    @property
    def altitude_missing(self) -> bool:
        """The file had no altitude: the series holds a flat profile (0 m)."""
        return FLAT_NOTE in self.notes


def _refuse_unparsed(table: pl.DataFrame, parsed: pl.DataFrame) -> None:
    """FormatError naming the line and column of the first value that did not parse (a time
    must be there on every line; an empty number is a missing value)."""
    checks = [("time", "timestamp", "ISO 8601 or epoch seconds", True)]
    checks += [(name, name, "a number", False) for name in CSV_NUMBERS if name in table.columns]
    for name, column, wanted, required in checks:
        given = table[name].str.strip_chars().fill_null("")
        bad = (parsed[column].is_null() & (given.ne("") | required)).arg_true()
        if len(bad):
            row = int(bad[0])
            raise FormatError(f"line {row + 2}, column {name}: {given[row]!r} is not {wanted}")


def parse_csv(data: bytes) -> list[Parsed]:
    """Columns time (ISO 8601, or epoch seconds), speed (km/h), altitude (m), and optionally
    heart_rate, latitude, longitude, sport. Speed may be missing when positions are there."""
    try:
        table = pl.read_csv(io.BytesIO(data), infer_schema=False, raise_if_empty=False)
    except pl.exceptions.PolarsError as error:
        raise FormatError(f"not a readable CSV file: {error}") from error
    table = table.rename(lambda name: name.strip().lower())
    positions = {"latitude", "longitude"} <= set(table.columns)
    for required in ("time", "altitude", *(() if positions else ("speed",))):
        if required not in table.columns:
            raise FormatError(f"no '{required}' column (has {', '.join(table.columns)})")
    time = pl.col("time").str.strip_chars()
    epoch = time.str.contains(EPOCH).all()
    parsed = table.select(
        timestamp=pl.when(epoch)
        .then(time.cast(pl.Float64, strict=False).round())
        .otherwise(time.str.to_datetime(time_zone="UTC", strict=False).dt.epoch("s"))
        .cast(pl.Int64),
        **{
            name: pl.col(name).str.strip_chars().cast(pl.Float64, strict=False)
            if name in table.columns
            else pl.lit(None, pl.Float64)
            for name in CSV_NUMBERS
        },
    )
    _refuse_unparsed(table, parsed)
    sports = table["sport"].drop_nulls() if "sport" in table.columns else []
    sport = sports[0] if len(sports) else None
    return [Parsed(parsed.select(SAMPLE_SCHEMA.names()), sport, None)]


PARSERS: dict[str, Callable[[bytes], list[Parsed]]] = {
    ".fit": parse_fit,
    ".tcx": parse_tcx,
    ".gpx": parse_gpx,
    ".csv": parse_csv,
}


def activity_format(path: Path) -> str | None:
    """'.fit', '.tcx', '.gpx' or '.csv' for an activity file (also gzipped), else None."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes and suffixes[-1] in PARSERS else None


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it ends in .gz, never more than MAX_ACTIVITY_BYTES."""
    with open(path, "rb") as raw:
        stream = gzip.GzipFile(fileobj=raw) if path.name.lower().endswith(".gz") else raw
        data = stream.read(MAX_ACTIVITY_BYTES + 1)
    if len(data) > MAX_ACTIVITY_BYTES:
        raise ActivityFileError(f"{path}: more than {MAX_ACTIVITY_BYTES} bytes (decompressed)")
    return data


def _activity(path: Path, parsed: Parsed, part: int | None) -> Activity | None:
    """One parsed activity cleaned (clean_series); None when no sample is left."""
    series, notes = clean_series(parsed.samples.cast(dict(ACTIVITY_SERIES)))
    if series.height == 0:
        return None
    first = datetime.fromtimestamp(series["timestamp"][0], UTC)
    start = datetime.fromtimestamp(epoch_seconds(parsed.start), UTC) if parsed.start else first
    if abs((start - first).total_seconds()) > MAX_GAP_S:
        start = first  # the declared start belongs to a clock that jumped; the samples decide
    return Activity(path, parsed.sport, start, series, part, tuple(notes))


def read_activities(path: str | Path) -> list[Activity]:
    """Every activity in `path` (several for a multisport or multi-session FIT, or a TCX with
    several <Activity>), each cleaned by `clean_series`; dispatched on the suffix (.fit, .tcx,
    .gpx, .csv, each .gz too, any case)."""
    path = Path(path)
    kind = activity_format(path)
    if kind is None:
        raise ActivityFileError(
            f"{path}: unsupported file type (expected .fit, .tcx, .gpx or .csv, optionally .gz)"
        )
    try:
        parsed = PARSERS[kind](read_bytes(path))
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ActivityFileError(f"{path}: cannot be read: {error}") from error
    except FormatError as error:
        raise ActivityFileError(f"{path}: {error}") from error
    several = len(parsed) > 1
    found = [_activity(path, one, k + 1 if several else None) for k, one in enumerate(parsed)]
    activities = [activity for activity in found if activity is not None]
    if not activities:
        raise ActivityFileError(f"{path}: no samples with a time stamp")
    return activities


def read_activity(path: str | Path) -> Activity:
    """The first activity in `path` (see read_activities)."""
    return read_activities(path)[0]
