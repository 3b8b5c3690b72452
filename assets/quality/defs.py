"""Quality gating of every source: silver `workouts_clean`, `workouts_rejected` (each with the
gate that rejected it and what it measured) and the `quality_funnel`. Built for a list of
sources (the registry's), so no source is named here."""

import dataclasses
import inspect
import typing
from collections.abc import Sequence

import dagster as dg
import polars as pl
import pydantic

from assets.lake.io_manager import LAZY_INPUT, ROW_GROUP_METADATA_KEY
from assets.lake.markdown import count_table, markdown_table
from assets.lake.schema_checks import schema_check
from assets.quality.artifacts import KINDS
from assets.quality.gate_pass import GatePass
from assets.quality.gates import GateConfig
from assets.quality.report import quality_audit_report_asset
from assets.sources.source import Source
from schemas.workouts import ArtifactFlags, CleanWorkouts, RejectedWorkouts

GROUP = "quality"
TABLE = {"polars", "parquet"}
CLEAN_ROW_GROUP = 1024  # workouts of ~500-step series per row group: bounded reader memory
BY_NAME = inspect.Parameter.POSITIONAL_OR_KEYWORD
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


def flag_counts(flags: pl.DataFrame, sources: Sequence[str]) -> dict[str, int]:
    """Artifacts flagged per source and detector, under stable keys."""
    counts = dict(flags.group_by(pl.format("{}_flagged_{}", "source", "kind")).len().iter_rows())
    return {
        f"{source}_flagged_{kind}": counts.get(f"{source}_flagged_{kind}", 0)
        for source in sources
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


def quality_gates_asset(sources: Sequence[Source]) -> dg.AssetsDefinition:
    """The gates over every source's workouts table, each read through its `unified`."""

    @dg.multi_asset(
        name="quality_gates",
        group_name=GROUP,
        ins={source.workouts_asset: LAZY_INPUT for source in sources},
        outs={
            "workouts_clean": dg.AssetOut(
                description="Silver: every source's workouts that passed the seven gates.",
                metadata={ROW_GROUP_METADATA_KEY: CLEAN_ROW_GROUP},
                kinds=TABLE,
            ),
            "workouts_rejected": dg.AssetOut(
                description="Every rejected workout, the first gate it failed and the measured "
                "value.",
                kinds=TABLE,
            ),
            "quality_funnel": dg.AssetOut(
                description="Per source and gate: workouts entering, rejected and leaving.",
                kinds=TABLE,
            ),
            "artifact_flags": dg.AssetOut(
                description="Every heart-rate artifact found (kind, steps, magnitude) and the "
                "repair.",
                kinds=TABLE,
            ),
        },
    )
    def quality_gates(config: GatingConfig, **workouts: pl.LazyFrame):
        """One batched pass through the gates; the IO manager's sink of `workouts_clean` drives
        it."""
        settings = config.model_dump()
        max_share = settings.pop("max_rejected_share")
        tables = {
            source.name: source.unified(workouts[source.workouts_asset]) for source in sources
        }
        overrides = {source.name: dict(source.gate_overrides) for source in sources}
        gates = GatePass(tables, GateConfig(**settings), overrides=overrides)
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
        counts = flag_counts(flags, [source.name for source in sources])
        yield dg.Output(
            funnel.with_columns(max_rejected_share=pl.lit(max_share)),
            output_name="quality_funnel",
            metadata={**funnel_metadata(funnel), **counts},
        )
        yield dg.Output(flags, output_name="artifact_flags", metadata=counts)

    return quality_gates


def workouts_accounted_check(sources: Sequence[Source]) -> dg.AssetChecksDefinition:
    """Rows in = clean + rejected, per source; rows of a source not in the list fail it."""

    def workouts_accounted(
        clean: pl.LazyFrame,
        quality_funnel: pl.DataFrame,
        workouts_rejected: pl.LazyFrame,
        **workouts: pl.LazyFrame,
    ) -> dg.AssetCheckResult:
        inputs = {
            source.name: workouts[source.workouts_asset].select(pl.len()).collect().item()
            for source in sources
        }
        kept = dict(clean.group_by("source").len().collect().iter_rows())
        dropped = dict(workouts_rejected.group_by("source").len().collect().iter_rows())
        balance = {s: n - kept.pop(s, 0) - dropped.pop(s, 0) for s, n in inputs.items()}
        strangers = sum(kept.values()) + sum(dropped.values())
        return dg.AssetCheckResult(
            passed=not any(balance.values()) and not strangers,
            metadata={
                **{f"{s}_in": n for s, n in inputs.items()},
                **{f"{s}_unaccounted": n for s, n in balance.items()},
                "rows_of_unknown_sources": strangers,
            },
        )

    # Asset checks take their inputs as named parameters only, not **kwargs: name them.
    fixed = list(inspect.signature(workouts_accounted).parameters.values())[:-1]
    named = [inspect.Parameter(s.workouts_asset, BY_NAME, annotation=pl.LazyFrame) for s in sources]
    workouts_accounted.__signature__ = inspect.Signature([*fixed, *named])
    return dg.asset_check(
        name="workouts_accounted",
        asset="workouts_clean",
        description="Nothing silently dropped: rows in = clean + rejected, per source.",
        additional_ins={
            "quality_funnel": dg.AssetIn(),
            "workouts_rejected": dg.AssetIn(),
            **{source.workouts_asset: LAZY_INPUT for source in sources},
        },
    )(workouts_accounted)


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


def quality_definitions(sources: Sequence[Source]) -> tuple[list, list]:
    """The quality stage's assets and checks for these sources."""
    assets = [quality_gates_asset(sources), quality_audit_report_asset(sources)]
    checks = [
        schema_check("workouts_clean", CleanWorkouts),
        schema_check("workouts_rejected", RejectedWorkouts),
        schema_check("artifact_flags", ArtifactFlags),
        workouts_accounted_check(sources),
        funnel_within_bounds,
    ]
    return assets, checks
