"""The activity-files source's registry entry."""

from assets.lake.resources import Lake
from assets.sources.activity_files.defs import activity_files_assets, activity_files_checks
from assets.sources.activity_files.files import (
    NAME,
    ActivityFilesSource,
    activity_root,
    claims_folder,
)
from assets.sources.source import WATCH_GATES, Source, SourcePath
from assets.sources.truth import listed_truth
from simulator.activity_files import truth_dir_for_folder


def activity_files_truth(lake: Lake, activity_files: SourcePath, _files: None) -> list:
    """The sidecar beside the folder (`<folder>.truth/`)."""
    return [listed_truth(truth_dir_for_folder(activity_root(lake, activity_files)), NAME)]


ACTIVITY_FILES = Source(
    name=NAME,
    resource=ActivityFilesSource,
    env_var="PULSELAKE_ACTIVITY_FILES",
    description="Read the configured folder of FIT/TCX/GPX/CSV files or Strava exports (or the "
    "simulated sample) into the unified workout table and its quarantine.",
    assets=activity_files_assets,
    checks=activity_files_checks,
    workouts_asset="activity_files_workouts",
    claims=claims_folder,
    gate_overrides=WATCH_GATES,
    truth=activity_files_truth,
)
