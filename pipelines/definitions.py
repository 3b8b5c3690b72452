"""The one Definitions of the pulselake code location, built for the registry's sources."""

from collections.abc import Sequence

import dagster as dg

from assets.evaluation.comparison import model_comparison
from assets.evaluation.defs import evaluation_assets
from assets.evaluation.production import production_assets, production_checks
from assets.evaluation.report import evaluation_report
from assets.features.defs import tensor_assets, tensor_checks_defs
from assets.personalize.defs import activity_files_personalisation, personalisation
from assets.quality.defs import quality_definitions
from assets.reality.defs import reality_check
from assets.sources.registry import SOURCES
from assets.sources.source import Source
from assets.training.defs import family_assets
from assets.training.sweep import sweep
from pipelines.automation import carry_new_data, data_automation_sensor
from pipelines.freshness import weekly_freshness
from pipelines.jobs import ingestion_job, stage_jobs
from pipelines.resources import lake_resources
from pipelines.schedules import schedules_from_env
from pipelines.sensors import build_source_files_sensor


def build_definitions(sources: Sequence[Source] = SOURCES, resources: dict | None = None):
    """Every asset, check, job, schedule and sensor for these sources; `resources` default to
    `lake_resources` (the environment's lake and source paths)."""
    quality_assets, quality_checks = quality_definitions(sources)
    ingestion_jobs = {source.name: ingestion_job(source) for source in sources}
    return dg.Definitions(
        assets=dg.map_asset_specs(
            lambda spec: carry_new_data(weekly_freshness(spec)),
            [
                *(asset for source in sources for asset in source.assets),
                *quality_assets,
                *tensor_assets,
                *family_assets,
                personalisation,
                activity_files_personalisation,
                sweep,
                *evaluation_assets(sources),
                model_comparison,
                *production_assets,
                reality_check,
                evaluation_report,
            ],
        ),
        asset_checks=[
            *(check for source in sources for check in source.checks),
            *quality_checks,
            *tensor_checks_defs,
            *production_checks,
        ],
        jobs=[*ingestion_jobs.values(), *stage_jobs(sources)],
        schedules=schedules_from_env(sources, ingestion_jobs),
        sensors=[
            build_source_files_sensor(sources, ingestion_jobs.values()),
            data_automation_sensor,
        ],
        resources=resources or lake_resources(sources=sources),
    )


defs = build_definitions()
