"""The one Definitions of the pulselake code location."""

import dagster as dg

from assets.activity_files import activity_files_assets, activity_files_checks
from assets.apple import apple_assets, apple_checks
from assets.comparison import model_comparison
from assets.evaluation import evaluation_assets
from assets.evaluation_report import evaluation_report
from assets.fitrec import fitrec_bronze, fitrec_checks, fitrec_source
from assets.personalisation import activity_files_personalisation, personalisation
from assets.production import production_assets, production_checks
from assets.quality import quality_assets, quality_checks
from assets.sweep import sweep
from assets.tensors import tensor_assets, tensor_checks_defs
from assets.training import family_assets
from pipelines.automation import carry_new_data, data_automation_sensor
from pipelines.freshness import weekly_freshness
from pipelines.jobs import all_jobs
from pipelines.resources import lake_resources
from pipelines.schedules import schedules_from_env
from pipelines.sensors import source_files_sensor

defs = dg.Definitions(
    assets=dg.map_asset_specs(
        lambda spec: carry_new_data(weekly_freshness(spec)),
        [
            fitrec_source,
            fitrec_bronze,
            *apple_assets,
            *activity_files_assets,
            *quality_assets,
            *tensor_assets,
            *family_assets,
            personalisation,
            activity_files_personalisation,
            sweep,
            *evaluation_assets,
            model_comparison,
            *production_assets,
            evaluation_report,
        ],
    ),
    asset_checks=[
        *fitrec_checks,
        *apple_checks,
        *activity_files_checks,
        *quality_checks,
        *tensor_checks_defs,
        *production_checks,
    ],
    jobs=all_jobs,
    schedules=schedules_from_env(),
    sensors=[source_files_sensor, data_automation_sensor],
    resources=lake_resources(),
)
