"""A small extra source, added as a source is: one folder and one registry line (here the
test's own list). It reads `<folder>/<runner>/<workout>.csv` files with `time` (epoch s),
`speed` (km/h), `altitude` (m), `heart_rate` (bpm), `latitude` and `longitude` columns."""
