"""`pulselake personalize`: adapt base models to one runner's own activity files (a folder or a
Strava export) and report the MAE before and after on their later workouts."""

from __future__ import annotations

import math
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from pipelines.cli.predict import MODEL_HELP, default_model


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def family_checkpoint(family: str) -> Path:
    """The newest cold-start checkpoint of a family in the lake."""
    from assets.training.defs import latest_checkpoint
    from pipelines.resources import lake_root

    found = latest_checkpoint(Path(lake_root()), family)
    if found is None:
        fail(f"no cold-start checkpoint of {family} in the lake: run `make run` or drop --family")
    return found


def personalize(
    folder: Annotated[Path, typer.Argument(help="One runner's activity files or Strava export.")],
    out: Annotated[Path, typer.Option(help="Where the personalised model.pt is written.")],
    base: Annotated[Path | None, typer.Option(help=MODEL_HELP)] = None,
    family: Annotated[
        list[str] | None,
        typer.Option(help="Also try this family's latest model in the lake (repeatable)."),
    ] = None,
    cut: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Workouts before this day train, later ones score; default: 3/4 before it.",
        ),
    ] = None,
    epochs: Annotated[int, typer.Option(min=1)] = 10,
    learning_rate: Annotated[
        float | None,
        typer.Option(help="Fine-tune at this rate only; default: each family's own attempts."),
    ] = None,
    trainable: Annotated[
        list[str] | None,
        typer.Option(help="Parameter prefix to train (repeatable, e.g. head); default all."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first file that cannot be read.")
    ] = False,
) -> None:
    """Adapt BASE (and each --family) to FOLDER's runs in the ways its family allows; prints
    each one's MAE before and after on the later runs and writes the best on validation."""
    from assets.personalize.runner import personalize_workouts
    from assets.personalize.strategies import Finetuning
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
    fixed = learning_rate is not None or trainable
    tune = Finetuning(learning_rate or 1e-3, epochs, trainable=trainable or []) if fixed else None
    bases = [base, *(family_checkpoint(name) for name in family or [])]
    results = []
    with tempfile.TemporaryDirectory(prefix="pulselake-personalize-") as work:
        for number, tried in enumerate(bases):
            candidate = Path(work, f"{number}.pt")
            try:
                found = personalize_workouts(
                    workouts, tried, candidate, cut.replace(tzinfo=UTC) if cut else None, tune,
                    epochs,
                )  # fmt: skip
            except ValueError as error:  # this base cannot be adapted; the others still may
                typer.echo(f"{tried}: not adapted: {error}", err=True)
                continue
            typer.echo(
                f"{tried}: MAE base {found['base_mae']:.2f} -> personalised "
                f"{found['personalised_mae']:.2f} bpm on the later runs (kept {found['kept']}; "
                f"validation {found['tried']})"
            )
            results.append((math.isnan(found["val_mae"]), found["val_mae"], number, found))
        if not results:
            fail("no base model could be adapted to these runs")
        *_, number, best = min(results, key=lambda row: row[:3])
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(work, f"{number}.pt"), out)
    typer.echo(
        f"cut {best['cut'][:10]}: adapted on {best['train_workouts']} workouts "
        f"(+{best['val_workouts']} to choose), scored on {best['later_workouts']} later ones\n"
        f"kept {bases[number]} ({best['kept']}): MAE base {best['base_mae']:.2f} -> "
        f"personalised {best['personalised_mae']:.2f} bpm\nwrote {out}"
    )
