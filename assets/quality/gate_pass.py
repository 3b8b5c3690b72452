"""One streaming pass of every source's workouts through the gates, batch by batch, so memory
stays bounded by a few batches: clean rows stream out, rejected rows and counts are kept aside.
Batches are gated on worker threads (polars releases the GIL; batches are independent), their
results taken back in order."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator

import polars as pl

from assets.lake.streaming import streamed, threaded_map
from assets.quality.gates import FLAG_SCHEMA, GATES, REJECTED_SCHEMA, GateConfig, gate_batch
from schemas.tables import polars_schema
from schemas.workouts import CleanWorkouts

BATCH_ROWS = 2048


def funnel_table(entered: dict[str, int], rejected: pl.DataFrame) -> pl.DataFrame:
    """Per source and gate, in order: workouts entering, rejected there, and leaving."""
    gates = pl.DataFrame({"gate_number": range(1, len(GATES) + 1), "gate": GATES}).cast(
        {"gate_number": pl.Int8}
    )
    counts = rejected.group_by("source", "gate_number").agg(rejected=pl.len().cast(pl.Int64))
    grid = pl.DataFrame({"source": list(entered), "entered": list(entered.values())}).join(
        gates, how="cross"
    )
    return (
        grid.join(counts, on=["source", "gate_number"], how="left")
        .with_columns(pl.col("rejected").fill_null(0))
        .sort("source", "gate_number")
        .with_columns(
            entering=pl.col("entered")
            - pl.col("rejected").cum_sum().over("source")
            + pl.col("rejected"),
        )
        .select(
            "source",
            "gate_number",
            "gate",
            "entering",
            "rejected",
            leaving=pl.col("entering") - pl.col("rejected"),
        )
    )


class GatePass:
    """Sink `clean`, then read `rejected`, `flags`, `entered` (rows per source) and `funnel`."""

    def __init__(
        self,
        sources: dict[str, pl.LazyFrame],
        config: GateConfig | None = None,
        batch_rows: int = BATCH_ROWS,
        overrides: dict[str, dict] | None = None,
    ):
        """`overrides` maps a source to the thresholds it gates by instead of `config`'s."""
        self.sources, self.config, self.batch_rows = sources, config or GateConfig(), batch_rows
        self.configs = {
            name: dataclasses.replace(self.config, **(overrides or {}).get(name, {}))
            for name in sources
        }
        self._rejected: list[pl.DataFrame] = []
        self._flags: list[pl.DataFrame] = []
        self.entered: Counter = Counter()
        self.clean = streamed(self._clean, polars_schema(CleanWorkouts), "quality gates")

    def _batches(self) -> Iterator[tuple[pl.DataFrame, GateConfig]]:
        for name, workouts in self.sources.items():
            for batch in workouts.collect_batches(chunk_size=self.batch_rows):
                self.entered[name] += batch.height
                yield batch, self.configs[name]

    def _clean(self) -> Iterator[pl.DataFrame]:
        self._rejected, self._flags = [], []
        self.entered = Counter(dict.fromkeys(self.sources, 0))
        for clean, rejected, flags in threaded_map(gate_batch, self._batches()):
            self._rejected.append(rejected)
            self._flags.append(flags)
            yield clean

    @property
    def rejected(self) -> pl.DataFrame:
        return pl.concat([REJECTED_SCHEMA.to_frame(), *self._rejected])

    @property
    def flags(self) -> pl.DataFrame:
        return pl.concat([FLAG_SCHEMA.to_frame(), *self._flags])

    @property
    def funnel(self) -> pl.DataFrame:
        return funnel_table(dict(self.entered), self.rejected)
