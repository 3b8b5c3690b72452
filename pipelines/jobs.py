"""Jobs: selections of the asset graph that users launch by name, built for the registry's
sources: one ingestion job per source, the sweep, the retraining and the audit."""

from collections.abc import Sequence

import dagster as dg

from assets.features.defs import SCHEME_PARTITIONS
from assets.sources.source import Source


def ingestion_job(source: Source):
    """One source's ingestion group as a job of the same name (a partitioned source's job is
    partitioned like its assets)."""
    return dg.define_asset_job(
        source.group,
        selection=dg.AssetSelection.groups(source.group),
        description=source.description,
        executor_def=dg.in_process_executor,
    )


def partitioned_ingestion(sources: Sequence[Source]) -> dg.AssetSelection:
    """The ingestion groups partitioned per file, which each run on their own partitions."""
    return dg.AssetSelection.groups(*(source.group for source in sources if source.partitioned))


sweep_job = dg.define_asset_job(
    "model_sweep",
    selection=dg.AssetSelection.assets("sweep", "leaderboard"),
    description="Train the grid in the `sweep` asset's config (families x learning rates x "
    "batch sizes x sequence lengths) and refresh the leaderboard.",
)


def retraining_job(sources: Sequence[Source]):
    return dg.define_asset_job(
        "retraining",
        selection=dg.AssetSelection.all() - partitioned_ingestion(sources),
        description="Rematerialise everything after the per-file ingestion, from the activity "
        "files and the unified workouts to evaluation and the production gate, for one split "
        "scheme (the partition); `retraining_passes` says which assets each pass needs.",
    )


def data_quality_audit_job(sources: Sequence[Source]):
    unpartitioned = [source.group for source in sources if not source.partitioned]
    return dg.define_asset_job(
        "data_quality_audit",
        selection=dg.AssetSelection.all_asset_checks()
        & dg.AssetSelection.groups(*unpartitioned, "quality"),
        description="Run only the asset checks of the activity files and the quality stage "
        "(every source's workouts together) against the tables in the lake; nothing is "
        "rematerialised. The per-file ingestion checks run with each partition's ingestion.",
    )


def retraining_passes(graph) -> list[tuple[str, list[dg.AssetKey]]]:
    """The two passes that rebuild everything after the per-file ingestion (every asset not
    partitioned per file): all of it with the cold-start (user_disjoint) partition, then the
    temporal partition of the scheme-partitioned assets and what depends on them. The second
    pass reads the first's tables."""
    first, *later = SCHEME_PARTITIONS.get_partition_keys()
    everything = sorted(
        key
        for key in dg.AssetSelection.all().resolve(graph)
        if not isinstance(graph.get(key).partitions_def, dg.DynamicPartitionsDefinition)
    )
    by_scheme = [key for key in everything if graph.get(key).partitions_def == SCHEME_PARTITIONS]
    downstream = sorted(dg.AssetSelection.assets(*by_scheme).downstream().resolve(graph))
    return [(first, everything), *((scheme, downstream) for scheme in later)]


def stage_jobs(sources: Sequence[Source]) -> list:
    """The jobs over the stages after ingestion (each source's own job is `ingestion_job`)."""
    return [
        sweep_job,
        retraining_job(sources),
        data_quality_audit_job(sources),
    ]
