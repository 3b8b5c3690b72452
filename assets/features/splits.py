"""The two split schemes, as tables that every later asset joins instead of re-deciding.

`user_disjoint` (cold start): users ranked by a seeded hash of their key and cut 70/15/15. A
user's place depends on the seed and their own key only, not on row order, so re-running on the
same users gives the same split and a new user moves at most one user across each boundary.

`temporal` (personalised, the Apple Watch case): per user, the earliest 70 % of workouts train,
the next 15 % validate, the latest 15 % test. The table keeps each user's date boundaries, so a
workout recorded after `test_from` lands in test however late it arrives.
"""

import hashlib
from dataclasses import dataclass

import polars as pl

KEYS = ("source", "user_id")


@dataclass(frozen=True)
class SplitShares:
    val: float = 0.15
    test: float = 0.15
    seed: int = 42

    def __post_init__(self):
        if self.val < 0 or self.test < 0 or self.val + self.test >= 1:
            raise ValueError(f"split shares val={self.val} test={self.test} leave no training set")


def half_up(value: pl.Expr) -> pl.Expr:
    return (value + 0.5).floor().cast(pl.Int64)


def user_rank_key(seed: int, source: str, user_id: str) -> str:
    return hashlib.blake2b(f"{seed}/{source}/{user_id}".encode(), digest_size=8).hexdigest()


def user_disjoint_split(workouts: pl.LazyFrame, shares: SplitShares) -> pl.DataFrame:
    """(source, user_id, workouts, split): every user in exactly one split."""
    users = workouts.group_by(KEYS).agg(workouts=pl.len()).collect()
    ranked = users.with_columns(
        rank_key=pl.struct(KEYS).map_elements(
            lambda user: user_rank_key(shares.seed, user["source"], user["user_id"]),
            return_dtype=pl.String,
        )
    ).sort("rank_key")
    n = ranked.height
    # With three users or more every split gets at least one, so no evaluation set is empty.
    floor = 1 if n >= 3 else 0
    n_val, n_test = (max(floor, int(share * n + 0.5)) for share in (shares.val, shares.test))
    position = pl.int_range(pl.len())
    split = (
        pl.when(position < n - n_val - n_test)
        .then(pl.lit("train"))
        .when(position < n - n_test)
        .then(pl.lit("val"))
        .otherwise(pl.lit("test"))
    )
    return ranked.select(*KEYS, "workouts", split=split).sort(KEYS)


def workout_starts(workouts: pl.LazyFrame) -> pl.LazyFrame:
    """(source, workout_id, user_id, start), start being the first fix in UTC."""
    first_fix = pl.from_epoch(pl.col("timestamp").list.first(), time_unit="s")
    return workouts.select(
        "source", "workout_id", "user_id", start=first_fix.dt.replace_time_zone("UTC")
    )


def temporal_split(workouts: pl.LazyFrame, shares: SplitShares) -> pl.DataFrame:
    """(source, user_id, workouts, val_from, test_from): each user's boundaries, null where a
    user has too few workouts for that split (users with under four workouts only train)."""
    n = pl.len().over(KEYS)
    rank = pl.int_range(pl.len()).over(KEYS)
    n_test, n_val = half_up(n * shares.test), half_up(n * shares.val)
    n_train = n - n_val - n_test
    return (
        workout_starts(workouts)
        .sort(*KEYS, "start", "workout_id")
        .with_columns(
            val_from=pl.when((rank == n_train) & (n_val > 0)).then("start"),
            test_from=pl.when((rank == n_train + n_val) & (n_test > 0)).then("start"),
        )
        .group_by(KEYS)
        .agg(pl.len().alias("workouts"), pl.col("val_from", "test_from").drop_nulls().first())
        .sort(KEYS)
        .collect()
    )


def assign_user_disjoint(workouts: pl.LazyFrame, table: pl.DataFrame) -> pl.LazyFrame:
    """(source, workout_id, split) per workout; null split for a user missing from the table."""
    return (
        workouts.select("source", "workout_id", "user_id")
        .join(table.lazy().select(*KEYS, "split"), on=KEYS, how="left")
        .drop("user_id")
    )


def assign_temporal(workouts: pl.LazyFrame, table: pl.DataFrame) -> pl.LazyFrame:
    start = pl.col("start")
    split = (
        pl.when(pl.col("workouts").is_null())
        .then(None)  # a user missing from the table
        .when(start >= pl.col("test_from"))
        .then(pl.lit("test"))
        .when(start >= pl.col("val_from"))
        .then(pl.lit("val"))
        .otherwise(pl.lit("train"))
    )
    return (
        workout_starts(workouts)
        .join(table.lazy(), on=KEYS, how="left")
        .select("source", "workout_id", split=split)
    )
