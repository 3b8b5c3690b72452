"""Jobs: selections of the asset graph that users launch by name."""

import dagster as dg

fitrec_ingestion_job = dg.define_asset_job(
    "fitrec_ingestion",
    selection=dg.AssetSelection.groups("fitrec_ingestion"),
    description="Ingest the configured FitRec file (or the simulated sample) into bronze tables.",
    executor_def=dg.in_process_executor,
)

apple_health_ingestion_job = dg.define_asset_job(
    "apple_health_ingestion",
    selection=dg.AssetSelection.groups("apple_health_ingestion"),
    description="Ingest the configured Apple Health exports (or the simulated sample) and align "
    "heart rate onto each run's GPS clock.",
    executor_def=dg.in_process_executor,
)

activity_files_ingestion_job = dg.define_asset_job(
    "activity_files_ingestion",
    selection=dg.AssetSelection.groups("activity_files_ingestion"),
    description="Read the configured folder of FIT/TCX/GPX/CSV files or Strava exports (or the "
    "simulated sample) into the unified workout table and its quarantine.",
    executor_def=dg.in_process_executor,
)

sweep_job = dg.define_asset_job(
    "model_sweep",
    selection=dg.AssetSelection.assets("sweep", "leaderboard"),
    description="Train the grid in the `sweep` asset's config (families x learning rates x "
    "batch sizes x sequence lengths) and refresh the leaderboard.",
)

all_jobs = [
    fitrec_ingestion_job,
    apple_health_ingestion_job,
    activity_files_ingestion_job,
    sweep_job,
]
