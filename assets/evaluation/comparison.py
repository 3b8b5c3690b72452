"""`model_comparison`: every evaluated model and the baselines in one table per split scheme and
prediction mode, with bootstrap 95 % intervals over workouts for MAE and for each model's
difference from the reference (the model selected on validation MAE, never on test), so a
reader can tell a real difference from test-set luck.

Baselines beside the families: in sequence mode the noise floor (the simulator's noise-free
heart rate scored like a model: no model can beat it on average), in forecast mode persistence.
"""

import dagster as dg
import numpy as np
import polars as pl

from assets.evaluation import metrics
from assets.evaluation.bootstrap import intervals
from assets.features.defs import SCHEMES
from assets.lake.lineage import latest_materialization
from assets.lake.markdown import markdown_table
from assets.training.families import FAMILIES

GROUP = "evaluation"
MODES = {"sequence": "predicted", "forecast": "forecast"}
BASELINES = {"sequence": ("noise_floor", "latent"), "forecast": ("persistence", "persistence")}
SHOWN = ["scheme", "mode", "model", "mae", "mae_low", "mae_high", "diff_low", "diff_high"]


def paired(tables: list[pl.DataFrame], reference: int, seed: int) -> dict:
    """Pooled MAE and bootstrap intervals of per-workout error tables on the workouts they
    share, resampled together (paired) against the table at `reference`."""
    common = set.intersection(*(set(t["workout"]) for t in tables))
    aligned = [t.filter(pl.col("workout").is_in(common)).sort("workout") for t in tables]
    abs_error = np.stack([t["abs_error"].to_numpy() for t in aligned])
    steps = np.stack([t["steps"].to_numpy().astype(np.float64) for t in aligned])
    return {
        "mae": abs_error.sum(axis=1) / steps.sum(axis=1),
        **intervals(abs_error, steps, reference, seed=seed),
        "workouts": len(common),
        "steps": steps.sum(axis=1).astype(np.int64),
    }


def compare(evaluated: dict[str, tuple[pl.LazyFrame, float]], mode: str, seed: int = 0):
    """One row per model for one scheme and mode, on the workouts every model was scored on;
    the reference is the lowest validation MAE. The baseline row is paired with the reference
    on the workouts the baseline covers (the noise floor needs a truth sidecar)."""
    column = MODES[mode]
    found = {
        name: (metrics.per_workout(steps, column), val) for name, (steps, val) in evaluated.items()
    }
    found = {name: value for name, value in found.items() if value[0].height}
    if not found:
        return None
    names = list(found)
    val = [found[name][1] for name in names]
    reference = min(range(len(names)), key=lambda position: val[position])
    models = pl.DataFrame(
        {"model": names, "val_mae": val, **paired([t for t, _ in found.values()], reference, seed)}
    ).with_columns(reference=pl.col("model") == names[reference])
    baseline, baseline_column = BASELINES[mode]
    steps = next(iter(evaluated.values()))[0].filter(pl.col(column).is_not_null())
    floor = metrics.per_workout(steps, baseline_column)
    if floor.height:
        pair = paired([floor, found[names[reference]][0]], 1, seed)
        row = {
            "model": baseline,
            "val_mae": None,
            **{k: v[:1] for k, v in pair.items() if k != "workouts"},
        }
        baseline_row = pl.DataFrame({**row, "workouts": pair["workouts"], "reference": False})
        models = pl.concat([models, baseline_row.select(models.columns)], how="vertical_relaxed")
    return models.with_columns(mode=pl.lit(mode))


def comparison_table(per_scheme: dict[str, dict[str, tuple[pl.LazyFrame, float]]]) -> pl.DataFrame:
    rows = []
    for scheme, evaluated in per_scheme.items():
        for mode in MODES:
            table = compare(evaluated, mode)
            if table is not None:
                rows.append(table.with_columns(scheme=pl.lit(scheme)))
    if not rows:
        return pl.DataFrame()
    table = pl.concat(rows).sort("scheme", "mode", "mae", descending=[True, True, False])
    return table.select("scheme", "mode", "model", pl.exclude("scheme", "mode", "model"))


@dg.asset(
    group_name=GROUP,
    kinds={"polars", "parquet"},
    deps=[f"evaluation_{family}" for family in FAMILIES],
)
def model_comparison(context: dg.AssetExecutionContext) -> dg.Output:
    """All models and baselines, per split scheme and prediction mode: test MAE with bootstrap
    95 % intervals, and the interval of the difference from the validation-selected reference
    (an interval excluding 0 is a real difference)."""
    per_scheme: dict[str, dict] = {}
    for scheme in SCHEMES:
        for family in FAMILIES:
            found = latest_materialization(context.instance, f"evaluation_{family}", scheme)
            if found is None:
                continue
            training = latest_materialization(context.instance, f"trained_{family}", scheme)
            val = training[1]["best_val_mae"] if training else None
            steps = pl.scan_parquet(found[1]["path"])
            per_scheme.setdefault(scheme, {})[family] = (steps, val)
    table = comparison_table(per_scheme)
    if table.is_empty():
        raise dg.Failure("no evaluation has been materialized yet")
    return dg.Output(
        table,
        metadata={"comparison": dg.MetadataValue.md(markdown_table(table.select(SHOWN), 60))},
    )
