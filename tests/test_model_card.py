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


def test_a_reality_check_of_the_model_states_its_medians_against_the_baselines():
    reality = {
        "checked_at": "2026-12-08T09:00:00+00:00",
        "personalised": True,
        "runs": 75,
        "runners": 25,
        "personal_runs": 34,
        "headline": {
            "cold_median": 11.13,
            "personal_median": 7.5,
            "const_median": 12.19,
            "kinetics_cold": 12.64,
            "kinetics_personal": 8.49,
            "refused": 1,
        },
        "cold": {"population": {"median": 12.3}},
    }

    card = model_card(RECORD, META, None, reality)

    assert (
        "- Real runs (reality check of 2026-12-08T09:00:00+00:00, 75 runs of 25 runners, median "
        "MAE per run): cold start 11.13 bpm against a constant 150 bpm (12.19 bpm), the "
        "population's level (12.30 bpm) and a heart-rate kinetics model (12.64 bpm); on the 34 "
        "runs with at least 3 earlier runs of their runner, personalised 7.50 bpm against the "
        "kinetics model fitted on those (8.49 bpm); 1 refused.\n"
    ) in card
    cold_only = model_card(RECORD, META, None, {**reality, "personalised": False})
    assert "runner, the kinetics model fitted on those 8.49 bpm (personalisation not checked)" in (
        cold_only
    )
    assert "- Real runs: no real-data check has scored this model" in model_card(RECORD, META, None)
