"""Jobs: selections of the asset graph that users launch by name."""

import dagster as dg

from assets.training import SCHEME_PARTITIONS

# The ingestion groups partitioned per file (FitRec) and per person (Apple Health).
PARTITIONED_INGESTION = dg.AssetSelection.groups("fitrec_ingestion", "apple_health_ingestion")

fitrec_ingestion_job = dg.define_asset_job(
    "fitrec_ingestion",
    selection=dg.AssetSelection.groups("fitrec_ingestion"),
    description="Ingest one FitRec file (a partition: configured, dropped into the inbox, or the "
    "simulated sample) into bronze tables.",
    executor_def=dg.in_process_executor,
)

apple_health_ingestion_job = dg.define_asset_job(
    "apple_health_ingestion",
    selection=dg.AssetSelection.groups("apple_health_ingestion"),
    description="Ingest one person's Apple Health export (a partition) and align heart rate onto "
    "each run's GPS clock.",
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

retraining_job = dg.define_asset_job(
    "retraining",
    selection=dg.AssetSelection.all() - PARTITIONED_INGESTION,
    description="Rematerialise everything after the per-file ingestion, from the activity files "
    "and the unified workouts to evaluation and the production gate, for one split scheme (the "
    "partition); `retraining_passes` says which assets each pass needs.",
)

data_quality_audit_job = dg.define_asset_job(
    "data_quality_audit",
    selection=dg.AssetSelection.all_asset_checks()
    & dg.AssetSelection.groups("activity_files_ingestion", "quality"),
    description="Run only the asset checks of the activity files and the quality stage (every "
    "source's workouts together) against the tables in the lake; nothing is rematerialised. The "
    "per-file ingestion checks run with each partition's ingestion.",
)


def retraining_passes(graph) -> list[tuple[str, list[dg.AssetKey]]]:
    """The two passes that rebuild everything after the per-file ingestion: all of it with the
    cold-start (user_disjoint) partition, then the temporal partition of the scheme-partitioned
    assets and what depends on them. The second pass reads the first's tables."""
    first, *later = SCHEME_PARTITIONS.get_partition_keys()
    everything = sorted((dg.AssetSelection.all() - PARTITIONED_INGESTION).resolve(graph))
    by_scheme = [key for key in everything if graph.get(key).partitions_def == SCHEME_PARTITIONS]
    downstream = sorted(dg.AssetSelection.assets(*by_scheme).downstream().resolve(graph))
    return [(first, everything), *((scheme, downstream) for scheme in later)]


all_jobs = [
    fitrec_ingestion_job,
    apple_health_ingestion_job,
    activity_files_ingestion_job,
    sweep_job,
    retraining_job,
    data_quality_audit_job,
]
