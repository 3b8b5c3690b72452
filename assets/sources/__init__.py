"""The sources: one package per source, each one folder plus one line in `registry.py`;
the common parts (discovery, the inbox, the unified table, positions, GPX, safe XML) beside them."""
