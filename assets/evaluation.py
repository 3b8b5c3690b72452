"""`evaluation_<family>` per split scheme (partition): the family's latest checkpoint for that
scheme scored on the scheme's test set. The asset's table is every test step with its
predictions; metrics are numeric metadata under stable keys, plots land beside the table's
partition under <lake>/evaluation/<scheme>/<family>/ and inline on the asset page."""

import json

import dagster as dg
import polars as pl

from assets import evaluation_plots as plots
from assets.activity_files import activity_root
from assets.evaluation_animation import reveal_gif
from assets.evaluation_run import apple_quality, breakdowns, headline, test_steps
from assets.latent import latent_on_grid, truth_series
from assets.lineage import latest_materialization
from assets.markdown import markdown_table
from assets.metrics import per_workout
from assets.quality_report_parts import inline
from assets.tensors import TENSOR_DIR
from assets.training import FAMILIES, SCHEME_PARTITIONS
from models.tensors import load_metadata, load_split
from pipelines.resources import ActivityFilesSource, Lake

GROUP = "evaluation"
EVALUATION_DIR = "evaluation"
# Each scheme's evaluation reads every FitRec file's and every Apple export's partition.
EVERY_FILE = dg.AllPartitionMapping()
PLOTS = ("scatter", "errors", "workout_mae", "mae_by_band", "examples")
SUMMARY_FILE, BREAKDOWN_FILE = "summary.json", "breakdowns.parquet"


@dg.asset(
    group_name=GROUP,
    kinds={"polars", "parquet"},
    partitions_def=SCHEME_PARTITIONS,
    deps=["user_disjoint_tensors", "temporal_tensors"],
    ins={
        "fitrec_source": dg.AssetIn(partition_mapping=EVERY_FILE),
        "apple_health_source": dg.AssetIn(partition_mapping=EVERY_FILE),
    },
)
def latent_heart_rate(
    context: dg.AssetExecutionContext,
    lake: Lake,
    activity_files: ActivityFilesSource,
    workouts_clean: pl.LazyFrame,
    fitrec_source: pl.DataFrame,
    apple_health_source: pl.DataFrame,
) -> pl.DataFrame:
    """The simulator's noise-free heart rate on the grid steps of the scheme's test workouts,
    read from the truth sidecars beside the ingested files: the noise floor's yardstick. Empty
    for real data, which has no sidecar."""
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
    truth = truth_series(
        fitrec_source["path"].to_list(),
        apple_health_source.select("user_id", "path").rows(),
        activity_root(lake, activity_files),
    )
    latent = latent_on_grid(truth, starts, meta["step_seconds"], meta["hr_max_gap_seconds"])
    context.add_output_metadata(
        {"test_workouts": tested.len(), "workouts_with_truth": latent["workout"].n_unique()}
    )
    return latent


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


def evaluation_asset(family: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"evaluation_{family}",
        group_name=GROUP,
        kinds={"pytorch", "parquet"},
        partitions_def=SCHEME_PARTITIONS,
        deps=[f"trained_{family}"],
        ins={"apple_alignment": dg.AssetIn(partition_mapping=EVERY_FILE)},
        description=f"The {family} model's latest checkpoint for the scheme scored on its test "
        "set: every test step with sequence-mode and forecast-mode predictions; metrics as "
        "metadata (test_mae, test_rmse, test_mae_over_floor, ...).",
    )
    def _evaluation(
        context: dg.AssetExecutionContext,
        lake: Lake,
        latent_heart_rate: pl.DataFrame,
        apple_alignment: pl.DataFrame,
    ) -> dg.Output:
        scheme = context.partition_key
        trained = latest_materialization(context.instance, f"trained_{family}", scheme)
        if trained is None:
            raise dg.Failure(f"trained_{family} has no {scheme} checkpoint; materialize it first")
        run_id, training = trained
        tensors = lake.path(TENSOR_DIR, scheme)
        steps = test_steps(
            training["checkpoint"], tensors, latent_heart_rate, apple_quality(apple_alignment)
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


evaluation_assets = [latent_heart_rate, *(evaluation_asset(family) for family in FAMILIES)]
