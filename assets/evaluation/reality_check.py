"""The reality check's figures, from its per-run table: the lake's models and the baselines of
`baselines.py` scored on real activity files (`assets/reality/`, `bench/real_runs.py`).

Only the table and the files it leaves under <lake>/reports/reality_check/ are read here, so the
evaluation report and the model card (this stage) can show a check that a later stage ran.
A run's MAE is over the steps with a measured heart rate after the first minute; a model or
baseline is one column of the table. Cold start is every run; "personal" is the runs with at
least MIN_EARLIER earlier runs of their runner, where a personal baseline could be fitted.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl

from assets.evaluation import baselines as bl
from assets.lake import html

REPORT_DIR = Path("reports", "reality_check")
TABLE_FILE, REFUSED_FILE, PLOT_FILE, SUMMARY_FILE = (
    "runs.parquet", "refused.parquet", "curves.png", "summary.json",
)  # fmt: skip
MIN_EARLIER = 3  # earlier runs of the same runner before a personal baseline is fitted
COLD_TARGET = 10.5
PERSONAL_TARGET = 7.0
WITHIN_BPM = (5, 10)
SUSPECT_COVERAGE = 0.5  # scored share of a run's steps below which its read is listed as suspect
BASELINES = ("const", "population", "own_mean", "kinetics_cold")
PERSONAL_BASELINES = ("kinetics_personal", "personal_level")
PERSONAL = "personal"  # the production model fine-tuned on the runner's earlier runs
# Per run, before one MAE column per model and baseline (and `notes` after them).
RUN_SCHEMA = {
    "file": pl.String,  # relative to the folder, "#k" for the k-th activity of a file
    "runner": pl.String,  # the first folder below the checked one
    "start": pl.Datetime("us", "UTC"),
    "minutes": pl.Float64,  # on the production model's grid
    "scored_steps": pl.Int64,
    "coverage": pl.Float64,  # share of the grid's steps after the first minute that score
    "earlier_runs": pl.Int64,  # the runner's runs that started before this one
}
REFUSED_SCHEMA = {"file": pl.String, "reason": pl.String, "kind": pl.String}


def score_columns(table: pl.DataFrame) -> list[str]:
    """The table's models and baselines, in its column order."""
    return [c for c in table.columns if c not in RUN_SCHEMA and c != "notes"]


def models(table: pl.DataFrame) -> list[str]:
    """The models scored cold (production first), without the baselines and `personal`."""
    others = {*BASELINES, *PERSONAL_BASELINES, PERSONAL}
    return [c for c in score_columns(table) if c not in others]


def personal_runs(table: pl.DataFrame) -> pl.DataFrame:
    return table.filter(pl.col("earlier_runs") >= MIN_EARLIER)


def cold_names(table: pl.DataFrame) -> list[str]:
    return [*models(table), *BASELINES]


def personal_names(table: pl.DataFrame) -> list[str]:
    tuned = [PERSONAL] if PERSONAL in table.columns else []
    return ["production", *tuned, *PERSONAL_BASELINES, "const", "own_mean"]


def summary(values: pl.Series | np.ndarray) -> dict[str, float]:
    """Runs, median MAE and the share of runs within each WITHIN_BPM, over the finite MAEs."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return {"runs": 0, "median": math.nan, **{f"within_{b}": math.nan for b in WITHIN_BPM}}
    return {
        "runs": len(values),
        "median": float(np.median(values)),
        **{f"within_{b}": float(np.mean(values <= b)) for b in WITHIN_BPM},
    }


def summarise(table: pl.DataFrame, names: list[str]) -> dict[str, dict[str, float]]:
    """{name: summary} of each name's column (an absent one has no runs)."""
    empty = np.array([], dtype=float)
    return {n: summary(table[n].to_numpy() if n in table.columns else empty) for n in names}


def headline(table: pl.DataFrame, refused: int) -> dict[str, float | int | bool]:
    """The figures of the BENCH line and the asset's metadata. Met when production is within
    COLD_TARGET and below the constant, the population level and the cold kinetics model, and
    the personalised model within PERSONAL_TARGET and below the personal kinetics model."""
    cold = summarise(table, ["production", *BASELINES])
    personal = summarise(personal_runs(table), personal_names(table))
    cold_median = cold["production"]["median"]
    personal_median = personal.get(PERSONAL, {"median": math.nan})["median"]
    kinetics_personal = personal["kinetics_personal"]["median"]
    met = (
        cold_median <= COLD_TARGET
        and all(cold_median < cold[b]["median"] for b in ("const", "population", "kinetics_cold"))
        and personal_median <= PERSONAL_TARGET
        and personal_median < kinetics_personal
    )
    return {
        "cold_median": cold_median,
        "personal_median": personal_median,
        "const_median": cold["const"]["median"],
        "kinetics_cold": cold["kinetics_cold"]["median"],
        "kinetics_personal": kinetics_personal,
        "refused": refused,
        "target_met": bool(met),
    }


