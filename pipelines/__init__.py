"""Dagster wiring of pulselake: the one Definitions, jobs, resources, IO manager and the CLI."""
