"""Split tables and model-ready tensors, one asset per split scheme, with the checks that keep
them honest (no NaN, masks within lengths, users disjoint, time order, scaler from train)."""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.features import splits, tensor_checks
from assets.features.grid import DEFAULT_GRID_HR_MAX_GAP_S, DEFAULT_STEP_SECONDS
from assets.features.tensor_store import WindowConfig, write_tensors
from assets.lake.markdown import markdown_table
from assets.lake.resources import Lake
from assets.lake.schema_checks import schema_check
from models.tensors import FEATURE_NAMES
from schemas.splits import TemporalSplit, UserDisjointSplit

GROUP = "features"
TENSOR_DIR = "tensors"


class SplitConfig(dg.Config):
    seed: int = 42
    val_share: float = 0.15
    test_share: float = 0.15

    def shares(self) -> splits.SplitShares:
        return splits.SplitShares(val=self.val_share, test=self.test_share, seed=self.seed)


class TensorConfig(dg.Config):
    step_seconds: float = DEFAULT_STEP_SECONDS
    grid_hr_max_gap_s: float = DEFAULT_GRID_HR_MAX_GAP_S
    window: int = 500
    stride: int = 500


@dg.asset(group_name=GROUP, kinds={"polars", "parquet"})
def user_disjoint_split(config: SplitConfig, workouts_clean: pl.LazyFrame) -> dg.Output:
    """Cold-start split: every user in exactly one of train/val/test (70/15/15 of users)."""
    table = splits.user_disjoint_split(workouts_clean, config.shares())
    counts = table.group_by("split").agg(users=pl.len(), workouts=pl.col("workouts").sum())
    return dg.Output(
        table,
        metadata={
            **{f"{s}_users": n for s, n in counts.select("split", "users").iter_rows()},
            "splits": dg.MetadataValue.md(markdown_table(counts.sort("split"), 3)),
        },
    )


@dg.asset(group_name=GROUP, kinds={"polars", "parquet"})
def temporal_split(config: SplitConfig, workouts_clean: pl.LazyFrame) -> dg.Output:
    """Personalised split: per user, earlier workouts train, later ones validate and test."""
    table = splits.temporal_split(workouts_clean, config.shares())
    return dg.Output(
        table,
        metadata={
            "users": table.height,
            "users_with_test": table["test_from"].is_not_null().sum(),
            "users_with_val": table["val_from"].is_not_null().sum(),
        },
    )


def lake_version(context: dg.AssetExecutionContext, upstream: list[str]) -> dict:
    """Which materialization of each upstream table the tensors were cut from."""
    version = {}
    for name in upstream:
        event = context.instance.get_latest_materialization_event(dg.AssetKey(name))
        version[name] = event and {
            "run_id": event.run_id,
            "materialized_at": datetime.fromtimestamp(event.timestamp, UTC).isoformat(),
        }
    return version


def tensor_asset(
    scheme: str, assign: Callable[[pl.LazyFrame, pl.DataFrame], pl.LazyFrame]
) -> dg.AssetsDefinition:
    split_table = f"{scheme}_split"

    @dg.asset(
        name=f"{scheme}_tensors",
        group_name=GROUP,
        kinds={"numpy"},
        ins={"workouts_clean": dg.AssetIn(), "split": dg.AssetIn(split_table)},
        description=f"Masked [N, T, 14] windows per {scheme} split, with scaler and metadata.json "
        f"under <lake>/{TENSOR_DIR}/{scheme}.",
    )
    def _tensors(
        context: dg.AssetExecutionContext,
        config: TensorConfig,
        lake: Lake,
        workouts_clean: pl.LazyFrame,
        split: pl.DataFrame,
    ) -> dg.MaterializeResult:
        folder = lake.path(TENSOR_DIR, scheme)
        window = WindowConfig(
            step_seconds=config.step_seconds,
            grid_hr_max_gap_s=config.grid_hr_max_gap_s,
            window=config.window,
            stride=config.stride,
        )
        version = lake_version(context, ["workouts_clean", split_table])
        meta = write_tensors(workouts_clean, assign(workouts_clean, split), folder, window, version)
        scaler = pl.DataFrame(
            {"feature": FEATURE_NAMES, "mean": meta["scaler"]["mean"], "std": meta["scaler"]["std"]}
        )
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(folder)),
                **tensor_checks.describe(folder),
                "scaler": dg.MetadataValue.md(markdown_table(scaler, len(FEATURE_NAMES))),
            }
        )

    return _tensors


def integrity_check(scheme: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=f"{scheme}_tensors",
        name=f"{scheme}_tensors_integrity",
        description="No NaN or inf, masks only within each window's length, zero padding, "
        "lengths in 1..T.",
    )
    def _check(lake: Lake) -> dg.AssetCheckResult:
        problems = tensor_checks.integrity(lake.path(TENSOR_DIR, scheme))
        return dg.AssetCheckResult(passed=not any(problems.values()), metadata=problems)

    return _check


def scaler_check(scheme: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=f"{scheme}_tensors",
        name=f"{scheme}_scaler_from_train",
        description="Refit on the stored training steps: mean 0 and std 1 within "
        f"{tensor_checks.SCALER_TOLERANCE}, so the scaler saw training data and nothing else.",
    )
    def _check(lake: Lake) -> dg.AssetCheckResult:
        error = tensor_checks.scaler_refit_error(lake.path(TENSOR_DIR, scheme))
        return dg.AssetCheckResult(
            passed=error <= tensor_checks.SCALER_TOLERANCE, metadata={"max_deviation": error}
        )

    return _check


@dg.asset_check(
    asset="user_disjoint_tensors",
    description="No user has windows in two splits (cold-start evaluation stays cold).",
)
def users_disjoint(lake: Lake) -> dg.AssetCheckResult:
    shared = tensor_checks.shared_users(lake.path(TENSOR_DIR, "user_disjoint"))
    return dg.AssetCheckResult(passed=shared == 0, metadata={"shared_users": shared})


@dg.asset_check(
    asset="temporal_tensors",
    description="Per user, every train workout starts before every val one, and val before test.",
    additional_ins={"workouts_clean": dg.AssetIn()},
)
def time_ordered(lake: Lake, workouts_clean: pl.LazyFrame) -> dg.AssetCheckResult:
    bad = tensor_checks.temporal_violations(lake.path(TENSOR_DIR, "temporal"), workouts_clean)
    return dg.AssetCheckResult(passed=bad == 0, metadata={"users_out_of_order": bad})


SCHEMES = {"user_disjoint": splits.assign_user_disjoint, "temporal": splits.assign_temporal}
# Assets built once per split scheme (models, evaluations) are partitioned by it.
SCHEME_PARTITIONS = dg.StaticPartitionsDefinition(list(SCHEMES))
tensor_assets = [
    user_disjoint_split,
    temporal_split,
    *(tensor_asset(scheme, assign) for scheme, assign in SCHEMES.items()),
]
tensor_checks_defs = [
    schema_check("user_disjoint_split", UserDisjointSplit),
    schema_check("temporal_split", TemporalSplit),
    *(integrity_check(scheme) for scheme in SCHEMES),
    *(scaler_check(scheme) for scheme in SCHEMES),
    users_disjoint,
    time_ordered,
]
