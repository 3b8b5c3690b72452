"""`quality_audit_report`: the funnel, distributions, speed-HR correlation before and after
gating, an example of each artifact found, and the detectors' precision/recall when the input is
simulated (its truth sidecar says what was injected). Written as Markdown with PNG figures under
the lake's `reports/`, and shown in the Dagster UI as the asset's metadata."""

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import polars as pl

from assets.lake.figures import inline
from assets.lake.io_manager import LAZY_INPUT
from assets.lake.markdown import count_table, markdown_table
from assets.lake.resources import Lake
from assets.quality.artifact_scores import scores
from assets.quality.report_parts import (
    artifact_example,
    distributions,
    histograms,
    rejections_by_split,
    speed_hr_correlation,
)
from assets.sources.source import Source

REPORT_DIR = Path("reports", "quality_audit")
SECTIONS = (
    "Funnel",
    "Gates and the evaluation splits",
    "Distributions",
    "Speed-HR correlation",
    "Artifacts",
    "Detectors vs truth",
)
STAGE_INPUTS = {
    "quality_funnel": dg.AssetIn(),
    "workouts_clean": LAZY_INPUT,
    "workouts_rejected": dg.AssetIn(),
    "artifact_flags": dg.AssetIn(),
    "user_disjoint_split": dg.AssetIn(),
}


def _inputs(sources: Sequence[Source], tables: dict) -> pl.LazyFrame:
    """Every run as it entered the gates (unrepaired heart rate)."""
    unified = [source.unified(tables[source.workouts_asset]) for source in sources]
    return pl.concat(unified).filter(pl.col("sport") == "run")


def detector_scores(
    source: str,
    flags: pl.DataFrame,
    rejected: pl.DataFrame,
    clean: pl.LazyFrame,
    truth: pl.DataFrame,
) -> pl.DataFrame:
    """Scores on one source's workouts that reached detection (past gate 4)."""
    mine = pl.col("source") == source
    reached = pl.concat(
        [
            clean.filter(mine).select("workout_id").collect(),
            rejected.filter(mine & (pl.col("gate_number") >= 5)).select("workout_id"),
        ]
    )["workout_id"]
    found = flags.filter(mine).select("workout_id", "kind", "start", "end")
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


def _detector_sections(sources: Sequence[Source], tables: dict, gated: tuple) -> list[str]:
    """Precision and recall per source whose simulated input logged the artifacts it injected."""
    flags, rejected, clean = gated
    parts = []
    for source in (s for s in sources if s.artifact_log):
        log = source.artifact_log(tables[source.partitioned.source_asset])
        if log is None:
            parts.append(
                f"The `{source.name}` input has no truth sidecar (real data): nothing to "
                "score against."
            )
            continue
        scored = detector_scores(source.name, flags, rejected, clean, log)
        parts += [f"`{source.name}`:", markdown_table(scored)]
    return parts


def _report_inputs(sources: Sequence[Source]) -> dict[str, dg.AssetIn]:
    """Each source's workouts, the table its artifact log is found from, its audit notes' table."""
    names = [s.partitioned.source_asset for s in sources if s.artifact_log]
    names += [s.audit_notes.asset for s in sources if s.audit_notes]
    workouts = {source.workouts_asset: LAZY_INPUT for source in sources}
    return workouts | {name: dg.AssetIn() for name in names}


def quality_audit_report_asset(sources: Sequence[Source]) -> dg.AssetsDefinition:
    """The audit report over these sources' workouts."""

    @dg.asset(
        name="quality_audit_report",
        group_name="quality",
        kinds={"markdown"},
        ins={
            **STAGE_INPUTS,
            **_report_inputs(sources),
        },
    )
    def quality_audit_report(lake: Lake, **tables) -> dg.MaterializeResult:
        """The data-quality audit, regenerated from the tables each time they change."""
        folder = lake.path(REPORT_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        clean, rejected, flags = (
            tables["workouts_clean"],
            tables["workouts_rejected"],
            tables["artifact_flags"],
        )
        inputs = _inputs(sources, tables)
        figure = histograms(clean)
        (folder / "distributions.png").write_bytes(figure)
        before = speed_hr_correlation(inputs).rename({"r": "r_before", "steps": "steps_before"})
        after = speed_hr_correlation(clean).rename({"r": "r_after", "steps": "steps_after"})
        notes = [
            s.audit_notes.derive(tables[s.audit_notes.asset]) for s in sources if s.audit_notes
        ]
        parts = [
            "# Data-quality audit",
            "## Funnel",
            markdown_table(tables["quality_funnel"].drop("max_rejected_share"), 50),
            "## Gates and the evaluation splits",
            "Rejected workouts per gate and the `user_disjoint` split of their user. A gate that "
            "reads heart rate (the target) and removes test workouts makes the test population "
            "easier than real use; 'none' counts users left with no clean workout at all. The "
            "last row is what the gates kept.",
            markdown_table(rejections_by_split(rejected, tables["user_disjoint_split"]), 20),
            "## Distributions",
            markdown_table(distributions(clean)),
            *(line for lines in notes for line in lines),
            inline(figure, "distributions"),
            "## Speed-HR correlation",
            "Pooled Pearson r over all steps: before, the runs entering the gates that recorded "
            "speed; after, every clean run (speed derived where it was missing).",
            markdown_table(before.join(after, on="source", how="full", coalesce=True)),
            "## Artifacts",
            count_table(flags, ["source", "kind", "action"], "flags"),
            *_examples(flags, inputs, folder),
            "## Detectors vs truth",
            *_detector_sections(sources, tables, (flags, rejected, clean)),
        ]
        text = "\n\n".join(parts) + "\n"
        path = folder / "report.md"
        path.write_text(text)
        return dg.MaterializeResult(
            metadata={
                "report": dg.MetadataValue.md(text),
                "path": dg.MetadataValue.path(str(path)),
            }
        )

    return quality_audit_report
