"""The threaded, ordered map behind the streaming passes (FitRec chunks, Apple blocks, gating)."""

import time

import pytest

from assets.lake.streaming import threaded_map


def test_results_come_back_in_the_order_of_the_arguments_whatever_finishes_first():
    def slow_first(seconds: float, value: int) -> int:
        time.sleep(seconds)
        return value

    arguments = [(0.2, 1), (0.0, 2), (0.1, 3), (0.0, 4)]
    assert list(threaded_map(slow_first, arguments, workers=2)) == [1, 2, 3, 4]


def test_arguments_are_read_at_most_one_past_the_blocks_in_flight():
    read = []

    def arguments():
        for value in range(10):
            read.append(value)
            yield (value,)

    results = threaded_map(lambda value: value * 10, arguments(), workers=2)
    assert next(results) == 0
    assert read == [0, 1, 2]  # two in flight, the first taken back
    assert list(results) == [10 * v for v in range(1, 10)]


def test_an_error_in_a_block_reaches_the_consumer():
    def fail_on_two(value: int) -> int:
        if value == 2:
            raise ValueError("block 2 is malformed")
        return value

    results = threaded_map(fail_on_two, [(1,), (2,), (3,)], workers=2)
    assert next(results) == 1
    with pytest.raises(ValueError, match="block 2"):
        next(results)
