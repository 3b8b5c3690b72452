"""Quality gating of every source: silver `workouts_clean`, `workouts_rejected` (each with the
gate that rejected it and what it measured) and the `quality_funnel`."""

import dataclasses
import typing

import dagster as dg
import polars as pl
import pydantic

from assets.artifacts import KINDS
from assets.gates import GateConfig
from assets.markdown import count_table, markdown_table
from assets.quality_pass import GatePass
from assets.quality_report import quality_audit_report
from assets.schema_checks import schema_check
from assets.unify import fitrec_unified
from pipelines.io_manager import ROW_GROUP_METADATA_KEY
from schemas.workouts import SOURCES, ArtifactFlags, CleanWorkouts, RejectedWorkouts

GROUP = "quality"
TABLE = {"polars", "parquet"}
CLEAN_ROW_GROUP = 1024  # workouts of ~500-step series per row group: bounded reader memory
MAX_REJECTED_SHARE = 0.5  # of runs (workouts past the sport gate) removed by gates 2-7

_hints = typing.get_type_hints(GateConfig)
# Every threshold of GateConfig, editable in the launchpad, plus the funnel alarm.
GatingConfig = pydantic.create_model(
    "GatingConfig",
    __base__=dg.Config,
    max_rejected_share=(float, MAX_REJECTED_SHARE),
    **{
        f.name: (_hints[f.name], f.default)
        for f in dataclasses.fields(GateConfig)
        if f.name != "artifacts"  # detector thresholds stay in code, measured by the bench
    },
)


def funnel_metadata(funnel: pl.DataFrame) -> dict:
    """Stable numeric keys (plotted over runs in the UI) and the funnel as a Markdown table."""
    rejected = {
        f"{row['source']}_rejected_{row['gate']}": row["rejected"]
        for row in funnel.iter_rows(named=True)
    }
    clean = funnel.filter(pl.col("gate_number") == pl.col("gate_number").max())
    kept = {f"{s}_clean": n for s, n in clean.select("source", "leaving").iter_rows()}
    return {**rejected, **kept, "funnel": dg.MetadataValue.md(markdown_table(funnel, 100))}


def flag_counts(flags: pl.DataFrame) -> dict[str, int]:
    """Artifacts flagged per source and detector, under stable keys."""
    counts = dict(flags.group_by(pl.format("{}_flagged_{}", "source", "kind")).len().iter_rows())
    return {
        f"{source}_flagged_{kind}": counts.get(f"{source}_flagged_{kind}", 0)
        for source in SOURCES
        for kind in KINDS
    }


def runs_rejected_share(funnel: pl.DataFrame) -> pl.DataFrame:
    """Per source: share of the workouts past gate 1 (runs) that gates 2-7 removed."""
    return (
        funnel.group_by("source")
        .agg(
            runs=pl.col("leaving").filter(pl.col("gate_number") == 1).first(),
            clean=pl.col("leaving").last(),
        )
        .with_columns(
            share=pl.when(pl.col("runs") > 0)
            .then(1 - pl.col("clean") / pl.col("runs"))
            .otherwise(0.0)
        )
    )


