"""The production model's card: its figures and data, word for word from its inputs."""

from assets.evaluation.model_card import model_card

RECORD = {
    "family": "linear",
    "promoted_at": "2026-12-07T12:00:00+00:00",
    "trained_run_id": "r1",
    "source_checkpoint": "/lake/models/linear/user_disjoint/r1/model.pt",
    "val_mae": 12.137,
}
META = {
    "counts": {
        "train": {"workouts": 451, "users": 39},
        "val": {"workouts": 95, "users": 8},
        "test": {"workouts": 76, "users": 8},
    },
    "users": ["fitrec/1", "fitrec/2", "apple_health/anna"],
    "step_seconds": 8.0,
    "grid_hr_max_gap_s": 20.0,
}


def test_the_card_states_data_figures_and_limits():
    card = model_card(RECORD, META, {"test_mae": 13.848, "test_rmse": 17.4, "noise_floor_mae": 1.7})

    assert card.startswith("# Model card: linear\n\nPromoted 2026-12-07T12:00:00+00:00 from")
    assert "- Simulated workouts; runners in the lake by source: apple_health 1, fitrec 2." in card
    assert "451 / 95 / 76 workouts of 39 / 8 / 8 runners" in card
    assert "- Grid: 8 s steps, heart rate bridged over at most 20 s." in card
    assert "- Validation MAE 12.14 bpm (it chose the model)." in card
    assert "- Test MAE 13.85 bpm, RMSE 17.40 bpm, noise floor 1.70 bpm." in card
    assert "## Limits" in card and "runner's level" in card


def test_a_model_not_evaluated_yet_says_so():
    card = model_card(RECORD, META, None)

    assert "- Real or unknown workouts;" in card
    assert "- Test MAE n/a, RMSE n/a, noise floor n/a." in card
