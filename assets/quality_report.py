"""`quality_audit_report`: the funnel, distributions, speed-HR correlation before and after
gating, an example of each artifact found, and the detectors' precision/recall when the input is
simulated (its truth sidecar says what was injected). Written as Markdown with PNG figures under
the lake's `reports/`, and shown in the Dagster UI as the asset's metadata."""

from pathlib import Path

import dagster as dg
import polars as pl

from assets.artifact_scores import scores
from assets.markdown import count_table, markdown_table
from assets.quality_report_parts import (
    artifact_example,
    distributions,
    histograms,
    inline,
    rejections_by_split,
    speed_hr_correlation,
)
from assets.unify import fitrec_unified
from pipelines.resources import Lake
from simulator import truth_dir_for

REPORT_DIR = Path("reports", "quality_audit")
SECTIONS = (
    "Funnel",
    "Gates and the evaluation splits",
    "Distributions",
    "Speed-HR correlation",
    "Artifacts",
    "Detectors vs truth",
)


def _inputs(fitrec: pl.LazyFrame, apple: pl.LazyFrame, files: pl.LazyFrame) -> pl.LazyFrame:
    """Every run as it entered the gates (unrepaired heart rate)."""
    runs = pl.concat([fitrec_unified(fitrec), files]).filter(pl.col("sport") == "run")
    return pl.concat([runs, apple])


def _truth(source: pl.DataFrame) -> pl.DataFrame | None:
    """The simulator's artifact log for the FitRec input, when it has one."""
    log = truth_dir_for(Path(source["path"].item())) / "artifacts.parquet"
    if not log.is_file():
        return None
    return pl.read_parquet(log).select(
        pl.col("workout_id").cast(pl.String),
        "kind",
        start=pl.col("start_index").cast(pl.Int64),
        end=pl.col("end_index").cast(pl.Int64),
    )


def detector_scores(
    flags: pl.DataFrame, rejected: pl.DataFrame, clean: pl.LazyFrame, truth: pl.DataFrame
) -> pl.DataFrame:
    """Scores on the FitRec workouts that reached detection (past gate 4)."""
    reached = pl.concat(
        [
            clean.filter(pl.col("source") == "fitrec").select("workout_id").collect(),
            rejected.filter((pl.col("source") == "fitrec") & (pl.col("gate_number") >= 5)).select(
                "workout_id"
            ),
        ]
    )["workout_id"]
    found = flags.filter(pl.col("source") == "fitrec").select("workout_id", "kind", "start", "end")
    return scores(found, truth.filter(pl.col("workout_id").is_in(reached.implode())))


def _examples(flags: pl.DataFrame, inputs: pl.LazyFrame, folder: Path) -> list[str]:
    lines = []
    for flag in flags.unique("kind", keep="first", maintain_order=True).iter_rows(named=True):
        series = (
            inputs.filter(
                (pl.col("source") == flag["source"]) & (pl.col("workout_id") == flag["workout_id"])
            )
            .select("heart_rate")
            .collect()
        )
        image = artifact_example(series["heart_rate"][0].to_list(), flag)
        (folder / f"artifact_{flag['kind']}.png").write_bytes(image)
        lines.append(inline(image, flag["kind"]))
    return lines


@dg.asset(group_name="quality", kinds={"markdown"})
def quality_audit_report(
    lake: Lake,
    quality_funnel: pl.DataFrame,
    workouts_clean: pl.LazyFrame,
    workouts_rejected: pl.DataFrame,
    artifact_flags: pl.DataFrame,
    fitrec_workouts: pl.LazyFrame,
    apple_running_workouts: pl.LazyFrame,
    activity_files_workouts: pl.LazyFrame,
    apple_alignment: pl.DataFrame,
    fitrec_source: pl.DataFrame,
    user_disjoint_split: pl.DataFrame,
) -> dg.MaterializeResult:
    """The data-quality audit, regenerated from the tables each time they change."""
    folder = lake.path(REPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    inputs = _inputs(fitrec_workouts, apple_running_workouts, activity_files_workouts)
    figure = histograms(workouts_clean)
    (folder / "distributions.png").write_bytes(figure)
    density = apple_alignment.group_by("quality_class").agg(
        runs=pl.len(), hr_per_min_median=pl.col("hr_per_min").median()
    )
    before = speed_hr_correlation(inputs).rename({"r": "r_before", "steps": "steps_before"})
    after = speed_hr_correlation(workouts_clean).rename({"r": "r_after", "steps": "steps_after"})
    truth = _truth(fitrec_source)
    parts = [
        "# Data-quality audit",
        "## Funnel",
        markdown_table(quality_funnel.drop("max_rejected_share"), 50),
        "## Gates and the evaluation splits",
        "Rejected workouts per gate and the `user_disjoint` split of their user. A gate that "
        "reads heart rate (the target) and removes test workouts makes the test population "
        "easier than real use; 'none' counts users left with no clean workout at all. The "
        "last row is what the gates kept.",
        markdown_table(rejections_by_split(workouts_rejected, user_disjoint_split), 20),
        "## Distributions",
        markdown_table(distributions(workouts_clean)),
        "Apple Health heart-rate density per run:",
        markdown_table(density.sort("quality_class")),
        inline(figure, "distributions"),
        "## Speed-HR correlation",
        "Pooled Pearson r over all steps: before, the runs entering the gates that recorded "
        "speed; after, every clean run (speed derived where it was missing).",
        markdown_table(before.join(after, on="source", how="full", coalesce=True)),
        "## Artifacts",
        count_table(artifact_flags, ["source", "kind", "action"], "flags"),
        *_examples(artifact_flags, inputs, folder),
        "## Detectors vs truth",
        markdown_table(detector_scores(artifact_flags, workouts_rejected, workouts_clean, truth))
        if truth is not None
        else "The FitRec input has no truth sidecar (real data): nothing to score against.",
    ]
    text = "\n\n".join(parts) + "\n"
    path = folder / "report.md"
    path.write_text(text)
    return dg.MaterializeResult(
        metadata={"report": dg.MetadataValue.md(text), "path": dg.MetadataValue.path(str(path))}
    )
