"""The model zoo's contract: shapes, dtype, rebuild from config, causality (which is also
independence from trailing padding), unknown users, and the physiological model's physiology."""

import json

import numpy as np
import pytest
import torch

from models.base import ELAPSED, GRADE, INTENSITY, SPEED
from models.tensors import FEATURE_NAMES, Scaler
from models.zoo import (
    HR_PRIOR,
    HR_SCALE,
    MODELS,
    UNKNOWN_USER,
    build_model,
    hide_users,
    parameter_count,
    user_rows,
)

B, T, N_USERS = 3, 48, 5
# Small variants keep the suite fast; defaults are exercised by test_defaults_build.
SMALL = {
    "lstm": {"hidden": 16},
    "gru": {"hidden": 16},
    "lstm_embedding": {"hidden": 16},
    "transformer": {"d_model": 32},
    "patchtst": {"d_model": 32, "patch": 8},
}
# Output at step t never depends on features after t.
CAUSAL = ("user_mean", "linear", "lstm", "gru", "lstm_embedding", "transformer", "physiological")


def small(name: str, **extra) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(name, N_USERS, **SMALL.get(name, {}), **extra).eval()


def inputs(seed: int = 0, steps: int = T) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(B, steps, len(FEATURE_NAMES), generator=generator)
    return features, torch.tensor([0, 3, UNKNOWN_USER])


def perturbed_after(features: torch.Tensor, step: int) -> torch.Tensor:
    """Features changed (by a lot) at every step > `step`, identical up to it."""
    changed = features.clone()
    changed[:, step + 1 :] += 3.0 + torch.randn_like(changed[:, step + 1 :])
    return changed


@pytest.mark.parametrize("name", sorted(MODELS))
def test_contract(name):
    model = small(name)
    features, user = inputs()
    out = model(features, user)
    assert out.shape == (B, T) and out.dtype == torch.float32
    assert torch.isfinite(out).all()
    assert parameter_count(model) > 0
    assert model.config["name"] == name and model.config["n_users"] == N_USERS


@pytest.mark.parametrize("name", sorted(MODELS))
def test_rebuild_from_config(name):
    model = small(name)
    for parameter in model.parameters():  # trained-looking weights, not the initial ones
        parameter.data += 0.01 * torch.randn_like(parameter)
    config = json.loads(json.dumps(model.config))  # survives a JSON (or checkpoint) round trip
    rebuilt = build_model(**config).eval()
    assert parameter_count(rebuilt) == parameter_count(model)
    rebuilt.load_state_dict(model.state_dict())
    features, user = inputs()
    torch.testing.assert_close(rebuilt(features, user), model(features, user), rtol=0, atol=0)


def test_defaults_build_and_start_near_the_prior():
    features, user = inputs()
    for name in MODELS:
        model = build_model(name, N_USERS).eval()
        out = model(features, user)
        if name in ("physiological", "hybrid"):  # ODEs: a physiological range, not a prior
            assert ((out > 40) & (out < 220)).all()
        else:  # the HR_PRIOR bias: an untrained network predicts about 140 bpm
            assert (out - HR_PRIOR).abs().max() < 10, name


def test_unknown_name_is_refused():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("prophet", N_USERS)


@pytest.mark.parametrize("name", CAUSAL)
def test_causal_and_independent_of_trailing_padding(name):
    """Changing steps > t leaves steps <= t alone, so whatever padding follows a window's real
    steps cannot change its predictions."""
    model = small(name)
    features, user = inputs()
    before = model(features, user)
    for t in (0, 17, T - 2):
        after = model(perturbed_after(features, t), user)
        torch.testing.assert_close(after[:, : t + 1], before[:, : t + 1])


@pytest.mark.parametrize(
    ("name", "hyper"),
    [
        ("lstm", {"bidirectional": True}),
        ("gru", {"bidirectional": True}),
        ("transformer", {"causal": False}),
        ("patchtst", {"causal": False}),
    ],
)
def test_non_causal_variants_see_the_future(name, hyper):
    """bidirectional RNNs and non-causal attention read later steps: offline analysis only."""
    model = small(name, **hyper)
    features, user = inputs()
    after = model(perturbed_after(features, 8), user)
    assert (after[:, :5] - model(features, user)[:, :5]).abs().max() > 1e-3


