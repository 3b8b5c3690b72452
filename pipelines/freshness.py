"""Freshness policies: the production model and the audit report are expected at least weekly.

The weekly retraining rebuilds both; a day's grace before they fail (the UI shows FAIL, and
alerts can follow it) covers a slow or retried run.
"""

from datetime import timedelta

import dagster as dg

WEEKLY = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(days=8), warn_window=timedelta(days=7)
)
WEEKLY_ASSETS = {dg.AssetKey("production_model"), dg.AssetKey("quality_audit_report")}


def weekly_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    """`WEEKLY` on the assets of `WEEKLY_ASSETS`; every other spec unchanged."""
    if spec.key in WEEKLY_ASSETS:
        return spec.replace_attributes(freshness_policy=WEEKLY)
    return spec
