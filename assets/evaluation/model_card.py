"""MODEL_CARD.md beside the production model: what it was trained on, how well it did and where
it falls short, so whoever serves it knows what its figures mean. Pure text from the promotion
record, the training tensors' metadata, the model's evaluation summary and, when one scored it,
the reality check on real activity files (the only figures here not on the lake's own data)."""

from collections import Counter

from assets.evaluation.baselines import CONSTANT_BPM
from assets.evaluation.reality_check import MIN_EARLIER

LIMITS = (
    "- Cold start (a runner the model never saw): most of the error is the runner's level "
    "(resting and maximal heart rate, fitness), which speed and altitude cannot tell.",
    "- Personalisation needs the runner's own earlier runs with heart rate (`pulselake "
    "personalize`); a handful is enough to fit the level, more to fit the response.",
    "- Inputs are speed and altitude on the checkpoint's grid; a file without altitude is "
    "predicted on a flat profile.",
)


def _figure(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} bpm"


def real_runs(reality: dict | None, simulated: bool) -> str:
    """The card's line on real runs: the reality check's medians against its baselines (its
    summary.json, `assets/evaluation/reality_check.py`), or that none scored this model."""
    if reality is None:
        return (
            "- Real runs: no real-data check has scored this model (the `reality_check` asset, "
            "with `PULSELAKE_REALITY_CHECK` set to a folder of your activity files); the figures "
            "above are on " + ("simulated runs only." if simulated else "this lake's test runners.")
        )
    head, cold = reality["headline"], reality["cold"]
    personal_kinetics = _figure(head["kinetics_personal"])
    personal = (
        f"personalised {_figure(head['personal_median'])} against the kinetics model fitted on "
        f"those ({personal_kinetics})"
        if reality.get("personalised")
        else f"the kinetics model fitted on those {personal_kinetics} (personalisation not checked)"
    )
    return (
        f"- Real runs (reality check of {reality.get('checked_at', 'n/a')}, {reality['runs']} "
        f"runs of {reality['runners']} runners, median MAE per run): cold start "
        f"{_figure(head['cold_median'])} against a constant {CONSTANT_BPM:g} bpm "
        f"({_figure(head['const_median'])}), the population's level "
        f"({_figure(cold['population']['median'])}) and a heart-rate kinetics model "
        f"({_figure(head['kinetics_cold'])}); on the {reality['personal_runs']} runs with at "
        f"least {MIN_EARLIER} earlier runs of their runner, {personal}; {head['refused']} refused."
    )


def model_card(
    record: dict, tensors_meta: dict, summary: dict | None, reality: dict | None = None
) -> str:
    """The card's Markdown. `summary` is the family's evaluation headline on the same scheme
    (None before it was evaluated); a noise floor in it means the data were simulated (only
    the simulator knows the noise-free heart rate). `reality` is the reality check's summary
    when it scored this model."""
    counts = tensors_meta["counts"]
    sources = Counter(user.split("/")[0] for user in tensors_meta["users"])
    simulated = summary is not None and summary.get("noise_floor_mae") is not None
    test = summary or {}
    sections = {
        "Training data": [
            f"- {'Simulated' if simulated else 'Real or unknown'} workouts; runners in the lake "
            "by source: " + ", ".join(f"{name} {n}" for name, n in sorted(sources.items())) + ".",
            f"- Train / validation / test: {counts['train']['workouts']} / "
            f"{counts['val']['workouts']} / {counts['test']['workouts']} workouts of "
            f"{counts['train']['users']} / {counts['val']['users']} / {counts['test']['users']} "
            "runners (validation and test runners never seen in training).",
            f"- Grid: {tensors_meta['step_seconds']:g} s steps, heart rate bridged over at most "
            f"{tensors_meta['grid_hr_max_gap_s']:g} s.",
        ],
        "Figures": [
            f"- Validation MAE {_figure(record['val_mae'])} (it chose the model).",
            f"- Test MAE {_figure(test.get('test_mae'))}, RMSE {_figure(test.get('test_rmse'))}, "
            f"noise floor {_figure(test.get('noise_floor_mae'))}.",
            real_runs(reality, simulated),
        ],
        "Limits": list(LIMITS),
    }
    head = [
        f"# Model card: {record['family']}",
        f"Promoted {record['promoted_at']} from training run `{record['trained_run_id']}` "
        f"(`{record['source_checkpoint']}`).",
    ]
    body = [f"## {title}\n\n" + "\n".join(items) for title, items in sections.items()]
    return "\n\n".join([*head, *body]) + "\n"
