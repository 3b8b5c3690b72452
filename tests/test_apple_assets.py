"""Graph test: the Apple Health assets materialized into a temp lake on a simulated export."""

from datetime import date
from pathlib import Path

import polars as pl
from conftest import materialize_partition

from assets.sources.apple_health.defs import apple_assets, apple_checks
from assets.sources.apple_health.files import APPLE_EXPORTS
from pipelines.resources import lake_resources
from simulator import write_apple_exports

TABLES = [
    "apple_alignment",
    "apple_export_quarantine",
    "apple_health_source",
    "apple_hr_samples",
    "apple_route_points",
    "apple_route_quarantine",
    "apple_running_workouts",
    "apple_users",
    "apple_workouts",
]


def test_simulated_export_through_every_apple_asset(lake: Path, tmp_path: Path):
    exports = tmp_path / "exports"
    (summary,) = write_apple_exports(
        exports,
        users=1,
        seed=5,
        start=date(2024, 3, 1),
        end=date(2024, 6, 30),
        runs_per_week=1.0,
        background_scale=0.02,
        zipped=False,
    )
    routes = sorted((summary.export_path / "workout-routes").iterdir())
    routes[0].unlink()  # a route the export references but does not contain

    person = summary.user_slug
    result = materialize_partition(
        [*apple_assets, *apple_checks],
        lake_resources(str(lake), apple_health=str(exports)),
        APPLE_EXPORTS.name,
        person,
    )

    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert len(checks) == len(apple_checks) and all(checks.values()), checks
    assert sorted(str(p.relative_to(lake)) for p in lake.rglob("*.parquet")) == [
        f"{table}/{person}.parquet" for table in TABLES
    ]
    samples = pl.read_parquet(lake / "apple_hr_samples" / f"{person}.parquet")
    assert samples.height == summary.hr_records
    workouts = pl.read_parquet(lake / "apple_workouts" / f"{person}.parquet")
    assert workouts.height == summary.workouts
    quarantine = pl.read_parquet(lake / "apple_route_quarantine" / f"{person}.parquet")
    assert quarantine["reason"].to_list() == [
        f"workout-routes/{routes[0].name} is not in {summary.export_path}"
    ]
    report = pl.read_parquet(lake / "apple_alignment" / f"{person}.parquet")
    runs = pl.read_parquet(lake / "apple_running_workouts" / f"{person}.parquet")
    assert runs.height == report.filter(pl.col("status") == "aligned").height > 0
    assert "route_unreadable" in report["status"].to_list()
    lengths = runs.select(pl.col("timestamp", "heart_rate", "speed").list.len())
    assert lengths.select(pl.all_horizontal(pl.all() == pl.col("timestamp")).all()).item()
    assert set(runs["source"]) == {"apple_health"}
