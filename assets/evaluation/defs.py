"""`evaluation_<family>` per split scheme (partition): the family's latest checkpoint for that
scheme scored on the scheme's test set. The asset's table is every test step with its
predictions; metrics are numeric metadata under stable keys, plots land beside the table's
partition under <lake>/evaluation/<scheme>/<family>/ and inline on the asset page."""

import json
from collections.abc import Sequence

import dagster as dg
import polars as pl

from assets.evaluation import plots
from assets.evaluation.animation import reveal_gif
from assets.evaluation.latent import latent_on_grid, truth_series
from assets.evaluation.metrics import per_workout
from assets.evaluation.score import QUALITY, breakdowns, headline, test_steps
from assets.features.defs import SCHEME_PARTITIONS, TENSOR_DIR
from assets.lake.figures import inline
from assets.lake.lineage import latest_materialization
from assets.lake.markdown import markdown_table
from assets.lake.resources import Lake
from assets.sources.source import Source
from assets.training.families import FAMILIES
from models.tensors import load_metadata, load_split

GROUP = "evaluation"
EVALUATION_DIR = "evaluation"
# Each scheme's evaluation reads every FitRec file's and every Apple export's partition.
EVERY_FILE = dg.AllPartitionMapping()
PLOTS = ("scatter", "errors", "workout_mae", "mae_by_band", "examples")
SUMMARY_FILE, BREAKDOWN_FILE = "summary.json", "breakdowns.parquet"


def latent_heart_rate_asset(sources: Sequence[Source]) -> dg.AssetsDefinition:
    """The latent heart rate of the test workouts of every source whose input is simulated."""
    partitioned = [source for source in sources if source.partitioned]

    @dg.asset(
        name="latent_heart_rate",
        group_name=GROUP,
        kinds={"polars", "parquet"},
        partitions_def=SCHEME_PARTITIONS,
        deps=["user_disjoint_tensors", "temporal_tensors"],
        ins={
            source.partitioned.source_asset: dg.AssetIn(partition_mapping=EVERY_FILE)
            for source in partitioned
        },
        required_resource_keys={"lake", *(source.name for source in sources)},
    )
    def latent_heart_rate(
        context: dg.AssetExecutionContext,
        workouts_clean: pl.LazyFrame,
        **source_tables: pl.DataFrame,
    ) -> pl.DataFrame:
        """The simulator's noise-free heart rate on the grid steps of the scheme's test
        workouts, read from the truth sidecars beside the ingested files: the noise floor's
        yardstick. Empty for real data, which has no sidecar."""
        lake = context.resources.lake
        tensors = lake.path(TENSOR_DIR, context.partition_key)
        meta = load_metadata(tensors)
        tested = pl.Series(load_split(tensors, "test").workout_id).unique()
        starts = (
            workouts_clean.select(
                workout=pl.format("{}/{}", "source", "workout_id"),
                first_timestamp=pl.col("timestamp").list.first(),
            )
            .filter(pl.col("workout").is_in(tested.implode()))
            .collect()
        )
        found = [
            truth
            for source in sources
            for truth in source.truth(
                lake,
                getattr(context.resources, source.name),
                source.partitioned and source_tables[source.partitioned.source_asset],
            )
        ]
        latent = latent_on_grid(
            truth_series(found), starts, meta["step_seconds"], meta["grid_hr_max_gap_s"]
        )
        context.add_output_metadata(
            {"test_workouts": tested.len(), "workouts_with_truth": latent["workout"].n_unique()}
        )
        return latent

    return latent_heart_rate


def figures(steps: pl.DataFrame, workouts: pl.DataFrame, title: str) -> dict[str, bytes]:
    """The per-model plots: examples (best, median, worst) chosen by rank over the whole test
    set, and the reveal animation over the median workout."""
    examples = plots.pick_examples(workouts)
    return {
        "scatter": plots.scatter(steps, title),
        "errors": plots.error_histograms(steps, title),
        "workout_mae": plots.workout_mae_histogram(workouts, title),
        "mae_by_band": plots.mae_by_band(steps, title),
        "examples": plots.example_series(steps, workouts, title),
        "reveal": reveal_gif(steps, examples["median"], f"{title}: median workout"),
    }


