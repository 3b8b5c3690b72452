"""The `hybrid` model (models/hybrid.py): the ODE's exact values on hand-made inputs, rise and
fall constants, drift, the population parameters of unknown users, bounds under extreme inputs,
causality, the bounded correction, and one epoch of models.train on a tiny tensor set."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from models.base import ELAPSED, GRADE, INTENSITY, SPEED
from models.checkpoint import load_checkpoint
from models.hybrid import (
    DRIFT_LOAD,
    MAX_HR,
    PARAMETERS,
    RANGES,
    HybridModel,
    raw_value,
)
from models.tensors import FEATURE_NAMES, load_split
from models.train import TrainConfig, train
from models.zoo import UNKNOWN_USER, build_model
from tests.training_builders import tensor_set

N_USERS, DT = 4, 8.0
MEAN_SPEED = 10.0  # km/h: the reference demand is 0.2 * 10000/60 = 33.33 ml/kg/min
REFERENCE = 0.2 * MEAN_SPEED * 1000 / 60
FIXED = {
    "rest": 60.0,
    "level": 140.0,
    "gain": 2.0,
    "tau_rise": 20.0,
    "tau_fall": 90.0,
    "drift": 10.0,
    "warm": 0.25,
}


def mean_vector() -> list[float]:
    mean = [0.0] * len(FEATURE_NAMES)
    mean[SPEED] = MEAN_SPEED
    return mean


def pure_ode(**values: float) -> HybridModel:
    """No correction, every user row (and the population's) with the parameters FIXED | values;
    inputs are raw features minus mean_vector() (std 1)."""
    model = build_model(
        "hybrid", N_USERS, feature_mean=mean_vector(), step_seconds=DT, correction_bpm=0.0
    )
    fixed = FIXED | values
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(torch.tensor([raw_value(n, fixed[n]) for n in PARAMETERS]))
    return model.eval()


def run(speed_kmh, steps: int, intensity: float = 3.5, elapsed: float = 0.0) -> torch.Tensor:
    """[1, steps, F] model inputs: speed per step (a number or a [steps] array), flat, the
    exercise_intensity and elapsed_time features constant."""
    raw = np.zeros((1, steps, len(FEATURE_NAMES)), dtype=np.float64)
    raw[0, :, SPEED] = speed_kmh
    raw[0, :, INTENSITY] = intensity
    raw[0, :, ELAPSED] = elapsed
    return torch.from_numpy(raw - np.array(mean_vector())).float()


def demand(speed_kmh: float) -> float:
    return 0.2 * speed_kmh * 1000 / 60


def steady(speed_kmh: float, drift: float = 0.0) -> float:
    return FIXED["level"] + FIXED["gain"] * (demand(speed_kmh) - REFERENCE) + drift


def test_constant_demand_from_the_warm_start_follows_the_closed_form():
    model = pure_ode()
    out = model(run(12.0, 60), torch.tensor([0]))[0].double()
    start = FIXED["rest"] + FIXED["warm"] * (FIXED["level"] - FIXED["rest"])  # 80 bpm
    assert out[0].item() == pytest.approx(start, abs=1e-4)
    target = steady(12.0)  # 153.33 bpm
    k = torch.arange(60, dtype=torch.float64)
    expected = target + (start - target) * torch.exp(-k * DT / FIXED["tau_rise"])
    torch.testing.assert_close(out, expected, atol=1e-3, rtol=0)


def test_rise_constant_when_heart_rate_rises_and_fall_constant_when_it_falls():
    model = pure_ode()
    speed = np.r_[np.full(40, 12.0), np.full(60, 6.0)]
    out = model(run(speed, 100), torch.tensor([1]))[0].double()
    start, high, low = 80.0, steady(12.0), steady(6.0)
    k = torch.arange(40, dtype=torch.float64)
    rising = high + (start - high) * torch.exp(-k * DT / FIXED["tau_rise"])
    torch.testing.assert_close(out[:40], rising, atol=1e-3, rtol=0)
    j = torch.arange(1, 61, dtype=torch.float64)
    falling = low + (rising[-1] - low) * torch.exp(-j * DT / FIXED["tau_fall"])
    torch.testing.assert_close(out[40:], falling, atol=1e-3, rtol=0)
    # and swapping the constants changes both halves
    swapped = pure_ode(tau_rise=FIXED["tau_fall"], tau_fall=FIXED["tau_rise"])
    other = swapped(run(speed, 100), torch.tensor([1]))[0].double()
    assert (other[1:40] - out[1:40]).abs().min() > 0.1
    assert (other[41:] - out[41:]).abs().min() > 0.01


def test_drift_grows_with_elapsed_time_and_load_and_a_mid_workout_window_starts_at_its_load():
    """elapsed 30 min at a trailing load of DRIFT_LOAD: drift/2 bpm on the steady state; the
    window (cut mid-workout) starts at the steady state of that load, not at the warm start."""
    model = pure_ode()
    load = DRIFT_LOAD
    out = model(run(12.0, 30, intensity=3.5 + load, elapsed=1800.0), torch.tensor([2]))[0]
    drift = FIXED["drift"] * 0.5
    start = FIXED["level"] + FIXED["gain"] * (load - REFERENCE) + drift
    target = steady(12.0, drift)
    k = torch.arange(30, dtype=torch.float64)
    expected = target + (start - target) * torch.exp(-k * DT / FIXED["tau_rise"])
    torch.testing.assert_close(out.double(), expected, atol=1e-3, rtol=0)
    # twice the load (the clamp's limit), twice the drift; at no load, none
    double = model(run(12.0, 200, 3.5 + 2 * load, 1800.0), torch.tensor([2]))[0, -1]
    assert double.item() == pytest.approx(steady(12.0, 2 * drift), abs=1e-3)
    none = model(run(12.0, 200, 3.5, 1800.0), torch.tensor([2]))[0, -1]
    assert none.item() == pytest.approx(steady(12.0), abs=1e-3)


def test_steady_state_is_bounded_by_rest_and_the_ceiling():
    model = pure_ode(gain=4.0)  # standing: 140 - 4 * 33.3 would be 7 bpm
    standing = model(run(0.0, 200), torch.tensor([0]))[0]
    assert standing[-1].item() == pytest.approx(FIXED["rest"], abs=1e-3)
    sprint = model(run(39.0, 200), torch.tensor([0]))[0]
    assert sprint[-1].item() == pytest.approx(MAX_HR, abs=1e-3)


def test_grade_enters_through_the_oxygen_cost():
    """ACSM: 0.9 v grade more demand uphill, half of it (negative) downhill."""
    model = pure_ode()
    features = run(10.0, 300).repeat(3, 1, 1)
    features[0, :, GRADE] = 0.05
    features[1, :, GRADE] = -0.05
    out = model(features, torch.tensor([0, 0, 0]))[:, -1].double()
    v = 10.0 * 1000 / 60
    expected = [steady(10.0) + FIXED["gain"] * 0.9 * v * g for g in (0.05, -0.025, 0.0)]
    torch.testing.assert_close(out, torch.tensor(expected, dtype=torch.float64), atol=1e-3, rtol=0)


def test_untrained_rows_all_hold_the_population_values():
    torch.manual_seed(0)
    model = build_model("hybrid", N_USERS)
    values = model.user_parameters(torch.tensor([0, 3, UNKNOWN_USER]))
    for name in PARAMETERS:
        torch.testing.assert_close(
            values[name], torch.full((3,), RANGES[name][2]), rtol=0.02, atol=0.02
        )


def test_unknown_users_get_the_population_embedding():
    torch.manual_seed(0)
    model = build_model("hybrid", N_USERS).eval()
    with torch.no_grad():
        model.embedding.weight.normal_(std=1.0)
        model.head.weight.normal_(std=1.0)
    users = torch.tensor([UNKNOWN_USER, N_USERS, N_USERS + 7, 0])
    values = model.user_parameters(users)
    for name in PARAMETERS:
        assert values[name][0] == values[name][1] == values[name][2], name
    assert any((values[name][0] - values[name][3]).abs() > 1e-3 for name in PARAMETERS)
    features = torch.randn(1, 40, len(FEATURE_NAMES)).expand(4, -1, -1)
    out = model(features, users)
    torch.testing.assert_close(out[0], out[1], rtol=0, atol=0)
    torch.testing.assert_close(out[0], out[2], rtol=0, atol=0)
    assert not torch.allclose(out[0], out[3])
    # the population row is the one they read, and it is what their gradients train
    out[:1].sum().backward()
    grad = model.embedding.weight.grad
    assert grad[N_USERS].abs().sum() > 0 and grad[:N_USERS].abs().sum() == 0


def test_parameters_stay_in_range_however_far_the_raw_values_go():
    model = build_model("hybrid", N_USERS)
    with torch.no_grad():
        model.head.weight.zero_()
        for bias in (-1e4, 1e4):
            model.head.bias.fill_(bias)
            values = model.user_parameters(torch.tensor([0]))
            for name in PARAMETERS:
                low, high, _ = RANGES[name]
                assert low <= values[name].item() <= high, name
    with pytest.raises(ValueError, match="outside its range"):
        raw_value("tau_rise", 500.0)


def test_extreme_inputs_over_500_steps_stay_finite_and_bounded():
    torch.manual_seed(0)
    model = build_model("hybrid", N_USERS, correction_bpm=5.0)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(std=3.0)  # anything training could reach, and more
    steps = 500
    features = torch.zeros(6, steps, len(FEATURE_NAMES))
    features[0] = 1e6
    features[1] = -1e6
    features[2, ::2] = 1e6  # alternating extremes every step
    features[2, 1::2] = -1e6
    features[3] = torch.randn(steps, len(FEATURE_NAMES)) * 1e4
    features[4, :, ELAPSED] = 1e9
    features[4, :, INTENSITY] = 1e9
    features[5, :, GRADE] = -1e3
    features[5, :, SPEED] = 1e5
    user = torch.tensor([0, 1, UNKNOWN_USER, 3, 99, 2])
    out = model(features, user)
    assert out.shape == (6, steps) and torch.isfinite(out).all()
    assert (out >= RANGES["rest"][0] - 5.0).all() and (out <= MAX_HR + 5.0).all()
    out.square().mean().backward()
    for name, parameter in model.named_parameters():
        assert torch.isfinite(parameter.grad).all(), name


def test_causal_including_the_correction():
    torch.manual_seed(0)
    model = build_model("hybrid", N_USERS).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.3 * torch.randn_like(parameter))
    features, user = torch.randn(3, 48, len(FEATURE_NAMES)), torch.tensor([0, 2, UNKNOWN_USER])
    before = model(features, user)
    for t in (0, 17, 46):
        changed = features.clone()
        changed[:, t + 1 :] += 3.0 + torch.randn_like(changed[:, t + 1 :])
        after = model(changed, user)
        torch.testing.assert_close(after[:, : t + 1], before[:, : t + 1])
        assert not torch.allclose(after[:, t + 1 :], before[:, t + 1 :])


def test_the_correction_starts_at_zero_and_never_exceeds_its_bound():
    torch.manual_seed(0)
    model = build_model("hybrid", N_USERS, correction_bpm=3.0).eval()
    ode = build_model("hybrid", N_USERS, correction_bpm=0.0).eval()
    ode.load_state_dict(model.state_dict(), strict=False)  # same embedding and head
    features, user = torch.randn(2, 64, len(FEATURE_NAMES)), torch.tensor([1, UNKNOWN_USER])
    torch.testing.assert_close(model(features, user), ode(features, user), rtol=0, atol=0)
    with torch.no_grad():
        for parameter in model.correction.parameters():
            parameter.normal_(std=50.0)
    gap = model(features, user) - ode(features, user)
    assert gap.abs().max() <= 3.0 + 1e-4 and gap.abs().max() > 1.0


def test_trains_one_epoch_through_the_training_loop(tmp_path: Path):
    """models.train builds it with the tensors' scaler and step, trains without NaN, and the
    checkpoint rebuilds the same model."""
    folder = tensor_set(tmp_path / "tensors", step_seconds=4.0)
    config = TrainConfig(model="hybrid", epochs=1, batch_size=8, learning_rate=0.05)
    result = train(folder, tmp_path / "hybrid.pt", config)
    assert result.epochs == 1 and math.isfinite(result.history[0]["train_loss"])
    assert math.isfinite(result.best_val_mae)
    model, saved = load_checkpoint(tmp_path / "hybrid.pt")
    assert model.step_seconds == 4.0 and saved["grid"]["step_seconds"] == 4.0
    assert model.feature_mean.tolist() == pytest.approx(saved["scaler"]["mean"])
    for parameter in model.parameters():
        assert torch.isfinite(parameter).all()
    val = load_split(folder, "val")
    out = model(torch.from_numpy(val.inputs()), torch.full((len(val),), UNKNOWN_USER))
    assert torch.isfinite(out).all() and ((out > 30) & (out < 230)).all()
