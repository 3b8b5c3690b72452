"""`pulselake`: the entry points that are not Dagster's own (simulate, run the whole graph)."""

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="pulselake: running workouts in, heart-rate models out.", no_args_is_help=True
)
simulate_app = typer.Typer(
    help="Write simulated workouts in real file formats.", no_args_is_help=True
)
app.add_typer(simulate_app, name="simulate")


@simulate_app.command("fitrec")
def simulate_fitrec(
    out: Annotated[Path, typer.Option(help="Output file: .json, or .json.gz for gzip.")],
    users: Annotated[int, typer.Option(min=1, help="Number of simulated runners.")] = 50,
    workouts_per_user: Annotated[
        int, typer.Option(min=1, help="Workouts (all sports) per runner.")
    ] = 20,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 0,
) -> None:
    """FitRec/Endomondo lines plus a noise-free truth sidecar folder beside them."""
    from simulator import write_fitrec

    summary = write_fitrec(out, users=users, workouts_per_user=workouts_per_user, seed=seed)
    typer.echo(
        f"wrote {summary.lines} workouts ({summary.running_lines} runs, "
        f"{summary.bytes / 1e6:.1f} MB) to {summary.path}\ntruth sidecar: {summary.truth_dir}"
    )


@app.command("run")
def run_graph() -> None:
    """Materialize every asset (and run every check) in-process, then list what was produced."""
    import dagster as dg

    from pipelines.definitions import defs

    instance = dg.DagsterInstance.get()
    job = defs.resolve_implicit_global_asset_job_def()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = job.execute_in_process(run_config=quiet, instance=instance, raise_on_error=False)
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        rows = metadata.get("dagster/row_count")
        path = metadata.get("path")
        typer.echo(
            f"{event.materialization.asset_key.to_user_string():<24} "
            f"{rows.value if rows else '':>10} rows  {path.value if path else ''}"
        )
    for check in result.get_asset_check_evaluations():
        typer.echo(f"check {check.check_name:<32} {'passed' if check.passed else 'FAILED'}")
    typer.echo(f"run {result.run_id} {'succeeded' if result.success else 'FAILED'}")
    if not result.success:
        raise typer.Exit(1)
