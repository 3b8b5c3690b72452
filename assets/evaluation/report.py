"""`evaluation_report`: one self-contained HTML file with the comparison table, the noise floor,
every model's plots and breakdowns, and the lineage of each number (lake version, split scheme,
checkpoint, training run), so a result can be traced to the data and code that produced it; and,
when one ran, the reality check on real runs (read from its files: a later stage writes them)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl

from assets.evaluation.defs import BREAKDOWN_FILE, EVALUATION_DIR, GROUP, SUMMARY_FILE
from assets.evaluation.production import PRODUCTION, RECORD
from assets.evaluation.reality_check import REPORT_DIR, report_section
from assets.features.defs import SCHEMES
from assets.lake import html
from assets.lake.resources import Lake
from assets.training.families import FAMILIES

REPORT = Path("reports", "evaluation_report.html")
FIGURES = {
    "scatter": "Predicted vs measured (masked steps)",
    "errors": "Error distributions",
    "workout_mae": "Per-workout MAE",
    "mae_by_band": "MAE by measured heart-rate band",
    "examples": "Best, median and worst test workouts (by rank over the whole test set)",
}
HEADLINE_KEYS = (
    "test_mae", "test_rmse", "test_r2", "test_bias", "test_within_5", "test_within_10",
    "test_within_15", "noise_floor_mae", "test_mae_over_floor", "forecast_mae",
    "persistence_mae", "workout_mae_median", "workout_mae_p90", "workout_mae_worst",
    "test_workouts", "test_steps",
)  # fmt: skip
READING = (
    "<p>All metrics use masked steps only (measured heart rate, no padding), pooled over every "
    "step. Intervals are bootstrap 95 % over test workouts; <code>diff_low..diff_high</code> is "
    "the interval of a model's MAE minus the reference's (chosen on validation MAE, marked "
    "<code>reference</code>) on the same resamples: an interval that excludes 0 is a real "
    "difference. <b>noise_floor</b> scores the simulator's noise-free heart rate: no model can "
    "beat it on average. <b>persistence</b> holds the last heart rate seen before the forecast "
    "cut.</p>"
)


def model_section(folder: Path, family: str, scheme: str) -> str:
    """One model on one scheme: headline, lineage, training curve, plots, breakdowns."""
    record = json.loads((folder / SUMMARY_FILE).read_text())
    head, lineage = record["headline"], record["lineage"]
    numbers = pl.DataFrame(
        {"metric": list(HEADLINE_KEYS), "value": [head.get(k) for k in HEADLINE_KEYS]},
        schema={"metric": pl.String, "value": pl.Float64},
    ).drop_nulls()
    lineage_rows = pl.DataFrame(
        {"field": list(lineage), "value": [json.dumps(v, default=str) for v in lineage.values()]}
    )
    parts = [f"<h3 id='{scheme}-{family}'>{family} ({scheme})</h3>", html.table(numbers)]
    parts += ["<h4>Lineage</h4>", html.table(lineage_rows)]
    curve = Path(lineage["checkpoint"]).with_name("curve.png")
    if curve.is_file():
        parts += ["<h4>Training curve</h4>", html.image(curve.read_bytes(), "training curve")]
    for name, caption in FIGURES.items():
        parts += [f"<h4>{caption}</h4>", html.image((folder / f"{name}.png").read_bytes(), name)]
    reveal = (folder / "reveal.gif").read_bytes()
    parts += ["<h4>Median workout, revealed</h4>", html.image(reveal, "reveal", "image/gif")]
    tables = pl.read_parquet(folder / BREAKDOWN_FILE)
    for by, table in tables.group_by("by", maintain_order=True):
        parts += [f"<h4>By {by[0]}</h4>", html.table(table.drop("by"))]
    return "\n".join(parts)


def noise_floor_table(comparison: pl.DataFrame) -> pl.DataFrame:
    """Per scheme: each model's sequence-mode MAE over the noise floor's."""
    sequence = comparison.filter(mode="sequence")
    floor = sequence.filter(model="noise_floor").select("scheme", floor_mae="mae")
    return (
        sequence.filter(pl.col("model") != "noise_floor")
        .join(floor, on="scheme")
        .select(
            "scheme", "model", "mae", "floor_mae", over_floor=pl.col("mae") / pl.col("floor_mae")
        )
    )


def render(lake: Lake, comparison: pl.DataFrame) -> str:
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    body = [f"<p>Generated {generated} from the lake at <code>{lake.root}</code>.</p>"]
    production = lake.path(PRODUCTION, RECORD)
    if production.is_file():
        record = json.loads(production.read_text())
        body += ["<h2>Production model</h2>", html.table(pl.DataFrame([record]))]
    body += ["<h2>Model comparison</h2>", READING, html.table(comparison)]
    body += ["<h2>Noise floor</h2>", html.table(noise_floor_table(comparison))]
    for scheme in SCHEMES:
        folders = {family: lake.path(EVALUATION_DIR, scheme, family) for family in FAMILIES}
        sections = [
            model_section(folder, family, scheme)
            for family, folder in folders.items()
            if (folder / SUMMARY_FILE).is_file()
        ]
        if sections:
            body += [f"<h2>Split scheme: {scheme}</h2>", *sections]
    body += report_section(lake.path(REPORT_DIR))  # the reality check's files, when it ran
    return html.page("pulselake evaluation report", body)


# After the reality check (a later stage, named by key only), so the report shows its last run.
@dg.asset(group_name=GROUP, kinds={"html"}, deps=["reality_check"])
def evaluation_report(lake: Lake, model_comparison: pl.DataFrame) -> dg.MaterializeResult:
    """The evaluation as one HTML file (images embedded) under <lake>/reports/."""
    path = lake.path(REPORT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(lake, model_comparison))
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(path)), "bytes": path.stat().st_size}
    )
