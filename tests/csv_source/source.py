"""The CSV folder's registry entry."""

from pathlib import Path

from assets.sources.source import Source
from tests.csv_source.defs import NAME, CsvFolderSource, csv_folder_workouts


def claims_csv_folder(entry: Path) -> Path | None:
    return entry if entry.is_dir() and any(entry.glob("*/*.csv")) else None


CSV_FOLDER = Source(
    name=NAME,
    resource=CsvFolderSource,
    env_var="PULSELAKE_CSV_FOLDER",
    description="Read a folder of per-runner CSV files into the unified workout table.",
    assets=[csv_folder_workouts],
    checks=[],
    workouts_asset="csv_folder_workouts",
    claims=claims_csv_folder,
)
