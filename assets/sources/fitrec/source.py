"""The FitRec/Endomondo source's registry entry."""

from pathlib import Path

import polars as pl

from assets.lake.resources import Lake
from assets.sources.fitrec.defs import fitrec_bronze, fitrec_checks, fitrec_source
from assets.sources.fitrec.files import NAME, PARTITIONED, FitrecSource, claims_fitrec
from assets.sources.fitrec.unified import fitrec_unified
from assets.sources.source import Source, SourcePath
from assets.sources.truth import listed_truth
from simulator import truth_dir_for


def fitrec_truth(_lake: Lake, _fitrec: SourcePath, files: pl.DataFrame) -> list:
    """The sidecar beside each ingested file (`<file>.truth/`)."""
    return [listed_truth(truth_dir_for(Path(path)), NAME) for path in files["path"]]


def fitrec_artifact_log(files: pl.DataFrame) -> pl.DataFrame | None:
    """The artifacts the simulator injected into the ingested files, when it wrote them."""
    logs = [truth_dir_for(Path(path)) / "artifacts.parquet" for path in files["path"]]
    found = [pl.scan_parquet(log) for log in logs if log.is_file()]
    if not found:
        return None
    return (
        pl.concat(found)
        .select(
            pl.col("workout_id").cast(pl.String),
            "kind",
            start=pl.col("start_index").cast(pl.Int64),
            end=pl.col("end_index").cast(pl.Int64),
        )
        .collect()
    )


FITREC = Source(
    name=NAME,
    resource=FitrecSource,
    env_var="PULSELAKE_FITREC",
    description="Ingest one FitRec file (a partition: configured, dropped into the inbox, or the "
    "simulated sample) into bronze tables.",
    assets=[fitrec_source, fitrec_bronze],
    checks=fitrec_checks,
    workouts_asset="fitrec_workouts",
    claims=claims_fitrec,
    unified=fitrec_unified,
    partitioned=PARTITIONED,
    truth=fitrec_truth,
    artifact_log=fitrec_artifact_log,
)
