"""Jobs: selections of the asset graph that users launch by name."""

import dagster as dg

from assets.training import SCHEME_PARTITIONS

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

retraining_job = dg.define_asset_job(
    "retraining",
    selection=dg.AssetSelection.all(),
    description="Rematerialise the whole graph, ingestion to evaluation and the production gate, "
    "for one split scheme (the partition); `retraining_passes` says which assets each pass needs.",
)

INGESTION_GROUPS = ("fitrec_ingestion", "apple_health_ingestion", "activity_files_ingestion")

data_quality_audit_job = dg.define_asset_job(
    "data_quality_audit",
    selection=dg.AssetSelection.all_asset_checks()
    & dg.AssetSelection.groups(*INGESTION_GROUPS, "quality"),
    description="Run only the asset checks of the ingestion and quality stages against the "
    "tables already in the lake; nothing is rematerialised.",
)


def retraining_passes(graph) -> list[tuple[str, list[dg.AssetKey] | None]]:
    """The two passes that rebuild everything: the whole graph with the cold-start
    (user_disjoint) partition, then the temporal partition of the partitioned assets and what
    depends on them (None: the whole graph). The second pass reads the first's tables."""
    first, *later = SCHEME_PARTITIONS.get_partition_keys()
    partitioned = [key for key in graph.get_all_asset_keys() if graph.get(key).is_partitioned]
    downstream = sorted(dg.AssetSelection.assets(*partitioned).downstream().resolve(graph))
    return [(first, None), *((scheme, downstream) for scheme in later)]


all_jobs = [
    fitrec_ingestion_job,
    apple_health_ingestion_job,
    activity_files_ingestion_job,
    sweep_job,
    retraining_job,
    data_quality_audit_job,
]
