"""`pulselake`: the entry points that are not Dagster's own (simulate, run the whole graph)."""

import warnings
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli.personalize import personalize
from pipelines.cli.predict import predict

app = typer.Typer(
    help="pulselake: running workouts in, heart-rate models out.", no_args_is_help=True
)
simulate_app = typer.Typer(
    help="Write simulated workouts in real file formats.", no_args_is_help=True
)
app.add_typer(simulate_app, name="simulate")
app.command("predict")(predict)
app.command("personalize")(personalize)


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


@simulate_app.command("apple")
def simulate_apple(
    out: Annotated[Path, typer.Option(help="Output folder: one <user>/export.zip per user.")],
    users: Annotated[int, typer.Option(min=1, help="Number of simulated Watch wearers.")] = 2,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 0,
    start: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="First day of the history.")
    ] = datetime(2019, 1, 1),
    end: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="Last day (also the export day).")
    ] = datetime(2025, 12, 31),
    runs_per_week: Annotated[float, typer.Option(min=0.0, help="Mean runs a week.")] = 2.0,
    background_scale: Annotated[
        float, typer.Option(min=0.0, help="All-day heart-rate density; 1 is realistic.")
    ] = 1.0,
    unzipped: Annotated[bool, typer.Option(help="Write apple_health_export/ folders.")] = False,
    ios16_dtd: Annotated[bool, typer.Option(help="Write iOS 16's malformed DTD.")] = False,
) -> None:
    """Apple Health exports (export.xml + GPX routes) plus a truth sidecar per user."""
    from simulator import write_apple_exports

    summaries = write_apple_exports(
        out,
        users=users,
        seed=seed,
        start=start.date(),
        end=end.date(),
        runs_per_week=runs_per_week,
        background_scale=background_scale,
        zipped=not unzipped,
        ios16_dtd=ios16_dtd,
    )
    for s in summaries:
        typer.echo(
            f"{s.user_slug}: {s.workouts} workouts ({s.routes} routes), {s.hr_records} heart-rate "
            f"records, export.xml {s.export_xml_bytes / 1e6:.1f} MB -> {s.export_path}\n"
            f"truth sidecar: {s.truth_dir}"
        )


@simulate_app.command("activity-files")
def simulate_activity_files(
    out: Annotated[Path, typer.Option(help="Output folder: one Strava-like export per runner.")],
    runners: Annotated[int, typer.Option(min=1, help="Number of simulated runners.")] = 3,
    runs: Annotated[int, typer.Option(min=1, help="Runs per runner.")] = 15,
    others: Annotated[int, typer.Option(min=0, help="Rides per runner (not runs).")] = 1,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 0,
) -> None:
    """FIT/GPX/TCX files with activities.csv per runner, plus a truth sidecar beside the folder."""
    from simulator.activity_files import write_activity_files

    s = write_activity_files(
        out, runners=runners, runs_per_runner=runs, others_per_runner=others, seed=seed
    )
    typer.echo(
        f"wrote {s.activities} activities ({s.runs} runs) to {s.path}\n"
        f"corrupted on purpose: {s.corrupt_file}\ntruth sidecar: {s.truth_dir}"
    )


def report_run(result) -> None:
    """One line per materialization and check of an in-process run."""
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        path = metadata.get("path") or metadata.get("checkpoint")
        if "test_mae" in metadata:
            size = f"test MAE {metadata['test_mae'].value:5.2f}"
        elif "best_val_mae" in metadata:
            size = f"val MAE {metadata['best_val_mae'].value:5.2f}"
        elif "dagster/row_count" in metadata:
            size = f"{metadata['dagster/row_count'].value:>10} rows"
        else:
            size = ""
        partition = f"[{event.partition}]" if event.partition else ""
        name = event.materialization.asset_key.to_user_string() + partition
        typer.echo(f"{name:<36} {size:>16}  {path.value if path else ''}")
    for check in result.get_asset_check_evaluations():
        typer.echo(f"check {check.check_name:<32} {'passed' if check.passed else 'FAILED'}")
    typer.echo(f"run {result.run_id} {'succeeded' if result.success else 'FAILED'}")


def register_sources(defs, instance, sources) -> list:
    """Write the simulated samples where a partitioned source is not configured, then add a
    partition for every file found (FitRec files, Apple exports); returns the files."""
    from assets.sources.files import register_partitions, source_files

    resources = defs.resources
    files = source_files(sources, resources, resources["lake"], simulate=True)
    for name, keys in register_partitions(instance, sources, files).items():
        if keys:
            typer.echo(f"new {name} partitions: {', '.join(keys)}")
    return files


@app.command("register")
def register() -> None:
    """Register every FitRec file and Apple Health export (configured, in the inbox, or the
    simulated sample) as a partition, so the UI can ingest them; `make ui` runs this first."""
    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from assets.sources.registry import SOURCES
    from pipelines.definitions import defs

    files = register_sources(defs, dg.DagsterInstance.get(), SOURCES)
    typer.echo(f"{len(files)} source files registered")


@app.command("run")
def run_graph() -> None:
    """Materialize every asset (and run every check) in-process: each FitRec file's and each
    Apple export's ingestion partition, then the rest with the cold-start (user_disjoint)
    models, then the temporal models and what depends on them."""
    import dagster as dg

    # Dagster's own preview APIs (Pipes message readers, partitioned checks) warn on every run.
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    from assets.evaluation.report import REPORT
    from assets.sources.registry import SOURCES
    from pipelines.definitions import defs
    from pipelines.jobs import retraining_passes
    from pipelines.sensors import by_partitions

    instance = dg.DagsterInstance.get()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    owners = by_partitions(SOURCES)
    runs = [
        (defs.resolve_job_def(owners[file.partitions].group), file.key, None)
        for file in register_sources(defs, instance, SOURCES)
    ]
    job = defs.resolve_implicit_global_asset_job_def()
    runs += [
        (job, scheme, selection)
        for scheme, selection in retraining_passes(defs.resolve_asset_graph())
    ]
    for run_job, partition, selection in runs:
        result = run_job.execute_in_process(
            run_config=quiet,
            instance=instance,
            partition_key=partition,
            asset_selection=selection,
            raise_on_error=False,
        )
        report_run(result)
        if not result.success:
            raise typer.Exit(1)
    typer.echo(f"evaluation report: {defs.resources['lake'].path(REPORT).resolve()}")
