"""The assembly of pulselake: the one Definitions, jobs, schedules, sensors, automation, the
resources read from the environment, and the `pulselake` CLI."""
