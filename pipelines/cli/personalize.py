"""`pulselake personalize`: fine-tune a base model on one runner's own activity files (a folder
or a Strava export) and report the MAE before and after on their later workouts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from pipelines.cli.predict import MODEL_HELP, default_model


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def personalize(
    folder: Annotated[Path, typer.Argument(help="One runner's activity files or Strava export.")],
    out: Annotated[Path, typer.Option(help="Where the personalised model.pt is written.")],
    base: Annotated[Path | None, typer.Option(help=MODEL_HELP)] = None,
    cut: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Workouts before this day train, later ones score; default: 3/4 before it.",
        ),
    ] = None,
    epochs: Annotated[int, typer.Option(min=1)] = 10,
    learning_rate: Annotated[float, typer.Option(help="Fine-tuning rate.")] = 1e-4,
    trainable: Annotated[
        list[str] | None,
        typer.Option(help="Parameter prefix to train (repeatable, e.g. head); default all."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first file that cannot be read.")
    ] = False,
) -> None:
    """Two-stage personalisation of BASE on FOLDER's runs; prints MAE before and after."""
    from assets.personalize.runner import Finetuning, personalize_workouts
    from assets.sources.activity_files.folder import read_folder

    base = base or default_model()
    if not base.is_file():
        fail(f"{base} does not exist: run `make run` or pass --base")
    if not folder.is_dir():
        fail(f"{folder}: not a folder")
    workouts, quarantine, _ = read_folder(folder)
    for file, reason in quarantine.iter_rows():
        if strict:
            fail(reason)
        typer.echo(f"skipped {file}: {reason}", err=True)
    if workouts.is_empty():
        fail(f"nothing in {folder} could be read ({quarantine.height} files skipped)")
    users = workouts["user_id"].unique().to_list()
    if len(users) != 1:
        fail(f"{folder} holds {len(users)} runners ({users}); point at one runner's folder")
    tune = Finetuning(learning_rate=learning_rate, epochs=epochs, trainable=trainable or [])
    try:
        found = personalize_workouts(
            workouts, base, out, cut.replace(tzinfo=UTC) if cut else None, tune
        )
    except ValueError as error:
        fail(str(error))
    typer.echo(
        f"cut {found['cut'][:10]}: trained on {found['train_workouts']} workouts "
        f"(+{found['val_workouts']} to select the epoch), scored on {found['later_workouts']} "
        f"later ones\nMAE base {found['base_mae']:.2f} -> personalised "
        f"{found['personalised_mae']:.2f} bpm\nwrote {out}"
    )
