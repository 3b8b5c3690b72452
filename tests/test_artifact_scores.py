"""Detector scoring against the simulator's log: overlap matching, precision, recall by size."""

import polars as pl

from assets.artifact_scores import recall_by_size, scores

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
