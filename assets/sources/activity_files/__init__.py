"""The files runners already have: FIT, TCX, GPX and CSV (and Strava bulk exports)."""
