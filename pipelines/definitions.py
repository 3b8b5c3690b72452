"""The one Definitions of the pulselake code location."""

import dagster as dg

from assets.activity_files import activity_files_assets, activity_files_checks
from assets.apple import apple_assets, apple_checks
from assets.fitrec import fitrec_bronze, fitrec_checks, fitrec_source
from assets.personalisation import personalisation
from assets.quality import quality_assets, quality_checks
from assets.sweep import sweep
from assets.tensors import tensor_assets, tensor_checks_defs
from assets.training import family_assets
from pipelines.jobs import all_jobs
from pipelines.resources import lake_resources

defs = dg.Definitions(
    assets=[
        fitrec_source,
        fitrec_bronze,
        *apple_assets,
        *activity_files_assets,
        *quality_assets,
        *tensor_assets,
        *family_assets,
        personalisation,
        sweep,
    ],
    asset_checks=[
        *fitrec_checks,
        *apple_checks,
        *activity_files_checks,
        *quality_checks,
        *tensor_checks_defs,
    ],
    jobs=all_jobs,
    resources=lake_resources(),
)
