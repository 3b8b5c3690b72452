"""The CSV folder's one asset: every CSV file as a row of the unified workout table."""

from pathlib import Path

import dagster as dg
import polars as pl

from assets.sources.source import SourcePath
from assets.sources.unify import UNIFIED

NAME = "csv_folder"


class CsvFolderSource(SourcePath):
    """A folder of one sub-folder of CSV files per runner."""


def csv_workout(path: Path, runner: str) -> dict:
    samples = pl.read_csv(path)
    return {
        "source": NAME,
        "workout_id": f"{runner}/{path.stem}",
        "user_id": runner,
        "sport": "run",
        "gender": "unknown",
        "start_time": None,
        "source_file": str(path),
        "timestamp": samples["time"].to_list(),
        "heart_rate": samples["heart_rate"].to_list(),
        "speed": samples["speed"].to_list(),
        "altitude": samples["altitude"].to_list(),
        "latitude": samples["latitude"].to_list(),
        "longitude": samples["longitude"].to_list(),
    }


@dg.asset(group_name=f"{NAME}_ingestion", kinds={"csv"})
def csv_folder_workouts(csv_folder: CsvFolderSource) -> pl.DataFrame:
    rows = [
        csv_workout(path, path.parent.name)
        for path in sorted(Path(csv_folder.path).glob("*/*.csv"))
    ]
    return pl.DataFrame(rows, schema=dict(UNIFIED)).with_columns(
        start_time=pl.from_epoch(pl.col("timestamp").list.first(), "s").dt.replace_time_zone("UTC")
    )
