"""`pulselake predict`: a trained model's heart rate for your own activity files.

Per file it writes `<out>/<stem>.csv` (the grid steps) and `<out>/<stem>.png` (measured vs
predicted heart rate, speed and altitude beneath) and prints MAE and RMSE where the file measured
heart rate. Heavy imports (torch, matplotlib, polars) wait until a command runs, so the CLI
starts fast.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Annotated

import typer

MODEL_HELP = "Checkpoint (model.pt); default <lake>/models/production/model.pt."
PRODUCTION_MODEL = Path("models", "production", "model.pt")


def default_model() -> Path:
    from pipelines.resources import lake_root

    return Path(lake_root(), PRODUCTION_MODEL)


def activity_paths(workout: Path) -> list[Path]:
    """The file itself, or every activity file in the folder (and below), sorted."""
    from assets.sources.activity_files.folder import take_inventory

    if workout.is_dir():
        return take_inventory(workout).activity_files
    return [workout]


def stem(path: Path) -> str:
    """The file name before its first dot: `1234.fit.gz` -> `1234`."""
    return path.name.split(".")[0]


def plot(prediction, title: str) -> bytes:
    """Measured vs predicted heart rate over elapsed minutes, speed and altitude beneath."""
    from assets.lake.figures import plt, png  # pyplot on the Agg backend

    minutes = prediction["elapsed_s"].to_numpy() / 60
    figure, (hr, speed, altitude) = plt.subplots(
        3, 1, figsize=(9, 6), sharex=True, height_ratios=(2, 1, 1)
    )
    measured = prediction["measured_hr"].to_numpy()
    if prediction["measured_hr"].is_not_null().any():
        hr.plot(minutes, measured, color="black", linewidth=1, label="measured")
    hr.plot(minutes, prediction["predicted_hr"].to_numpy(), color="crimson", label="predicted")
    hr.set(ylabel="heart rate (bpm)", title=title)
    hr.legend(loc="lower right")
    speed.plot(minutes, prediction["speed_kmh"].to_numpy(), color="tab:blue")
    speed.set(ylabel="speed (km/h)")
    altitude.plot(minutes, prediction["altitude_m"].to_numpy(), color="tab:green")
    altitude.set(ylabel="altitude (m)", xlabel="minutes")
    image = png(figure)
    plt.close(figure)
    return image


def output_names(found: list) -> list[str]:
    """A unique CSV/PNG name per (path, activity): the file's stem (`-2` for its second
    activity), then its format (`Standard-tcx`), then its folder where two files share it."""
    from collections import Counter

    from assets.sources.activity_files.readers import activity_format

    names = [stem(p) + (f"-{a.part}" if a.part else "") for p, a in found]
    for widen in (
        lambda name, p: f"{name}-{(activity_format(p) or '.x')[1:]}",
        lambda name, p: f"{p.parent.name}_{name}",
    ):
        counts = Counter(names)
        names = [
            widen(n, p) if counts[n] > 1 else n for n, (p, _) in zip(names, found, strict=True)
        ]
    counts, seen = Counter(names), Counter()
    unique = []
    for name in names:  # the same name in two folders of the same name: numbered
        seen[name] += 1
        unique.append(f"{name}-{seen[name]}" if counts[name] > 1 else name)
    return unique


def predict_file(bundle, path: Path, activity, user: str | None, out: Path, name: str) -> dict:
    """Write `<out>/<name>.csv` and `.png` for one activity; its summary row."""
    import polars as pl

    from assets.prediction.predict_file import errors, label, predict_activity

    # Rounded to 0.01 bpm before scoring, so the CSV reproduces the printed errors exactly.
    prediction = predict_activity(bundle, activity, user).with_columns(pl.col(pl.Float32).round(2))
    prediction.with_columns(pl.col("time").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_csv(
        out / f"{name}.csv"
    )
    (out / f"{name}.png").write_bytes(plot(prediction, Path(label(path, activity)).name))
    mae, rmse, steps = errors(prediction)
    minutes = prediction["elapsed_s"][-1] / 60
    return {
        "file": label(path, activity),
        "minutes": round(minutes, 1),
        "mae": mae,
        "rmse": rmse,
        "steps": steps,
        "altitude_missing": activity.altitude_missing,
        "notes": list(activity.notes),
    }


def number(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


def predict(
    workout: Annotated[
        Path,
        typer.Argument(
            help="A .gpx (Apple Watch routes too), .tcx, .fit or .csv file (time, speed km/h, "
            "altitude m, optional heart_rate, latitude, longitude), each optionally .gz, or a "
            "folder: every activity file in it."
        ),
    ],
    model: Annotated[Path | None, typer.Option(help=MODEL_HELP)] = None,
    user: Annotated[
        str | None,
        typer.Option(
            help="Who ran, as the model knows users: '<source>/<user_id>', e.g. "
            "'activity_files/anna'. Anyone else (the default) gets the unknown-user prediction."
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Folder for <stem>.csv and <stem>.png per file.")
    ] = Path("predictions"),
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Also write the per-file rows (file, minutes, mae, rmse, steps; null where no "
            "heart rate was measured) to <out>/predictions.json and print them as JSON instead "
            "of the table.",
        ),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Stop at the first file that cannot be predicted (exit code 1)."
        ),
    ] = False,
) -> None:
    """Predict the heart-rate curve of a workout file (or a folder of them) with a trained
    model; print MAE and RMSE against the heart rate the file measured, when it did."""
    from assets.prediction.predict_file import label, load_bundle, read_runs
    from assets.sources.activity_files.readers import ActivityFileError

    checkpoint = model or default_model()
    if not checkpoint.is_file():
        hint = "pass --model PATH" if model else "run `make run` to train one, or pass --model"
        raise _fail(f"no checkpoint at {checkpoint}: {hint}")
    try:
        bundle = load_bundle(checkpoint)
    except (ValueError, KeyError, RuntimeError, OSError) as error:
        raise _fail(f"{checkpoint}: not a usable checkpoint: {error}") from error
    if not workout.exists():
        raise _fail(f"{workout}: no such file or folder")
    paths = activity_paths(workout)
    if not paths:
        raise _fail(f"{workout}: no .fit, .tcx, .gpx or .csv files in it")
    found, refused, notes = read_runs(paths)
    if strict and refused:
        raise _fail(refused[0])
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for (path, activity), name in zip(found, output_names(found), strict=True):
        try:
            rows.append(predict_file(bundle, path, activity, user, out, name))
        except ActivityFileError as error:
            refused.append(str(error))
        except Exception as error:  # one odd file never stops the others
            refused.append(f"{label(path, activity)}: {type(error).__name__}: {error}")
        else:
            notes += [f"{label(path, activity)}: {note}" for note in activity.notes]
            continue
        if strict:
            raise _fail(refused[-1])
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    for reason in refused:
        typer.echo(f"error: {reason}", err=True)
    if not rows:
        raise _fail(f"nothing in {workout} could be predicted ({len(refused)} refused)")
    _report(rows, out, as_json, len(refused))


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _json_value(value: object) -> object:
    """NaN (no measured heart rate) as JSON null."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _report(rows: list[dict], out: Path, as_json: bool, refused: int) -> None:
    """One line per file and the median over files; or the rows as JSON."""
    import statistics

    if as_json:
        plain = [{k: _json_value(v) for k, v in row.items()} for row in rows]
        text = json.dumps(plain, indent=2)
        (out / "predictions.json").write_text(text + "\n")
        typer.echo(text)
        return
    for row in rows:
        typer.echo(
            f"{row['file']}: {row['minutes']:.1f} min, MAE {number(row['mae'])} bpm, "
            f"RMSE {number(row['rmse'])} bpm over {row['steps']} steps with measured heart rate"
        )
    measured = [row for row in rows if row["steps"]]
    if len(rows) > 1 and measured:
        typer.echo(
            f"median over {len(measured)} files: MAE "
            f"{statistics.median(r['mae'] for r in measured):.2f} bpm, RMSE "
            f"{statistics.median(r['rmse'] for r in measured):.2f} bpm"
        )
    typer.echo(
        f"wrote {len(rows)} CSV and PNG files to {os.fspath(out)}"
        + (f"; {refused} refused (listed above)" if refused else "")
    )
