"""The one cleaning every activity's samples get, for training (the activity-files source) and
for prediction alike: `read_activities` calls `clean_series`, so the model never sees a file
cleaned one way in training and another way when it predicts.

Each step fixes what real devices write (see the real-runs set's quirks) and says what it did,
so a user reading the output knows why a run looks as it does:

- a clock that jumps by hours (a device setting its clock mid-run): the series is cut there
  and the longer part kept;
- samples out of order or repeating a second (laps, pauses): sorted, the first of a second kept;
- altitude sentinels (-500 m, or 0 m before the first barometric/GPS fix): interpolated;
- no altitude at all (foot-pod watches, phone apps): a flat profile, altitude 0 m (grade 0);
- position jumps and speed spikes no runner can make: removed (speed is then derived from the
  positions around them, as for files without speed).
"""

from __future__ import annotations

import polars as pl

from assets.sources.geo import haversine_m

# A gap longer than this inside one activity is a clock jump or two runs in one recording,
# never a pause a model could bridge (the longest real pause seen is 80 minutes).
MAX_GAP_S = 3 * 3600
# Below the Dead Sea shore (-430 m) no one runs: lower altitudes are device sentinels (-500 m).
MIN_ALTITUDE_M = -450.0
# Zeros before the first fix are a placeholder when the first real altitude is farther off.
LEADING_ZERO_TOLERANCE_M = 20.0
# Faster than any sprinter (44.7 km/h) is a speed spike; a position jump implies far more.
MAX_SPEED_KMH = 45.0
MAX_POSITION_SPEED_KMH = 100.0
FLAT_NOTE = "no altitude in any sample: flat profile (altitude 0 m, grade 0)"


def keep_longest_stretch(series: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The longest run of samples (file order) between clock jumps of more than MAX_GAP_S,
    forwards or backwards; the note says what was cut."""
    if series.height < 2:
        return series, []
    jump = series["timestamp"].diff().abs().fill_null(0) > MAX_GAP_S
    if not jump.any():
        return series, []
    part = jump.cum_sum()
    sizes = part.value_counts(sort=True)
    kept = sizes[0, 0]
    hours = [round(float(h) / 3600, 1) for h in series["timestamp"].diff().filter(jump)]
    out = series.filter(part == kept)
    note = (
        f"clock jumps by {', '.join(f'{h:+} h' for h in hours)}: kept the longest stretch, "
        f"{out.height} of {series.height} samples"
    )
    return out, [note]


def one_instant_per_sample(series: pl.DataFrame) -> pl.DataFrame:
    """Samples in time order, one per second: the grid's as-of join and the gates need a sorted
    clock, and devices repeat a second at lap and pause boundaries (the first is kept)."""
    return series.unique("timestamp", keep="first", maintain_order=True).sort("timestamp")


def repair_altitude(series: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Sentinel altitudes interpolated from their neighbours; no altitude at all: 0 m."""
    altitude = series["altitude"]
    if altitude.is_null().all():
        return series.with_columns(altitude=pl.lit(0.0, altitude.dtype)), [FLAT_NOTE]
    real = altitude.filter(altitude.ne(0) & (altitude >= MIN_ALTITUDE_M))
    before_fix = altitude.fill_null(0).eq(0).cum_min()  # the leading zeros (and nulls)
    leading = len(real) > 0 and abs(real[0]) > LEADING_ZERO_TOLERANCE_M
    bad = ((altitude < MIN_ALTITUDE_M) | (before_fix & altitude.eq(0) & leading)).fill_null(False)
    count = int(bad.sum())
    if count == altitude.count():
        return series.with_columns(altitude=pl.lit(0.0, altitude.dtype)), [FLAT_NOTE]
    kept = pl.when(bad).then(None).otherwise(pl.col("altitude"))
    repaired = kept.interpolate().fill_null(strategy="backward").fill_null(strategy="forward")
    notes = [f"{count} altitude glitches (0 m before the fix, or below {MIN_ALTITUDE_M:.0f} m)"]
    return series.with_columns(altitude=repaired), notes if count else []


def drop_impossible_motion(series: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Speeds over MAX_SPEED_KMH nulled; a position reached faster than
    MAX_POSITION_SPEED_KMH nulled (a spike out and back loses only its tip). Only one-point
    excursions are told apart: an excursion of several points loses its first point and its
    return point, the rest stay (the speed gate then judges the run)."""
    spikes = (series["speed"] > MAX_SPEED_KMH).fill_null(False)
    positioned = series.with_row_index("i").filter(pl.col("latitude").is_not_null())
    fast = positioned.select(
        "i",
        fast=(
            haversine_m("latitude", "longitude") / pl.col("timestamp").diff() * 3.6
            > MAX_POSITION_SPEED_KMH
        ).fill_null(False),
    )
    fast = fast.with_columns(back=pl.col("fast").shift(-1, fill_value=False))
    spike_tip = fast["fast"] & fast["back"]
    # the point after a tip arrives fast too, but it is the return to the track: keep it
    jumped = spike_tip | (fast["fast"] & ~spike_tip.shift(1, fill_value=False))
    bad_points = fast["i"].filter(jumped)
    jumps = pl.int_range(pl.len()).is_in(bad_points.implode())
    out = series.with_columns(
        speed=pl.when(spikes).then(None).otherwise(pl.col("speed")),
        latitude=pl.when(jumps).then(None).otherwise(pl.col("latitude")),
        longitude=pl.when(jumps).then(None).otherwise(pl.col("longitude")),
    )
    notes = [f"{int(spikes.sum())} speed spikes over {MAX_SPEED_KMH:.0f} km/h"] * bool(spikes.any())
    notes += [f"{len(bad_points)} position jumps"] * bool(len(bad_points))
    return out, notes


def clean_series(series: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """One activity's samples (ACTIVITY_SERIES, file order) cleaned as module doc says, with
    notes on what was changed; dtypes are kept."""
    schema = series.schema
    series, notes = keep_longest_stretch(series)
    series = one_instant_per_sample(series)
    if series.height == 0:
        return series, notes
    series, altitude_notes = repair_altitude(series)
    series, motion_notes = drop_impossible_motion(series)
    return series.cast(dict(schema)), notes + altitude_notes + motion_notes
