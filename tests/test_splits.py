"""The two split tables and the assignment of workouts to splits."""

from datetime import UTC, datetime

import polars as pl
import pytest

from assets.features.splits import (
    SplitShares,
    assign_temporal,
    assign_user_disjoint,
    temporal_split,
    user_disjoint_split,
    workout_starts,
)

DAY = 86_400
T0 = 1_600_000_000  # 2020-09-13 12:26:40 UTC


def workouts(rows: list[tuple[str, str, str, int]]) -> pl.LazyFrame:
    """(source, user_id, workout_id, first fix in epoch seconds) per workout."""
    return pl.LazyFrame(
        {
            "source": [r[0] for r in rows],
            "user_id": [r[1] for r in rows],
            "workout_id": [r[2] for r in rows],
            "timestamp": [[r[3], r[3] + 8] for r in rows],
        },
        schema={
            "source": pl.String,
            "user_id": pl.String,
            "workout_id": pl.String,
            "timestamp": pl.List(pl.Int64),
        },
    )


def many_users(n_users: int, per_user: int = 2, source: str = "fitrec") -> list[tuple]:
    return [
        (source, f"u{u}", f"u{u}-w{w}", T0 + w * DAY)
        for u in range(n_users)
        for w in range(per_user)
    ]


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def sizes(table: pl.DataFrame) -> dict[str, int]:
    return dict(table.group_by("split").len().rows())


# --- user-disjoint -------------------------------------------------------------------------------


def test_user_disjoint_cuts_twenty_users_fourteen_three_three():
    table = user_disjoint_split(workouts(many_users(20, per_user=3)), SplitShares())

    assert table.columns == ["source", "user_id", "workouts", "split"]
    assert table.height == 20  # one row per user: each in exactly one split
    assert table.select("source", "user_id").is_unique().all()
    assert table["workouts"].to_list() == [3] * 20
    assert sizes(table) == {"train": 14, "val": 3, "test": 3}
    assert table.select("source", "user_id").rows() == sorted(
        table.select("source", "user_id").rows()
    )


def test_same_user_id_in_two_sources_is_two_users():
    rows = many_users(10, source="fitrec") + many_users(10, source="apple_health")
    table = user_disjoint_split(workouts(rows), SplitShares())
    assert table.height == 20
    assert table.group_by("source").len().sort("source").rows() == [
        ("apple_health", 10),
        ("fitrec", 10),
    ]


def test_user_disjoint_ignores_row_order():
    rows = many_users(20, per_user=3)
    forward = user_disjoint_split(workouts(rows), SplitShares())
    backward = user_disjoint_split(workouts(rows[::-1]), SplitShares())
    shuffled = user_disjoint_split(workouts(rows[1::2] + rows[::2]), SplitShares())
    assert backward.equals(forward)
    assert shuffled.equals(forward)


def test_user_disjoint_seed_changes_who_goes_where_not_how_many():
    users = workouts(many_users(20))
    a = user_disjoint_split(users, SplitShares(seed=42))
    b = user_disjoint_split(users, SplitShares(seed=7))
    assert a["split"].to_list() != b["split"].to_list()
    assert sizes(a) == sizes(b)
    assert user_disjoint_split(users, SplitShares(seed=42)).equals(a)


def test_a_new_user_moves_at_most_one_user_across_each_boundary():
    before = user_disjoint_split(workouts(many_users(20)), SplitShares())
    after = user_disjoint_split(workouts(many_users(21)), SplitShares())
    moved = before.join(after, on=["source", "user_id"], suffix="_after").filter(
        pl.col("split") != pl.col("split_after")
    )
    assert moved.height <= 2


@pytest.mark.parametrize(
    ("n_users", "expected"),
    [
        (3, {"train": 1, "val": 1, "test": 1}),
        (2, {"train": 2}),  # under three users nothing is forced out of training
        (1, {"train": 1}),
        (7, {"train": 5, "val": 1, "test": 1}),  # round(1.05) = 1
        (10, {"train": 6, "val": 2, "test": 2}),  # 1.5 rounds half up
    ],
)
def test_user_disjoint_split_sizes(n_users, expected):
    table = user_disjoint_split(workouts(many_users(n_users)), SplitShares())
    assert sizes(table) == expected


def test_split_shares_refuse_no_training_set():
    with pytest.raises(ValueError, match="no training set"):
        SplitShares(val=0.5, test=0.5)
    with pytest.raises(ValueError, match="no training set"):
        SplitShares(val=-0.1)