@dg.multi_asset(
    group_name=GROUP,
    outs={
        "workouts_clean": dg.AssetOut(
            description="Silver: every source's workouts that passed the seven gates.",
            metadata={ROW_GROUP_METADATA_KEY: CLEAN_ROW_GROUP},
            kinds=TABLE,
        ),
        "workouts_rejected": dg.AssetOut(
            description="Every rejected workout, the first gate it failed and the measured value.",
            kinds=TABLE,
        ),
        "quality_funnel": dg.AssetOut(
            description="Per source and gate: workouts entering, rejected and leaving.",
            kinds=TABLE,
        ),
        "artifact_flags": dg.AssetOut(
            description="Every heart-rate artifact found (kind, steps, magnitude) and the repair.",
            kinds=TABLE,
        ),
    },
)
def quality_gates(
    config: GatingConfig,
    fitrec_workouts: pl.LazyFrame,
    apple_running_workouts: pl.LazyFrame,
    activity_files_workouts: pl.LazyFrame,
):
    """One batched pass through the gates; the IO manager's sink of `workouts_clean` drives it."""
    settings = config.model_dump()
    max_share = settings.pop("max_rejected_share")
    sources = {
        "fitrec": fitrec_unified(fitrec_workouts),
        "apple_health": apple_running_workouts,
        "activity_files": activity_files_workouts,
    }
    gates = GatePass(sources, GateConfig(**settings))
    yield dg.Output(gates.clean, output_name="workouts_clean")
    rejected, funnel = gates.rejected, gates.funnel
    yield dg.Output(
        rejected,
        output_name="workouts_rejected",
        metadata={
            "rejected_by_gate": dg.MetadataValue.md(
                count_table(rejected, ["source", "gate"], "workouts")
            )
        },
    )
    flags = gates.flags
    yield dg.Output(
        funnel.with_columns(max_rejected_share=pl.lit(max_share)),
        output_name="quality_funnel",
        metadata={**funnel_metadata(funnel), **flag_counts(flags)},
    )
    yield dg.Output(flags, output_name="artifact_flags", metadata=flag_counts(flags))


@dg.asset_check(
    asset="workouts_clean",
    description="Nothing silently dropped: rows in = clean + rejected, per source.",
    additional_ins={
        "quality_funnel": dg.AssetIn(),
        "workouts_rejected": dg.AssetIn(),
        "fitrec_workouts": dg.AssetIn(),
        "apple_running_workouts": dg.AssetIn(),
        "activity_files_workouts": dg.AssetIn(),
    },
)
def workouts_accounted(
    clean: pl.LazyFrame,
    quality_funnel: pl.DataFrame,
    workouts_rejected: pl.LazyFrame,
    fitrec_workouts: pl.LazyFrame,
    apple_running_workouts: pl.LazyFrame,
    activity_files_workouts: pl.LazyFrame,
) -> dg.AssetCheckResult:
    inputs = {
        "fitrec": fitrec_workouts.select(pl.len()).collect().item(),
        "apple_health": apple_running_workouts.select(pl.len()).collect().item(),
        "activity_files": activity_files_workouts.select(pl.len()).collect().item(),
    }
    kept = dict(clean.group_by("source").len().collect().iter_rows())
    dropped = dict(workouts_rejected.group_by("source").len().collect().iter_rows())
    balance = {s: n - kept.get(s, 0) - dropped.get(s, 0) for s, n in inputs.items()}
    return dg.AssetCheckResult(
        passed=not any(balance.values()),
        metadata={
            **{f"{s}_in": n for s, n in inputs.items()},
            **{f"{s}_unaccounted": n for s, n in balance.items()},
        },
    )


@dg.asset_check(
    asset="quality_funnel",
    blocking=True,
    description="Stops downstream when the gates remove more than `max_rejected_share` of a "
    "source's runs: a sign the input changed, not that the data got worse overnight.",
)
def funnel_within_bounds(quality_funnel: pl.DataFrame) -> dg.AssetCheckResult:
    shares = runs_rejected_share(quality_funnel.drop("max_rejected_share"))
    limit = quality_funnel["max_rejected_share"].max() if quality_funnel.height else 1.0
    return dg.AssetCheckResult(
        passed=bool((shares["share"] <= limit).all()),
        metadata={
            **{f"{s}_runs_rejected_share": v for s, v in shares.select("source", "share").rows()},
            "limit": limit,
        },
    )


quality_assets = [quality_gates, quality_audit_report]
quality_checks = [
    schema_check("workouts_clean", CleanWorkouts),
    schema_check("workouts_rejected", RejectedWorkouts),
    schema_check("artifact_flags", ArtifactFlags),
    workouts_accounted,
    funnel_within_bounds,
]
