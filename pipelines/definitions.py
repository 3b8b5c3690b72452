"""The one Definitions of the pulselake code location."""

import dagster as dg

from assets.apple import apple_assets, apple_checks
from assets.fitrec import fitrec_bronze, fitrec_checks, fitrec_source
from pipelines.jobs import all_jobs
from pipelines.resources import lake_resources

defs = dg.Definitions(
    assets=[fitrec_source, fitrec_bronze, *apple_assets],
    asset_checks=[*fitrec_checks, *apple_checks],
    jobs=all_jobs,
    resources=lake_resources(),
)