def test_assign_user_disjoint_follows_the_table_and_leaves_strangers_null():
    rows = many_users(5)
    table = user_disjoint_split(workouts(rows), SplitShares())
    split_of = dict(zip(table["user_id"], table["split"], strict=True))
    stranger = ("fitrec", "nobody", "nobody-w0", T0)
    other_source = ("apple_health", "u0", "u0-apple", T0)  # user ids are per source

    assigned = assign_user_disjoint(workouts([*rows, stranger, other_source]), table).collect()

    assert assigned.columns == ["source", "workout_id", "split"]
    # Row order is not part of the contract (consumers join on the keys).
    assert sorted(assigned.rows(), key=str) == sorted(
        [
            *((source, wid, split_of[user]) for source, user, wid, _ in rows),
            ("fitrec", "nobody-w0", None),
            ("apple_health", "u0-apple", None),
        ],
        key=str,
    )


# --- temporal ------------------------------------------------------------------------------------


def test_temporal_boundaries_of_a_user_with_ten_workouts():
    # Given out of order: the split sorts by first fix.
    rows = [("apple_health", "anna", f"w{d}", T0 + d * DAY) for d in (9, 3, 0, 7, 1, 8, 2, 6, 4, 5)]
    table = temporal_split(workouts(rows), SplitShares())

    # test: round(1.5) = 2 latest, val: the 2 before them, train: the first 6.
    assert table.rows() == [("apple_health", "anna", 10, utc(T0 + 6 * DAY), utc(T0 + 8 * DAY))]
    assigned = dict(
        assign_temporal(workouts(rows), table).select("workout_id", "split").collect().rows()
    )
    assert assigned == {
        **{f"w{d}": "train" for d in range(6)},
        "w6": "val",
        "w7": "val",
        "w8": "test",
        "w9": "test",
    }


def test_temporal_boundaries_are_utc_datetimes():
    table = temporal_split(workouts(many_users(1, per_user=10)), SplitShares())
    assert table.schema["val_from"] == pl.Datetime("us", "UTC")
    assert table.schema["test_from"] == pl.Datetime("us", "UTC")
    assert table.schema["workouts"] == pl.UInt32


@pytest.mark.parametrize(
    ("n", "val_from", "test_from"),
    [
        (1, None, None),
        (3, None, None),  # round(0.45) = 0: too few to hold anything out
        (4, 2, 3),  # round(0.6) = 1 each
        (7, 5, 6),
        (20, 14, 17),  # 3 and 3
    ],
)
def test_temporal_boundaries_by_number_of_workouts(n, val_from, test_from):
    table = temporal_split(workouts(many_users(1, per_user=n)), SplitShares())
    assert table.rows() == [
        (
            "fitrec",
            "u0",
            n,
            None if val_from is None else utc(T0 + val_from * DAY),
            None if test_from is None else utc(T0 + test_from * DAY),
        )
    ]


def test_temporal_users_are_split_independently():
    rows = many_users(1, per_user=3) + [
        ("fitrec", "u1", f"b{d}", T0 - 400 * DAY + d * DAY) for d in range(10)
    ]
    table = temporal_split(workouts(rows), SplitShares())
    assert table.rows() == [
        ("fitrec", "u0", 3, None, None),
        ("fitrec", "u1", 10, utc(T0 - 394 * DAY), utc(T0 - 392 * DAY)),
    ]
    assigned = assign_temporal(workouts(rows), table).collect().sort("workout_id")
    assert (
        assigned.filter(pl.col("workout_id").str.starts_with("u0"))["split"].to_list()
        == ["train"] * 3
    )
    later = assigned.filter(pl.col("workout_id").str.starts_with("b"))
    assert later["split"].to_list() == ["train"] * 6 + ["val"] * 2 + ["test"] * 2


def test_assign_temporal_puts_late_arrivals_in_test_and_strangers_nowhere():
    rows = many_users(1, per_user=10)
    table = temporal_split(workouts(rows), SplitShares())
    late = [
        ("fitrec", "u0", "later", T0 + 100 * DAY),  # recorded after the table was made
        ("fitrec", "u0", "on_val_from", T0 + 6 * DAY),  # exactly on the boundary
        ("fitrec", "u0", "before_val", T0 + 6 * DAY - 1),
        ("fitrec", "u0", "on_test_from", T0 + 8 * DAY),
        ("fitrec", "nobody", "stranger", T0 + 100 * DAY),
    ]
    assigned = assign_temporal(workouts(late), table).collect()
    assert assigned.columns == ["source", "workout_id", "split"]
    assert dict(assigned.select("workout_id", "split").rows()) == {
        "later": "test",
        "on_val_from": "val",
        "before_val": "train",
        "on_test_from": "test",
        "stranger": None,
    }


def test_workout_starts_is_the_first_fix_in_utc():
    starts = workout_starts(workouts([("fitrec", "u", "w", T0)])).collect()
    assert starts.rows() == [("fitrec", "w", "u", utc(T0))]
    assert starts.schema["start"] == pl.Datetime("us", "UTC")
