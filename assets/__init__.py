"""The stages of pulselake, one package each (see ARCHITECTURE.md): thin Dagster definitions in
each `defs.py` over pure polars and torch functions in the modules beside them."""