def test_patchtst_is_causal_at_patch_granularity():
    """Output at step t depends on steps < end of t's patch, (t // P + 1) * P, and on nothing
    later; within its own patch it does see up to P - 1 later steps."""
    patch = SMALL["patchtst"]["patch"]
    model = small("patchtst")
    features, user = inputs(steps=T - 3)  # not a multiple of the patch: the last one is padded
    before = model(features, user)
    for t in (0, 5, 20, T - 4):
        end = (t // patch + 1) * patch
        after = model(perturbed_after(features, end - 1), user)
        torch.testing.assert_close(after[:, :end], before[:, :end])
    inside = model(perturbed_after(features, patch + 2), user)  # steps 11..15 of patch 1
    assert not torch.allclose(inside[:, patch : patch + 3], before[:, patch : patch + 3])


def test_user_rows_map_unknown_and_out_of_vocabulary_users_to_the_last_row():
    user = torch.tensor([0, 4, UNKNOWN_USER, 5, 99])
    assert user_rows(user, 5).tolist() == [0, 4, 5, 5, 5]


def test_lstm_embedding_unknown_user_row():
    model = small("lstm_embedding")
    with torch.no_grad():
        model.embedding.weight += torch.randn_like(model.embedding.weight)
    features, _ = inputs()
    one = features[:1].expand(3, -1, -1)
    out = model(one, torch.tensor([UNKNOWN_USER, N_USERS + 5, 1]))
    torch.testing.assert_close(out[0], out[1], rtol=0, atol=0)
    assert not torch.allclose(out[0], out[2])
    with torch.no_grad():  # and it is the last row that they read
        model.embedding.weight[N_USERS] += 1.0
    assert not torch.allclose(model(one, torch.tensor([UNKNOWN_USER] * 3))[0], out[0])


def test_user_mean_is_its_embedding_at_every_step_and_learns_each_users_mean():
    model = build_model("user_mean", N_USERS)
    user = torch.tensor([0, 1, 2, UNKNOWN_USER])
    features = torch.zeros(4, T, len(FEATURE_NAMES))
    out = model(features, user)
    expected = HR_SCALE * model.level.weight[[0, 1, 2, N_USERS], 0]
    torch.testing.assert_close(out, expected[:, None].expand(-1, T))
    # The masked MSE of a training loop drives each user's constant to their mean heart rate.
    target = torch.tensor([120.0, 150.0, 165.0])[:, None] + 10 * torch.randn(3, T)
    mask = (torch.rand(3, T) > 0.3).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    for _ in range(300):
        error = (model(features[:3], user[:3]) - target) * mask
        loss = error.square().sum() / mask.sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    means = (target * mask).sum(1) / mask.sum(1)
    torch.testing.assert_close(model.user_bpm(user[:3]), means, atol=0.05, rtol=0)


def test_hide_users():
    user = torch.arange(1000)
    hidden = hide_users(user, 0.25, torch.Generator().manual_seed(0))
    share = float((hidden == UNKNOWN_USER).float().mean())
    assert 0.2 < share < 0.3
    kept = hidden != UNKNOWN_USER
    assert torch.equal(hidden[kept], user[kept])


def scaler() -> Scaler:
    mean = np.array([10.0, 50, 0.5, 10, 10, 50, 0, 0, 10, 10, 100, 1800, 0, 25], dtype=np.float32)
    std = np.array([3.0, 30, 0.5, 3, 3, 30, 0.1, 0.1, 3, 3, 100, 1000, 0.05, 10], dtype=np.float32)
    return Scaler(FEATURE_NAMES, mean, std)


def physiological(fitted: Scaler):
    return build_model(
        "physiological",
        N_USERS,
        feature_mean=fitted.mean.tolist(),
        feature_std=fitted.std.tolist(),
        step_seconds=8.0,
    )


def run_at(speed_kmh: np.ndarray, grade: float = 0.0) -> np.ndarray:
    """Raw features of constant-pace workouts from rest, one row per speed."""
    steps = 120
    raw = np.zeros((len(speed_kmh), steps, len(FEATURE_NAMES)), dtype=np.float32)
    raw[..., SPEED] = speed_kmh[:, None]
    raw[..., GRADE] = grade
    raw[..., ELAPSED] = np.arange(steps) * 8.0
    raw[..., INTENSITY] = 3.5  # starting from rest
    return raw


def test_physiological_untrained_is_plausible_on_standardised_inputs():
    fitted = scaler()
    model = physiological(fitted)
    generator = np.random.default_rng(0)
    raw = generator.normal(fitted.mean, fitted.std, size=(4, 500, len(FEATURE_NAMES))).astype(
        np.float32
    )
    raw[..., SPEED] = np.abs(raw[..., SPEED])
    out = model(torch.from_numpy(fitted.transform(raw)), torch.tensor([0, 1, 2, UNKNOWN_USER]))
    assert out.shape == (4, 500) and out.dtype == torch.float32
    assert ((out > 40) & (out < 220)).all()


def test_physiological_faster_and_uphill_mean_higher_heart_rate():
    fitted = scaler()
    model = physiological(fitted)
    user = torch.full((3,), UNKNOWN_USER)
    flat = model(torch.from_numpy(fitted.transform(run_at(np.array([6.0, 9.0, 12.0])))), user)
    last = flat[:, -1]
    assert last[0] < last[1] < last[2]
    assert (flat[:, 0] < flat[:, 30]).all()  # from rest, heart rate rises towards steady state
    hill = model(torch.from_numpy(fitted.transform(run_at(np.array([9.0]), 0.05))), user[:1])
    assert hill[0, -1] > last[1]


def test_physiological_population_parameters_and_gradients():
    fitted = scaler()
    model = physiological(fitted)
    values = model.user_parameters(torch.tensor([0, UNKNOWN_USER]))
    for key, expected in {
        "rest": 60,
        "max": 190,
        "vo2max": 50,
        "tau_on": 30,
        "tau_off": 60,
    }.items():
        torch.testing.assert_close(values[key], torch.full((2,), float(expected)))
    torch.testing.assert_close(values["drift"], torch.full((2,), 5.0))
    features = torch.from_numpy(fitted.transform(run_at(np.array([9.0, 11.0]))))
    out = model(features, torch.tensor([0, 1]))
    out.mean().backward()
    grad = model.physiology.raw.weight.grad
    assert torch.isfinite(grad).all() and grad[:2].abs().sum() > 0
    assert grad[2:].abs().sum() == 0  # unused rows get nothing


# CPU oneDNN has no bf16 LSTM kernel; CUDA's cuDNN does (the training loop autocasts on CUDA).
@pytest.mark.parametrize("name", sorted(set(MODELS) - {"lstm", "lstm_embedding"}))
def test_bf16_autocast_still_returns_float32(name):
    """The training loop runs forward under bf16 autocast on GPUs; the head stays float32."""
    model = small(name)
    features, user = inputs()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(features, user)
    assert out.dtype == torch.float32
    assert (out - model(features, user)).abs().max() < 5.0
