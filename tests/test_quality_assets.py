"""Graph test: the quality assets on bronze tables already in a temp lake."""

from pathlib import Path

import dagster as dg
import polars as pl
from conftest import fitrec_line
from test_gates import workout

from assets.features.defs import user_disjoint_split
from assets.quality.defs import quality_definitions
from assets.quality.report import SECTIONS
from assets.quality.report_parts import rejections_by_split
from assets.sources.fitrec.reader import FitrecPass
from assets.sources.registry import SOURCES
from assets.sources.unify import UNIFIED
from pipelines.resources import lake_resources

UPSTREAM = [
    dg.AssetSpec(name)
    for name in (
        "fitrec_source",
        "fitrec_workouts",
        "apple_running_workouts",
        "apple_alignment",
        "activity_files_workouts",
    )
]


def write_bronze(lake: Path, tmp_path: Path) -> None:
    """Three FitRec runs whose fixture speed climbs to 65 km/h, a bike ride, and three Apple
    runs of which one has an implausible heart rate."""
    raw = tmp_path / "fitrec.json"
    lines = [fitrec_line(100 + i, n=60) for i in range(3)] + [fitrec_line(200, sport="bike")]
    raw.write_text("\n".join(lines) + "\n")
    FitrecPass(raw).workouts.sink_parquet(lake / "fitrec_workouts.parquet")
    pl.DataFrame({"path": [str(raw)]}).write_parquet(lake / "fitrec_source.parquet")
    pl.DataFrame({"quality_class": ["GOOD"], "hr_per_min": [12.0]}).write_parquet(
        lake / "apple_alignment.parquet"
    )
    apple = [workout(f"anna/{i}", source="apple_health") for i in range(2)]
    apple.append(workout("anna/hot", source="apple_health", heart_rate=[250.0] * 60))
    pl.DataFrame(apple, schema=dict(UNIFIED)).write_parquet(lake / "apple_running_workouts.parquet")
    UNIFIED.to_frame().write_parquet(lake / "activity_files_workouts.parquet")


def gate_lake(lake: Path, max_rejected_share: float) -> dg.ExecuteInProcessResult:
    assets, checks = quality_definitions(SOURCES)
    return dg.materialize(
        [*UPSTREAM, *assets, *checks, user_disjoint_split],
        resources=lake_resources(str(lake)),
        run_config={
            "ops": {"quality_gates": {"config": {"max_rejected_share": max_rejected_share}}}
        },
        raise_on_error=False,
    )


def test_gates_over_both_sources_account_for_every_workout(lake: Path, tmp_path: Path):
    write_bronze(lake, tmp_path)

    result = gate_lake(lake, max_rejected_share=1.0)

    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        "workouts_clean_schema": True,
        "workouts_rejected_schema": True,
        "artifact_flags_schema": True,
        "workouts_accounted": True,
        "funnel_within_bounds": True,
    }
    clean = pl.read_parquet(lake / "workouts_clean.parquet")
    assert clean.select("source", "workout_id").rows() == [
        ("apple_health", "anna/0"),
        ("apple_health", "anna/1"),
    ]
    rejected = pl.read_parquet(lake / "workouts_rejected.parquet")
    assert rejected.select("source", "workout_id", "gate").sort("workout_id").rows() == [
        ("fitrec", "100", "speed_altitude"),
        ("fitrec", "101", "speed_altitude"),
        ("fitrec", "102", "speed_altitude"),
        ("fitrec", "200", "sport"),
        ("apple_health", "anna/hot", "heart_rate"),
    ]
    flags = pl.read_parquet(lake / "artifact_flags.parquet")
    assert flags.select("workout_id", "kind", "start", "end", "action").rows() == [
        ("anna/hot", "dropout", 0, 60, "masked")
    ]
    funnel = pl.read_parquet(lake / "quality_funnel.parquet")
    assert funnel.filter(pl.col("gate") == "gps").select("source", "leaving").sort(
        "source"
    ).rows() == [
        ("activity_files", 0),
        ("apple_health", 2),
        ("fitrec", 0),
    ]
    metadata = result.asset_materializations_for_node("quality_gates")
    keys = {k for m in metadata for k in m.metadata}
    assert {"fitrec_rejected_sport", "apple_health_clean", "funnel"} <= keys


def test_funnel_alarm_blocks_when_a_source_loses_too_many_runs(lake: Path, tmp_path: Path):
    write_bronze(lake, tmp_path)
    result = gate_lake(lake, max_rejected_share=0.5)  # every FitRec run is rejected
    assert not result.success
    alarm = [
        c for c in result.get_asset_check_evaluations() if c.check_name == "funnel_within_bounds"
    ]
    assert [c.passed for c in alarm] == [False]
    assert alarm[0].metadata["fitrec_runs_rejected_share"].value == 1.0


def test_audit_report_has_every_section_and_its_figures(lake: Path, tmp_path: Path):
    write_bronze(lake, tmp_path)
    assert gate_lake(lake, max_rejected_share=1.0).success
    report = (lake / "reports" / "quality_audit" / "report.md").read_text()
    headings = [line[3:] for line in report.splitlines() if line.startswith("## ")]
    assert headings == list(SECTIONS)
    assert "![dropout](data:image/png;base64," in report  # the hot Apple run, plotted
    assert "| apple_health | dropout | masked | 1 " in report
    assert "no truth sidecar" in report
    assert (lake / "reports" / "quality_audit" / "distributions.png").read_bytes()[:4] == b"\x89PNG"


def test_rejections_are_counted_per_split_of_their_user():
    rejected = pl.DataFrame(
        {
            "source": ["fitrec"] * 4,
            "user_id": ["a", "b", "b", "ghost"],
            "gate": ["heart_rate", "heart_rate", "size", "heart_rate"],
            "gate_number": pl.Series([5, 5, 4, 5], dtype=pl.Int8),
        }
    )
    users = pl.DataFrame(
        {
            "source": ["fitrec", "fitrec"],
            "user_id": ["a", "b"],
            "workouts": pl.Series([3, 2], dtype=pl.UInt32),
            "split": ["train", "test"],
        }
    )
    table = rejections_by_split(rejected, users)
    assert table.rows() == [
        ("size", False, 0, 1, 0),
        ("heart_rate", True, 1, 1, 1),
        ("kept (clean)", False, 3, 2, 0),
    ]
    assert table.columns == ["gate", "reads_heart_rate", "train", "test", "none"]
