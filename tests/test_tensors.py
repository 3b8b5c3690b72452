"""Windows, the .npy tensor store with its train scaler, and the tensor assets as a graph."""

import json
from dataclasses import replace
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest
from test_gates import workout

from assets.features.defs import tensor_assets, tensor_checks_defs
from assets.features.features import workout_features
from assets.features.tensor_store import WindowConfig, cut_windows, window_counts, write_tensors
from assets.lake.npy import NpyWriter
from models.tensors import (
    ARRAYS,
    FEATURE_NAMES,
    SPLITS,
    Scaler,
    load_metadata,
    load_scaler,
    load_split,
)
from pipelines.resources import lake_resources
from schemas.tables import polars_schema
from schemas.workouts import CleanWorkouts

CLEAN = polars_schema(CleanWorkouts)
WINDOW = WindowConfig(window=8, stride=8)
DAY = 86_400
T0 = 1_408_898_746

# --- windows -------------------------------------------------------------------------------------


def test_window_config_refuses_strides_outside_one_to_window():
    WindowConfig(window=8, stride=8)
    for stride in (0, 9):
        with pytest.raises(ValueError, match="stride"):
            WindowConfig(window=8, stride=stride)


@pytest.mark.parametrize(
    ("stride", "expected"),
    [
        (8, [1, 1, 2, 3, 1]),  # 20 steps: starts 0, 8, 16
        (5, [1, 1, 2, 4, 1]),  # 20 steps: starts 0, 5, 10, 15
        (1, [1, 1, 2, 13, 1]),
    ],
)
def test_window_counts(stride, expected):
    lengths = np.array([1, 8, 9, 20, 5])
    assert window_counts(lengths, WindowConfig(window=8, stride=stride)).tolist() == expected


