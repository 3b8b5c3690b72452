"""Detector scoring against the simulator's log: overlap matching, precision, recall by size."""

import polars as pl

from assets.quality.artifact_scores import offset_recall_ceiling, recall_by_size, scores

TRUTH = pl.DataFrame(
    {
        "workout_id": ["a", "a", "b", "c"],
        "kind": ["offset", "offset", "offset", "spike"],
        "start": [0, 50, 0, 3],
        "end": [10, 60, 500, 4],
        "magnitude": [-12.0, 25.0, 35.5, 40.0],
    }
)
# Hits a's second offset and b's; one false offset (a, after both); the spike is missed.
FOUND = pl.DataFrame(
    {
        "workout_id": ["a", "b", "a"],
        "kind": ["offset", "offset", "offset"],
        "start": [55, 490, 60],
        "end": [58, 495, 70],
    }
)


def test_scores_count_overlaps_of_the_same_kind_only():
    table = scores(FOUND, TRUTH)
    assert table.rows() == [("offset", 3, 2 / 3, 3, 2 / 3), ("spike", 1, 0.0, None, None)]
    assert table.columns == ["kind", "logged", "recall", "detected", "precision"]


def test_recall_by_size_bands_the_magnitude_either_sign():
    table = recall_by_size(FOUND, TRUTH, "offset", 10)
    assert table.rows() == [(10, 1, 0.0), (20, 1, 1.0), (30, 1, 1.0)]


def test_offset_recall_ceiling_is_the_best_threshold_on_day_plus_offset():
    # levels |day + magnitude|: 20 (offset), 12 (clean), 7 (offset), 3, 1, 0 (clean); one partial
    runs = pl.DataFrame(
        {
            "workout_id": ["o1", "o2", "c1", "c2", "c3", "c4", "p"],
            "day_offset": [0.0, -3.0, -12.0, 3.0, 1.0, 0.0, 30.0],
        }
    )
    logged = pl.DataFrame(
        {
            "workout_id": ["o1", "o2", "p"],
            "magnitude": [20.0, 10.0, -15.0],
            "whole": [True, True, False],
        }
    )
    # flag 20: 2 of 2 right, recall 2/3; flag down to 7: 3 of 4 right, recall 1
    assert offset_recall_ceiling(runs, logged, 0.75) == 1.0
    assert offset_recall_ceiling(runs, logged, 0.8) == 2 / 3
    # without o1 a clean run (12) tops the ranking: at precision 1 no whole offset can be
    # flagged, and the partial one still counts
    assert offset_recall_ceiling(runs.filter(pl.col("workout_id") != "o1"), logged[1:], 1.0) == 0.5