def quality_classes(sources: Sequence[Source], tables: dict) -> pl.DataFrame:
    """Every source's (workout, quality_class) rows, for the breakdown by heart-rate quality."""
    found = [
        source.quality_classes.derive(tables[source.quality_classes.asset]).cast(QUALITY)
        for source in sources
        if source.quality_classes
    ]
    return pl.concat(found) if found else pl.DataFrame(schema=QUALITY)


def evaluation_asset(family: str, sources: Sequence[Source]) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"evaluation_{family}",
        group_name=GROUP,
        kinds={"pytorch", "parquet"},
        partitions_def=SCHEME_PARTITIONS,
        deps=[f"trained_{family}"],
        ins={
            "latent_heart_rate": dg.AssetIn(),
            **{
                s.quality_classes.asset: dg.AssetIn(partition_mapping=EVERY_FILE)
                for s in sources
                if s.quality_classes
            },
        },
        description=f"The {family} model's latest checkpoint for the scheme scored on its test "
        "set: every test step with sequence-mode and forecast-mode predictions; metrics as "
        "metadata (test_mae, test_rmse, test_mae_over_floor, ...).",
    )
    def _evaluation(
        context: dg.AssetExecutionContext,
        lake: Lake,
        latent_heart_rate: pl.DataFrame,
        **source_tables: pl.DataFrame,
    ) -> dg.Output:
        scheme = context.partition_key
        trained = latest_materialization(context.instance, f"trained_{family}", scheme)
        if trained is None:
            raise dg.Failure(f"trained_{family} has no {scheme} checkpoint; materialize it first")
        run_id, training = trained
        tensors = lake.path(TENSOR_DIR, scheme)
        steps = test_steps(
            training["checkpoint"],
            tensors,
            latent_heart_rate,
            quality_classes(sources, source_tables),
        )
        folder = lake.path(EVALUATION_DIR, scheme, family)
        folder.mkdir(parents=True, exist_ok=True)
        workouts = per_workout(steps)
        images = figures(steps, workouts, f"{family} ({scheme})")
        for name, image in images.items():
            (folder / f"{name}.{'gif' if name == 'reveal' else 'png'}").write_bytes(image)
        tables = breakdowns(steps)
        summary = headline(steps, workouts)
        pl.concat(
            [table.with_columns(by=pl.lit(name)) for name, table in tables.items()]
        ).write_parquet(folder / BREAKDOWN_FILE)
        lineage = {
            "checkpoint": training["checkpoint"],
            "trained_run_id": run_id,
            "best_val_mae": training["best_val_mae"],
            "scheme": scheme,
            "lake_version": load_metadata(tensors)["lake_version"],
        }
        record = {"headline": summary, "lineage": lineage}
        (folder / SUMMARY_FILE).write_text(json.dumps(record, indent=1, default=str))
        return dg.Output(
            steps,
            metadata={
                **summary,
                "checkpoint": dg.MetadataValue.path(training["checkpoint"]),
                "trained_run_id": run_id,
                "figures": dg.MetadataValue.path(str(folder)),
                **{
                    f"by_{name}": dg.MetadataValue.md(markdown_table(table, 30))
                    for name, table in tables.items()
                },
                **{
                    f"plot_{name}": dg.MetadataValue.md(inline(images[name], f"{family} {name}"))
                    for name in PLOTS
                },
            },
        )

    return _evaluation


def evaluation_assets(sources: Sequence[Source]) -> list[dg.AssetsDefinition]:
    """The latent heart rate of these sources' simulated workouts and one evaluation per family."""
    return [latent_heart_rate_asset(sources), *(evaluation_asset(f, sources) for f in FAMILIES)]