def text_table(title: str, rows: dict[str, dict[str, float]]) -> list[str]:
    """The printed table of `summarise`'s rows."""
    lines = [
        f"\n{title}",
        f"  {'model / baseline':<20} {'runs':>5} {'median MAE':>11} {'<=5 bpm':>8} {'<=10 bpm':>9}",
    ]
    for name, row in rows.items():
        if row["runs"]:
            lines.append(
                f"  {name:<20} {row['runs']:>5} {row['median']:>11.2f} "
                f"{row['within_5']:>8.0%} {row['within_10']:>9.0%}"
            )
        else:
            lines.append(f"  {name:<20} {0:>5} {'-':>11}")
    return lines


def summary_frame(rows: dict[str, dict[str, float]]) -> pl.DataFrame:
    """`summarise`'s rows as a table (model, runs, median_mae, within_5, within_10)."""
    schema = {"model": pl.String, "runs": pl.Int64, "median_mae": pl.Float64}
    schema |= {f"within_{b}": pl.Float64 for b in WITHIN_BPM}
    return pl.DataFrame(
        [(name, *row.values()) for name, row in rows.items()], schema=schema, orient="row"
    ).with_columns(pl.col(pl.Float64).fill_nan(None))


def summary_record(table: pl.DataFrame, refused: int, **about: object) -> dict:
    """summary.json: what was checked (`about`), the headline and both summaries; NaN as null."""
    record = {
        **about,
        "runs": table.height,
        "runners": table["runner"].n_unique(),
        "personal_runs": personal_runs(table).height,
        "headline": headline(table, refused),
        "cold": summarise(table, cold_names(table)),
        "personal": summarise(personal_runs(table), personal_names(table)),
    }
    return _finite(record)


def _finite(value: object) -> object:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return None if isinstance(value, float) and not math.isfinite(value) else value


def read_summary(folder: Path) -> dict | None:
    """The last check's summary.json in `folder` (<lake>/REPORT_DIR), None when none ran."""
    path = folder / SUMMARY_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def plot_curves(table: pl.DataFrame, curves: dict[str, pl.DataFrame]) -> bytes | None:
    """Measured and predicted heart rate of the production model's best, median and worst run
    (`curves`: file -> its `predict_activity` frame); None when no run scored."""
    from assets.lake.figures import plt, png

    ranked = table.filter(pl.col("production").is_finite()).sort("production", maintain_order=True)
    if ranked.is_empty():
        return None
    picks = {"best": 0, "median": ranked.height // 2, "worst": ranked.height - 1}
    figure, axes = plt.subplots(len(picks), 1, figsize=(10, 8), squeeze=False)
    for axis, (label, index) in zip(axes[:, 0], picks.items(), strict=True):
        run = ranked.row(index, named=True)
        frame = curves[run["file"]]
        minutes = frame["elapsed_s"].to_numpy() / 60
        measured = frame["measured_hr"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        axis.plot(minutes, measured, color="black", linewidth=1, label="measured")
        axis.plot(minutes, frame["predicted_hr"].to_numpy(), color="crimson", label="production")
        axis.axvline(bl.WARMUP_S / 60, color="grey", linewidth=0.5, linestyle=":")
        axis.set(
            ylabel="heart rate (bpm)",
            title=f"{label}: {run['file']} (MAE {run['production']:.1f} bpm)",
        )
        axis.legend(loc="lower right")
    axes[-1, 0].set(xlabel="minutes")
    figure.tight_layout()
    return png(figure)


def report_section(folder: Path) -> list[str]:
    """The evaluation report's section on the last check in `folder`; none when none ran."""
    record = read_summary(folder)
    if record is None:
        return []
    table = pl.read_parquet(folder / TABLE_FILE)
    parts = [
        "<h2>Real runs (reality check)</h2>",
        f"<p>{record['runs']} runs of {record['runners']} runners under "
        f"<code>{record.get('folder')}</code>, checked {record.get('checked_at')} with the "
        f"production model <code>{record.get('production_checkpoint')}</code>. MAE per run "
        "over the steps with a measured heart rate after the first minute; "
        f"<b>personal</b> is the {record['personal_runs']} runs with at least {MIN_EARLIER} "
        "earlier runs of their runner.</p>",
        html.table(pl.DataFrame([record["headline"]])),
        "<h3>Cold start</h3>",
        html.table(summary_frame(summarise(table, cold_names(table)))),
        "<h3>Personal</h3>",
        html.table(summary_frame(summarise(personal_runs(table), personal_names(table)))),
    ]
    if (folder / PLOT_FILE).is_file():
        plot = (folder / PLOT_FILE).read_bytes()
        parts += ["<h3>Best, median and worst run</h3>", html.image(plot, "reality check")]
    parts += ["<h3>Every run</h3>", html.table(table)]
    if (folder / REFUSED_FILE).is_file():
        parts += [
            "<h3>Refused or left out</h3>",
            html.table(pl.read_parquet(folder / REFUSED_FILE)),
        ]
    return parts