def stacked(lengths: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows numbered 1.. (every column row number + column/100) and heart rates."""
    rows = sum(lengths)
    features = (np.arange(1, rows + 1)[:, None] + np.arange(14)[None, :] / 100).astype(np.float32)
    heart_rate = np.arange(100, 100 + rows, dtype=np.float32)
    return features, heart_rate


def test_cut_windows_overlapping_and_padded():
    # Workout 0: 3 steps (one padded window); workout 1: 10 steps, window 4, stride 3.
    features, heart_rate = stacked([3, 10])
    heart_rate[3 + 4] = np.nan  # workout 1, step 4: no measured heart rate
    config = WindowConfig(window=4, stride=3)

    cut = cut_windows(features, heart_rate, np.array([0, 3]), np.array([3, 10]), config)

    assert cut["workout"].tolist() == [0, 1, 1, 1]
    assert cut["window_start"].tolist() == [0, 0, 3, 6]
    assert cut["length"].tolist() == [3, 4, 4, 4]
    assert cut["window_start"].dtype == np.int32 and cut["length"].dtype == np.int32
    assert cut["features"].shape == (4, 4, 14) and cut["features"].dtype == np.float32
    # Row numbers of the stacked steps each window holds (0 = padding).
    expected_rows = [[1, 2, 3, 0], [4, 5, 6, 7], [7, 8, 9, 10], [10, 11, 12, 13]]
    assert cut["features"][:, :, 0].tolist() == expected_rows
    assert cut["features"][0, 3].tolist() == [0.0] * 14  # padding is exactly 0
    np.testing.assert_array_equal(cut["features"][1, 2], features[5])
    assert cut["mask"].tolist() == [
        [True, True, True, False],  # padding
        [True, True, True, True],
        [True, False, True, True],  # step 4 of workout 1 has no heart rate
        [True, True, True, True],
    ]
    assert cut["heart_rate"].tolist() == [
        [100.0, 101.0, 102.0, 0.0],
        [103.0, 104.0, 105.0, 106.0],
        [106.0, 0.0, 108.0, 109.0],
        [109.0, 110.0, 111.0, 112.0],
    ]


def test_cut_windows_last_window_shorter_than_stride():
    features, heart_rate = stacked([17])
    cut = cut_windows(features, heart_rate, np.array([0]), np.array([17]), WINDOW)
    assert cut["window_start"].tolist() == [0, 8, 16]
    assert cut["length"].tolist() == [8, 8, 1]
    assert cut["features"][2, :, 0].tolist() == [17.0] + [0.0] * 7
    assert cut["mask"][2].tolist() == [True] + [False] * 7


# --- the .npy writer -----------------------------------------------------------------------------


def test_npy_writer_round_trip(tmp_path: Path):
    path = tmp_path / "a.npy"
    writer = NpyWriter(path, np.float32, (5, 2))
    writer.append(np.arange(6, dtype=np.float64).reshape(3, 2))
    writer.append(np.arange(6, 10).reshape(2, 2))
    writer.close()
    loaded = np.load(path, allow_pickle=False)
    assert loaded.dtype == np.float32
    assert loaded.tolist() == np.arange(10).reshape(5, 2).tolist()

    ids = tmp_path / "ids.npy"
    writer = NpyWriter(ids, np.dtype("<U8"), (2,))
    writer.append(np.array(["fitrec/1", "a"]))
    writer.close()
    assert np.load(ids, allow_pickle=False).tolist() == ["fitrec/1", "a"]


def test_npy_writer_refuses_short_files_and_wrong_rows(tmp_path: Path):
    writer = NpyWriter(tmp_path / "short.npy", np.int32, (3,))
    writer.append(np.array([1, 2], dtype=np.int32))
    with pytest.raises(RuntimeError, match="wrote 2 rows of 3"):
        writer.close()

    wide = NpyWriter(tmp_path / "wide.npy", np.float32, (2, 3))
    with pytest.raises(ValueError, match="rows of shape"):
        wide.append(np.zeros((2, 4), dtype=np.float32))
    wide.append(np.zeros((2, 3), dtype=np.float32))
    wide.close()


# --- write_tensors on a hand-built clean table ---------------------------------------------------


def run(wid: str, user: str, n: int, day: int = 0, source="fitrec", gender="male", **changes):
    """A clean run of n fixes 8 s apart (so n grid steps), pace and height varying per step."""
    series = {
        "timestamp": [T0 + day * DAY + 8 * i for i in range(n)],
        "speed": [8.0 + (i * 3 + (int(user) if user.isdigit() else 0)) % 7 for i in range(n)],
        "altitude": [40.0 + (i * 5) % 11 + day for i in range(n)],
        "heart_rate": [130.0 + (i * 7 + len(wid)) % 23 for i in range(n)],
    }
    return workout(wid, n=n, source=source, user_id=user, gender=gender, **(series | changes)) | {
        "speed_source": "recorded"
    }


def clean_table(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict(CLEAN))


def store_rows() -> list[dict]:
    gap = [130.0, None, None, 140.0, 141.0]  # two steps without heart rate
    return [
        run("10", "1", 20),  # train: 3 windows (8, 8, 4)
        run("11", "1", 5, day=1, heart_rate=gap),  # train: 1 padded window
        run("20", "2", 17, gender="female"),  # train: 3 windows (8, 8, 1)
        run("30", "3", 8, gender="unknown"),  # val: 1 full window
        run("31", "3", 12, day=2, gender="unknown"),  # val: 2 windows
        run("anna/1", "anna", 9, source="apple_health", gender="female"),  # test: 2 windows
    ]


SPLIT_OF = {"10": "train", "11": "train", "20": "train", "30": "val", "31": "val"}
SPLIT_OF["anna/1"] = "test"


def assignment(table: pl.DataFrame, split_of: dict) -> pl.LazyFrame:
    return table.lazy().select(
        "source", "workout_id", split=pl.col("workout_id").replace_strict(split_of, default=None)
    )


def write(table: pl.DataFrame, out: Path, config: WindowConfig = WINDOW, split_of=None) -> dict:
    return write_tensors(
        table.lazy(), assignment(table, split_of or SPLIT_OF), out, config, {"test": None}
    )


def raw_features(table: pl.DataFrame) -> pl.DataFrame:
    """Unscaled features per grid step, with the workout's key and split."""
    keys = table.select(
        key=pl.format("{}/{}", "source", "workout_id"),
        split=pl.col("workout_id").replace_strict(SPLIT_OF),
    ).with_row_index("row")
    return workout_features(table, WINDOW.step_seconds, WINDOW.grid_hr_max_gap_s).join(
        keys, on="row", maintain_order="left"
    )


@pytest.fixture
def store(tmp_path: Path) -> tuple[pl.DataFrame, Path, dict]:
    table = clean_table(store_rows())
    out = tmp_path / "tensors" / "user_disjoint"
    return table, out, write(table, out)


def test_store_layout_shapes_and_dtypes(store):
    _, out, _ = store
    assert sorted(p.name for p in out.iterdir()) == ["metadata.json", "test", "train", "val"]
    windows = {"train": 7, "val": 3, "test": 2}
    for split in SPLITS:
        assert sorted(p.name for p in (out / split).iterdir()) == sorted(
            f"{name}.npy" for name in ARRAYS
        )
        for name in ARRAYS:  # plain numpy, no pickle
            np.load(out / split / f"{name}.npy", allow_pickle=False)
        tensors = load_split(out, split)
        n = windows[split]
        assert len(tensors) == n
        assert tensors.features.shape == (n, 8, 14) and tensors.features.dtype == np.float32
        assert tensors.heart_rate.shape == (n, 8) and tensors.heart_rate.dtype == np.float32
        assert tensors.mask.shape == (n, 8) and tensors.mask.dtype == np.bool_
        for name in ("user_index", "window_start", "length"):
            assert getattr(tensors, name).shape == (n,)
            assert getattr(tensors, name).dtype == np.int32
        assert tensors.workout_id.shape == (n,) and tensors.workout_id.dtype.kind == "U"
    assert not list(out.parent.glob(".*"))  # no staging folder left behind


def test_store_windows_in_table_order_with_users(store):
    _, out, meta = store
    train, val, test = (load_split(out, split) for split in SPLITS)
    assert train.workout_id.tolist() == ["fitrec/10"] * 3 + ["fitrec/11"] + ["fitrec/20"] * 3
    assert train.window_start.tolist() == [0, 8, 16, 0, 0, 8, 16]
    assert train.length.tolist() == [8, 8, 4, 5, 8, 8, 1]
    assert val.workout_id.tolist() == ["fitrec/30", "fitrec/31", "fitrec/31"]
    assert val.length.tolist() == [8, 8, 4]
    assert test.workout_id.tolist() == ["apple_health/anna/1"] * 2
    assert test.length.tolist() == [8, 1]
    assert meta["users"] == ["apple_health/anna", "fitrec/1", "fitrec/2", "fitrec/3"]
    users = [meta["users"][i] for i in train.user_index]
    assert users == ["fitrec/1"] * 4 + ["fitrec/2"] * 3
    assert [meta["users"][i] for i in test.user_index] == ["apple_health/anna"] * 2


def test_store_metadata(store):
    _, out, meta = store
    assert load_metadata(out) == meta == json.loads((out / "metadata.json").read_text())
    assert meta["feature_names"] == list(FEATURE_NAMES)
    assert (meta["step_seconds"], meta["grid_hr_max_gap_s"]) == (8.0, 20.0)
    assert (meta["window"], meta["stride"]) == (8, 8)
    assert meta["counts"] == {
        "train": {"windows": 7, "workouts": 3, "users": 2},
        "val": {"windows": 3, "workouts": 2, "users": 1},
        "test": {"windows": 2, "workouts": 1, "users": 1},
    }
    # 20 + 3 (of 5) + 17 train steps with a heart rate.
    assert meta["train_steps_fitted"] == 40
    assert meta["lake_version"] == {"test": None}


def test_store_mask_heart_rate_and_zero_padding(store):
    table, out, _ = store
    raw = raw_features(table)
    for split in SPLITS:
        tensors = load_split(out, split)
        for i, (key, start, length) in enumerate(
            zip(tensors.workout_id, tensors.window_start, tensors.length, strict=True)
        ):
            steps = raw.filter(pl.col("key") == key).slice(int(start), int(length))
            hr = steps["heart_rate"].to_numpy().astype(np.float32)
            measured = ~np.isnan(hr)
            assert tensors.mask[i].tolist() == [*measured.tolist(), *[False] * (8 - length)]
            assert tensors.heart_rate[i, :length][measured].tolist() == hr[measured].tolist()
            assert not tensors.heart_rate[i, :length][~measured].any()
            assert not tensors.heart_rate[i, length:].any()
            assert (tensors.features[i, length:] == 0).all()  # padding exactly 0
            assert (tensors.inputs(np.array([i]))[0, length:] == 0).all()
            assert np.isfinite(tensors.features[i]).all()
    train = load_split(out, "train")
    assert train.mask[3].tolist() == [True, False, False, True, True, False, False, False]


def test_scaler_is_fitted_on_the_raw_features_of_masked_train_steps_only(store):
    table, out, meta = store
    raw = raw_features(table)
    fitted = (
        raw.filter((pl.col("split") == "train") & pl.col("heart_rate").is_not_null())
        .select(FEATURE_NAMES)
        .to_numpy()
        .astype(np.float64)
    )
    assert len(fitted) == 40
    std = fitted.std(axis=0)  # population std, as the running sums give
    scaler = load_scaler(out)
    assert scaler.feature_names == FEATURE_NAMES
    np.testing.assert_allclose(scaler.mean, fitted.mean(axis=0), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(scaler.std, std, rtol=1e-5, atol=1e-9)
    assert meta["scaler"] == scaler.to_dict()
    # Not fitted on everything: val and test steps would move it.
    everything = raw.filter(pl.col("heart_rate").is_not_null()).select(FEATURE_NAMES).to_numpy()
    assert not np.allclose(scaler.mean, everything.mean(axis=0))


def test_stored_features_are_raw_and_the_loader_scales_them(store):
    table, out, _ = store
    raw = raw_features(table)
    scaler = load_scaler(out)
    for split in SPLITS:
        tensors = load_split(out, split)
        assert tensors.scaler.feature_names == FEATURE_NAMES
        np.testing.assert_array_equal(tensors.scaler.mean, scaler.mean)
        np.testing.assert_array_equal(tensors.scaler.std, scaler.std)
        inputs = tensors.inputs()
        assert inputs.shape == tensors.features.shape and inputs.dtype == np.float32
        for i, (key, start, length) in enumerate(
            zip(tensors.workout_id, tensors.window_start, tensors.length, strict=True)
        ):
            steps = raw.filter(pl.col("key") == key).slice(int(start), int(length))
            expected = steps.select(FEATURE_NAMES).to_numpy().astype(np.float32)
            np.testing.assert_allclose(tensors.features[i, :length], expected, rtol=1e-6)
            scaled = (expected - scaler.mean) / scaler.std  # by hand, in float64
            np.testing.assert_allclose(inputs[i, :length], scaled, rtol=1e-4, atol=1e-4)
            # and back: mean + std * input gives the raw features
            np.testing.assert_allclose(
                inputs[i, :length] * scaler.std + scaler.mean, expected, rtol=1e-5, atol=1e-4
            )
            assert (inputs[i, length:] == 0).all()  # padding stays exactly 0 once scaled
        np.testing.assert_array_equal(tensors.inputs(slice(1, 2)), inputs[1:2])
        np.testing.assert_array_equal(tensors.inputs(np.array([0])), inputs[:1])
    # On the masked train steps (each once: stride = window) the inputs have mean 0 and std 1.
    train = load_split(out, "train")
    fitted = train.inputs()[train.mask].astype(np.float64)
    np.testing.assert_allclose(fitted.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(fitted.std(axis=0), 1.0, atol=1e-5)


def test_a_feature_constant_in_train_is_centred_not_blown_up(tmp_path: Path):
    table = clean_table(store_rows())
    only_male_train = {"10": "train", "30": "val", "31": "val", "anna/1": "test"}
    only_male_train |= {"11": "val", "20": "test"}
    meta = write(table, tmp_path / "t", split_of=only_male_train)
    gender = FEATURE_NAMES.index("gender")
    assert meta["scaler"]["mean"][gender] == 1.0 and meta["scaler"]["std"][gender] == 1.0
    train = load_split(tmp_path / "t", "train")
    assert (train.features[:, :, gender][train.mask] == 1).all()  # stored raw
    assert (train.inputs()[:, :, gender][train.mask] == 0).all()
    val = load_split(tmp_path / "t", "val")  # user 1 male: 1 - 1, user 3 unknown: 0.5 - 1
    inputs = val.inputs()
    stored: dict[str, set] = {}
    for i, key in enumerate(val.workout_id.tolist()):
        stored.setdefault(key, set()).update(inputs[i, :, gender][val.mask[i]].tolist())
    assert stored == {"fitrec/11": {0.0}, "fitrec/30": {-0.5}, "fitrec/31": {-0.5}}


def test_chunks_do_not_change_the_tensors(tmp_path: Path):
    # Ordered so that every chunk of three holds a train, a val and a test run.
    by_id = {row["workout_id"]: row for row in store_rows()}
    by_id["anna/2"] = run("anna/2", "anna", 11, day=3, source="apple_health", gender="female")
    order = ["10", "30", "anna/1", "11", "31", "anna/2"]
    table = clean_table([by_id[wid] for wid in order])
    split_of = SPLIT_OF | {"anna/2": "test"}
    whole = write(table, tmp_path / "whole", WINDOW, split_of)
    chunked = write(table, tmp_path / "chunked", replace(WINDOW, chunk_workouts=3), split_of)

    assert chunked["counts"] == whole["counts"]
    assert chunked["train_steps_fitted"] == whole["train_steps_fitted"] == 20 + 3
    np.testing.assert_allclose(chunked["scaler"]["mean"], whole["scaler"]["mean"], rtol=1e-9)
    np.testing.assert_allclose(chunked["scaler"]["std"], whole["scaler"]["std"], rtol=1e-9)
    for split in SPLITS:
        one, many = load_split(tmp_path / "whole", split), load_split(tmp_path / "chunked", split)
        assert many.workout_id.tolist() == one.workout_id.tolist()
        for name in ARRAYS.keys() - {"workout_id"}:
            np.testing.assert_allclose(getattr(many, name), getattr(one, name), rtol=1e-6)
    assert load_split(tmp_path / "chunked", "test").workout_id.tolist() == [
        "apple_health/anna/1",
        "apple_health/anna/1",
        "apple_health/anna/2",
        "apple_health/anna/2",
    ]


def test_a_split_without_workouts_is_written_empty(tmp_path: Path):
    """Fewer than three users (user_disjoint) or only users with under four workouts
    (temporal) leave val and test empty; so does a chunk without workouts of some split."""
    table = clean_table(store_rows())
    meta = write(table, tmp_path / "t", WINDOW, {key: "train" for key in SPLIT_OF})
    assert (
        meta["counts"]["val"]
        == meta["counts"]["test"]
        == {
            "windows": 0,
            "workouts": 0,
            "users": 0,
        }
    )
    val = load_split(tmp_path / "t", "val")
    assert len(val) == 0 and val.features.shape == (0, 8, 14)
    assert val.inputs().shape == (0, 8, 14)


def test_overlapping_windows(tmp_path: Path):
    table = clean_table(store_rows())
    meta = write(table, tmp_path / "t", WindowConfig(window=8, stride=4))
    train = load_split(tmp_path / "t", "train")
    # 20 steps: 0, 4, 8, 12; 5 steps: 0; 17 steps: 0, 4, 8, 12.
    assert train.window_start.tolist() == [0, 4, 8, 12, 0, 0, 4, 8, 12]
    assert train.length.tolist() == [8, 8, 8, 8, 5, 8, 8, 8, 5]
    assert meta["counts"]["train"]["windows"] == 9
    # Overlapping windows hold the same step twice, identically.
    np.testing.assert_array_equal(train.features[0, 4:], train.features[1, :4])
    # ... but the scaler counts each training step once: as without overlap.
    apart = write(table, tmp_path / "apart", WINDOW)
    assert meta["train_steps_fitted"] == apart["train_steps_fitted"] == 40
    np.testing.assert_allclose(meta["scaler"]["mean"], apart["scaler"]["mean"], rtol=1e-12)
    np.testing.assert_allclose(meta["scaler"]["std"], apart["scaler"]["std"], rtol=1e-12)


def test_load_metadata_and_scaler_refuse_another_feature_order(store):
    _, out, meta = store
    swapped = [FEATURE_NAMES[1], FEATURE_NAMES[0], *FEATURE_NAMES[2:]]
    (out / "metadata.json").write_text(json.dumps(meta | {"feature_names": swapped}))
    with pytest.raises(ValueError, match="feature names"):
        load_metadata(out)
    with pytest.raises(ValueError, match="scaler features"):
        Scaler.from_dict(meta["scaler"] | {"feature_names": swapped})
    with pytest.raises(ValueError, match="split must be one of"):
        load_split(out, "training")


def test_a_workout_without_a_split_is_refused_and_the_old_tensors_stay(store):
    table, out, _ = store
    before = load_split(out, "train", mmap=False)
    missing = {k: v for k, v in SPLIT_OF.items() if k != "20"}
    with pytest.raises(ValueError, match="1 workouts have no split \\(first: fitrec/20\\)"):
        write(table, out, split_of=missing)
    np.testing.assert_array_equal(load_split(out, "train").features, before.features)
    assert not list(out.parent.glob(".*"))


def test_rewriting_replaces_the_folder_whole(store):
    table, out, _ = store
    (out / "train" / "stale.npy").write_bytes(b"")
    meta = write(table, out, WindowConfig(window=4, stride=4))
    assert not (out / "train" / "stale.npy").exists()
    assert load_split(out, "train").features.shape[1:] == (4, 14)
    assert load_metadata(out)["window"] == meta["window"] == 4


# --- the assets as a graph -----------------------------------------------------------------------


def graph_rows() -> list[dict]:
    """Three FitRec users with four runs each, one Apple user with five, on different days."""
    rows = [
        run(f"{user}{w}", str(user), 10 + w + user, day=w, gender=("male", "female")[user % 2])
        for user in (1, 2, 3)
        for w in range(4)
    ]
    rows += [
        run(f"anna/{w}", "anna", 9 + w, day=10 - w, source="apple_health", gender="female")
        for w in range(5)
    ]
    return rows


def test_tensor_assets_and_checks_on_a_lake(lake: Path):
    clean_table(graph_rows()).write_parquet(lake / "workouts_clean.parquet")
    small = {"config": {"window": 8, "stride": 6}}

    result = dg.materialize(
        [dg.AssetSpec("workouts_clean"), *tensor_assets, *tensor_checks_defs],
        resources=lake_resources(str(lake)),
        run_config={"ops": {"user_disjoint_tensors": small, "temporal_tensors": small}},
        raise_on_error=False,
    )

    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        "user_disjoint_split_schema": True,
        "temporal_split_schema": True,
        "user_disjoint_tensors_integrity": True,
        "temporal_tensors_integrity": True,
        "user_disjoint_scaler_from_train": True,
        "temporal_scaler_from_train": True,
        "users_disjoint": True,
        "time_ordered": True,
    }
    for scheme in ("user_disjoint", "temporal"):
        folder = lake / "tensors" / scheme
        assert (folder / "metadata.json").exists()
        for split in SPLITS:
            assert {p.name for p in (folder / split).iterdir()} == {f"{a}.npy" for a in ARRAYS}
        meta = load_metadata(folder)
        assert (meta["window"], meta["stride"]) == (8, 6)
        assert meta["lake_version"]["workouts_clean"] is None  # an external table here
        assert meta["lake_version"][f"{scheme}_split"]["run_id"] == result.run_id
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {
        "user_disjoint_split",
        "temporal_split",
        "user_disjoint_tensors",
        "temporal_tensors",
    }
    disjoint = load_metadata(lake / "tensors" / "user_disjoint")["counts"]
    assert {split: disjoint[split]["users"] for split in SPLITS} == {
        "train": 2,
        "val": 1,
        "test": 1,
    }
    # Per user: four runs give 2/1/1, Anna's five 3/1/1.
    temporal = load_metadata(lake / "tensors" / "temporal")["counts"]
    assert {split: temporal[split]["workouts"] for split in SPLITS} == {
        "train": 9,
        "val": 4,
        "test": 4,
    }
    assert temporal["test"]["users"] == 4
    test_ids = set(load_split(lake / "tensors" / "temporal", "test").workout_id.tolist())
    assert "apple_health/anna/0" in test_ids  # her latest run (day 10)
    assert "apple_health/anna/4" not in test_ids  # her earliest (day 6)
    assert pl.read_parquet(lake / "user_disjoint_split.parquet").height == 4
