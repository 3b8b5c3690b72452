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

from assets import metrics
from assets.bootstrap import intervals
from assets.lineage import latest_materialization
from assets.markdown import markdown_table
from assets.tensors import SCHEMES
from assets.training import FAMILIES

GROUP = "evaluation"
MODES = {"sequence": "predicted", "forecast": "forecast"}
BASELINES = {"sequence": ("noise_floor", "latent"), "forecast": ("persistence", "persistence")}
SHOWN = ["scheme", "mode", "model", "mae", "mae_low", "mae_high", "diff_low", "diff_high"]


def scored_models(evaluated: dict[str, tuple[pl.LazyFrame, float]], mode: str) -> dict:
    """model -> (per-workout errors, validation MAE) for one mode, baseline included when the
    steps carry it (any evaluation's steps do: measured, latent and persistence are shared)."""
    column = MODES[mode]
    found = {
        name: (metrics.per_workout(steps, column), val) for name, (steps, val) in evaluated.items()
    }
    baseline, baseline_column = BASELINES[mode]
    steps = next(iter(evaluated.values()))[0]
    table = metrics.per_workout(steps.filter(pl.col(column).is_not_null()), baseline_column)
    if table.height:
        found[baseline] = (table, None)
    return found


def compare(evaluated: dict[str, tuple[pl.LazyFrame, float]], mode: str, seed: int = 0):
    """One row per model for one scheme and mode, on the workouts every model was scored on;
    the reference is the lowest validation MAE."""
    found = {k: v for k, v in scored_models(evaluated, mode).items() if v[0].height}
    if not found:
        return None
    common = set.intersection(*(set(t["workout"]) for t, _ in found.values()))
    names = list(found)
    aligned = [found[n][0].filter(pl.col("workout").is_in(common)).sort("workout") for n in names]
    abs_error = np.stack([t["abs_error"].to_numpy() for t in aligned])
    steps = np.stack([t["steps"].to_numpy().astype(np.float64) for t in aligned])
    val = [found[n][1] for n in names]
    reference = min((v, i) for i, v in enumerate(val) if v is not None)[1]
    ci = intervals(abs_error, steps, reference, seed=seed)
    return pl.DataFrame(
        {
            "model": names,
            "mode": mode,
            "val_mae": val,
            "mae": abs_error.sum(axis=1) / steps.sum(axis=1),
            **ci,
            "workouts": len(common),
            "steps": steps.sum(axis=1).astype(np.int64),
            "reference": [i == reference for i in range(len(names))],
        },
        schema_overrides={"val_mae": pl.Float64},
    )


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
