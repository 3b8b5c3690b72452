"""The one Definitions of the pulselake code location."""

import dagster as dg

from assets.fitrec import fitrec_bronze, fitrec_checks, fitrec_source
from pipelines.jobs import all_jobs
from pipelines.resources import lake_resources

defs = dg.Definitions(
    assets=[fitrec_source, fitrec_bronze],
    asset_checks=fitrec_checks,
    jobs=all_jobs,
    resources=lake_resources(),
)
