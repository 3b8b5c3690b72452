"""`reality_check`: the lake's models on your own activity files, against the baselines.

Simulated test runners say how well a model learnt the simulator; only real runs say how well
it predicts a runner. With a folder of real activity files with heart rate configured (the
`reality_check` resource, `PULSELAKE_REALITY_CHECK`; one sub-folder per runner), the asset
scores the production model and each family's latest cold-start checkpoint on every run, cold
and (config `personalize`, on by default) personalised as the runner's runs come in, beside
the baselines of `assets/evaluation/baselines.py`: the scoring of `bench/real_runs.py`. Without
a folder it succeeds with an empty table, so `make run` stays fast and green.
"""

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl

from assets.evaluation import reality_check as rc
from assets.evaluation.defs import GROUP
from assets.evaluation.production import CARD, PRODUCTION, RECORD, write_model_card
from assets.lake.figures import inline
from assets.lake.markdown import markdown_table
from assets.lake.resources import Lake
from assets.prediction.predict_file import load_bundle
from assets.reality.resource import ENV_VAR, RealityCheck
from assets.reality.runs import checkpoints
from assets.reality.scoring import Outcome, check
from assets.training.families import FAMILIES

NOT_CONFIGURED = (
    f"no real-data check is configured: set {ENV_VAR} (or the reality_check resource's path) "
    "to a folder of your activity files with heart rate, one sub-folder per runner"
)


class RealityCheckConfig(dg.Config):
    """`personalize` adapts the production model, as `pulselake personalize` would, for each run
    with MIN_EARLIER earlier runs of its runner: up to three training runs each (the runner's
    own row where the family has one, two fine-tunings), 2-3 s a run for the hybrid base on two
    CPU cores, growing with the folder's runs; off for the cold figures alone."""

    personalize: bool = True
    epochs: int = 10  # epochs of each fine-tuning of a personalised run


def empty_table() -> pl.DataFrame:
    """The table's columns with no run: the production model and every baseline."""
    names = ["production", *rc.BASELINES, *rc.PERSONAL_BASELINES]
    return pl.DataFrame(
        schema={**rc.RUN_SCHEMA, **dict.fromkeys(names, pl.Float64), "notes": pl.String}
    )


def write_outputs(folder: Path, outcome: Outcome, table: pl.DataFrame, about: dict) -> dict:
    """runs.parquet, refused.parquet, curves.png and summary.json in `folder`; the summary."""
    folder.mkdir(parents=True, exist_ok=True)
    table.write_parquet(folder / rc.TABLE_FILE)
    pl.DataFrame(
        [(*row, "refused") for row in outcome.refused]
        + [(*row, "left out") for row in outcome.left_out],
        schema=rc.REFUSED_SCHEMA,
        orient="row",
    ).write_parquet(folder / rc.REFUSED_FILE)
    plot = rc.plot_curves(table, outcome.curves)
    if plot is not None:
        (folder / rc.PLOT_FILE).write_bytes(plot)
    summary = rc.summary_record(table, len(outcome.refused), **about)
    (folder / rc.SUMMARY_FILE).write_text(json.dumps(summary, indent=1, default=str))
    return summary


def metadata(table: pl.DataFrame, outcome: Outcome, folder: Path) -> dict:
    """The headline as `real_<figure>`, the summaries and every run as Markdown, the plot."""
    head = rc.headline(table, len(outcome.refused))
    cold = rc.summary_frame(rc.summarise(table, rc.cold_names(table)))
    personal_runs = rc.personal_runs(table)
    personal = rc.summary_frame(rc.summarise(personal_runs, rc.personal_names(table)))
    refused = [*outcome.refused, *outcome.left_out]
    meta = {
        **{f"real_{key}": value for key, value in head.items()},
        "real_runs": table.height,
        "real_runners": table["runner"].n_unique(),
        "real_personal_runs": personal_runs.height,
        "real_left_out": len(outcome.left_out),
        "cold_start": dg.MetadataValue.md(markdown_table(cold, 50)),
        "personal": dg.MetadataValue.md(markdown_table(personal, 50)),
        "runs": dg.MetadataValue.md(markdown_table(table.drop("notes"), 200)),
        "refused": dg.MetadataValue.md(
            markdown_table(pl.DataFrame(refused, schema=["file", "reason"], orient="row"), 50)
        ),
        "path": dg.MetadataValue.path(str(folder)),
    }
    if (folder / rc.PLOT_FILE).is_file():
        plot = (folder / rc.PLOT_FILE).read_bytes()
        meta["curves"] = dg.MetadataValue.md(inline(plot, "best, median and worst run"))
    return meta


@dg.asset(
    group_name=GROUP,
    kinds={"pytorch", "parquet"},
    deps=["production_model", *(f"trained_{family}" for family in FAMILIES)],
)
def reality_check(
    context: dg.AssetExecutionContext,
    config: RealityCheckConfig,
    lake: Lake,
    reality_check: RealityCheck,
) -> dg.Output:
    """The production model and every family's latest cold-start model on your own activity
    files (PULSELAKE_REALITY_CHECK), cold and optionally personalised, against the baselines:
    one row per run; the table, plot and summary under <lake>/reports/reality_check/."""
    folder = lake.path(rc.REPORT_DIR)
    if not reality_check.path:
        shutil.rmtree(folder, ignore_errors=True)  # an earlier check's files are no longer true
        return dg.Output(empty_table(), metadata={"reality_check": NOT_CONFIGURED})
    runs = Path(reality_check.path)
    if not runs.is_dir():
        raise dg.Failure(f"{ENV_VAR}={runs}: no such folder")
    models = checkpoints(lake.path())
    if "production" not in models:
        raise dg.Failure(f"no production model under {lake.path(PRODUCTION)}: materialize it")
    bundles = {"production": load_bundle(models["production"])}
    for name, path in models.items():
        if name == "production":
            continue
        try:  # a family's old checkpoint (another feature list) never stops the check
            bundles[name] = load_bundle(path)
        except ValueError as error:
            context.log.warning(f"{name} left out: {error}")
    outcome = check(
        runs, bundles, models["production"], config.personalize, config.epochs, context.log.info
    )
    table = outcome.table()
    record_path = lake.path(PRODUCTION, RECORD)
    record = json.loads(record_path.read_text()) if record_path.is_file() else None
    about = {
        "folder": str(runs),
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "production_checkpoint": record["source_checkpoint"]
        if record
        else str(models["production"]),
        "models": {name: str(path) for name, path in models.items()},
        "personalised": config.personalize,
    }
    write_outputs(folder, outcome, table, about)
    if record and lake.path(PRODUCTION, CARD).is_file():
        write_model_card(lake, record)  # the card now states the check's figures
    return dg.Output(table, metadata=metadata(table, outcome, folder))
