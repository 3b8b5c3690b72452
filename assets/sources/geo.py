"""Speed from positions, for sources that do not record it (shared by every source)."""

import polars as pl

EARTH_RADIUS_M = 6_371_008.8
SPEED_WINDOW_STEPS = 5


def haversine_m(lat: str, lon: str) -> pl.Expr:
    """Great-circle distance from the previous point of the frame (null for the first)."""
    phi, lam = pl.col(lat).radians(), pl.col(lon).radians()
    cos_phi = phi.cos()  # once: the previous point's is its shift
    a = ((phi - phi.shift()) / 2).sin() ** 2 + cos_phi * cos_phi.shift() * (
        (lam - lam.shift()) / 2
    ).sin() ** 2
    return 2 * EARTH_RADIUS_M * a.sqrt().arcsin()


def trailing_speed_kmh(
    lat: str, lon: str, seconds: str, steps: int = SPEED_WINDOW_STEPS
) -> pl.Expr:
    """km/h over the last `steps` steps (distance covered / time taken), from the past only:
    inputs must never see the future. Null at the first point. Use `.over(workout)` for many."""
    distance = haversine_m(lat, lon).fill_null(0).rolling_sum(steps, min_samples=1)
    t = pl.col(seconds)
    elapsed = t - t.shift(steps).fill_null(t.first())
    return pl.when(elapsed > 0).then(distance / elapsed * 3.6)
