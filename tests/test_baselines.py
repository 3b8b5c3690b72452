"""The baselines of assets/evaluation/baselines.py on tiny hand-made runs with known answers."""

import math

import numpy as np
import pytest

from assets.evaluation import baselines as bl


def test_scored_steps_skip_the_first_minute_and_unmeasured_steps():
    elapsed = np.array([0.0, 30.0, 60.0, 90.0, 120.0])
    hr = np.array([100.0, 110.0, np.nan, 130.0, 140.0])
    assert bl.scored_steps(elapsed, hr).tolist() == [False, False, False, True, True]


def test_constant_and_own_mean_on_three_steps():
    hr = np.array([140.0, 150.0, 170.0])
    scored = np.array([True, True, True])
    assert bl.constant(3).tolist() == [150.0, 150.0, 150.0]
    assert bl.mae(bl.constant(3), hr, scored) == pytest.approx((10 + 0 + 20) / 3)
    own = bl.run_mean(hr, scored)
    assert own == pytest.approx(460 / 3)
    assert bl.mae(np.full(3, own), hr, scored) == pytest.approx(
        (abs(140 - 460 / 3) + abs(150 - 460 / 3) + abs(170 - 460 / 3)) / 3
    )


def test_mae_and_mean_are_nan_without_scored_steps():
    nothing = np.zeros(2, dtype=bool)
    assert math.isnan(bl.mae(np.ones(2), np.ones(2), nothing))
    assert math.isnan(bl.run_mean(np.ones(2), nothing))


def test_population_level_leaves_the_runner_out():
    means = {"anna": [100.0, 102.0], "ben": [150.0], "cleo": [160.0, 170.0]}
    assert bl.population_level(means, "anna") == 160.0  # median of 150, 160, 170
    assert bl.population_level(means, "ben") == pytest.approx(131.0)  # of 100, 102, 160, 170
    assert math.isnan(bl.population_level({"anna": [100.0]}, "anna"))


def test_personal_level_weighs_runs_equally():
    assert bl.personal_level([140.0, 150.0, math.nan, 160.0]) == 150.0


def test_first_order_steps_toward_the_drive_with_the_exact_factor():
    dt, tau = 10.0, 20.0
    drive = np.array([100.0, 160.0, 160.0, 160.0])
    keep = 1 - math.exp(-dt / tau)
    y = bl.first_order(drive, dt, tau)
    expected = [100.0, 100.0, 100.0 + 60 * keep, 100.0 + 60 * (1 - (1 - keep) ** 2)]
    assert y == pytest.approx(expected)
    # several time constants at once, and columns filtered independently
    both = bl.first_order(np.column_stack([drive, 2 * drive]), dt, np.array([tau, 40.0]))
    assert both.shape == (2, 4, 2)
    assert both[0, :, 0] == pytest.approx(expected)
    assert both[0, :, 1] == pytest.approx(2 * np.array(expected))
    assert both[1, :, 0] == pytest.approx(bl.first_order(drive, dt, 40.0))


def kinetics_run(truth: bl.Kinetics, steps: int, seed: int, dt: float = 10.0):
    """Speed and grade held for a minute or two at a time; heart rate exactly the model's."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(6, 12, size=steps)
    speed = np.repeat(rng.uniform(6.0, 15.0, size=steps), blocks)[:steps]
    grade = np.repeat(rng.uniform(-0.08, 0.08, size=steps), blocks)[:steps]
    return speed, grade, truth.predict(speed, grade, dt)


def test_kinetics_fit_recovers_the_parameters_that_made_the_heart_rate():
    truth = bl.Kinetics(a=70.0, b=6.0, c=25.0, tau_s=45.0)
    dt = 10.0
    sums = []
    for seed in (1, 2):
        speed, grade, hr = kinetics_run(truth, 300, seed, dt)
        hr[::17] = np.nan  # unmeasured steps are left out of the fit
        elapsed = np.arange(len(hr)) * dt
        sums.append(bl.kinetics_sums(speed, grade, hr, bl.scored_steps(elapsed, hr), dt))
    fitted = bl.fit_kinetics(sums)
    assert fitted.tau_s == 45.0
    assert (fitted.a, fitted.b, fitted.c) == pytest.approx((70.0, 6.0, 25.0), abs=1e-6)
    speed, grade, hr = kinetics_run(truth, 200, seed=3, dt=dt)
    assert bl.mae(fitted.predict(speed, grade, dt), hr, np.ones(200, bool)) < 1e-6


def test_kinetics_sums_add_up_to_the_pooled_fit():
    truth = bl.Kinetics(a=80.0, b=5.0, c=10.0, tau_s=30.0)
    runs = [kinetics_run(truth, 120, seed) for seed in (4, 5)]
    runs = [(s, g, h + 3.0 * i) for i, (s, g, h) in enumerate(runs)]  # 3 bpm apart: no exact fit
    every = np.ones(120, bool)
    sums = [bl.kinetics_sums(s, g, h, every, 10.0) for s, g, h in runs]
    pooled = sums[0] + sums[1]
    assert pooled.count == 240
    assert pooled.gram == pytest.approx(sums[0].gram + sums[1].gram)
    fitted = bl.fit_kinetics(sums)
    # the same as least squares on both runs' filtered drives stacked, at the chosen tau
    x = np.vstack([bl.first_order(bl.kinetics_drive(s, g), 10.0, fitted.tau_s) for s, g, _ in runs])
    y = np.concatenate([h for _, _, h in runs])
    expected = np.linalg.lstsq(x, y, rcond=None)[0]
    assert (fitted.a, fitted.b, fitted.c) == pytest.approx(tuple(expected), abs=1e-6)


def test_kinetics_fit_of_nothing_is_none():
    assert bl.fit_kinetics([]) is None
    empty = bl.kinetics_sums(np.ones(3), np.zeros(3), np.ones(3), np.zeros(3, bool), 10.0)
    assert bl.fit_kinetics([empty]) is None
