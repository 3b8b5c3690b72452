"""The reality check's resource, apart from its asset so that loading the resources (every CLI
command does) never imports torch."""

import dagster as dg

ENV_VAR = "PULSELAKE_REALITY_CHECK"


class RealityCheck(dg.ConfigurableResource):
    """A folder of real activity files with heart rate, one sub-folder per runner (empty: no
    check). Read only: nothing in it is copied into the lake."""

    path: str = ""
