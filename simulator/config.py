"""Simulator knobs. Defaults are tuned so the output matches published Endomondo statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

RUN = "run"


@dataclass(frozen=True)
class SportSpec:
    """One sport of the mix.

    Running ignores `speed_kmh`/`hrr_frac`: its pace and heart rate come from the user's VO2max.
    Other sports map the position within `speed_kmh` linearly onto `hrr_frac` (a fraction of the
    heart-rate reserve), a deliberately simple response since only running is modelled in depth.
    """

    name: str
    share: float
    speed_kmh: tuple[float, float]
    hrr_frac: tuple[float, float]
    minutes: tuple[float, float]
    max_grade: float  # steepest terrain the sport meets; 0 for water sports
    grade_slowdown: float  # relative speed loss per unit of uphill grade
    on_foot: bool  # has a step cadence a chest strap can lock onto


DEFAULT_SPORTS: tuple[SportSpec, ...] = (
    SportSpec(RUN, 0.43, (6.0, 20.0), (0.6, 0.9), (25, 140), 0.07, 3.0, True),
    SportSpec("bike", 0.27, (15.0, 35.0), (0.45, 0.8), (45, 150), 0.06, 8.0, False),
    SportSpec("bike (transport)", 0.07, (12.0, 25.0), (0.35, 0.6), (15, 45), 0.04, 8.0, False),
    SportSpec("mountain bike", 0.07, (8.0, 22.0), (0.55, 0.85), (45, 150), 0.12, 6.0, False),
    SportSpec("walk", 0.06, (3.5, 6.5), (0.2, 0.4), (30, 100), 0.06, 3.0, True),
    SportSpec("hiking", 0.03, (2.5, 6.0), (0.3, 0.6), (90, 240), 0.15, 4.0, True),
    SportSpec("cross-country skiing", 0.02, (8.0, 22.0), (0.6, 0.85), (45, 120), 0.08, 6.0, False),
    SportSpec("kayaking", 0.015, (5.0, 11.0), (0.4, 0.7), (45, 120), 0.0, 0.0, False),
    SportSpec("rowing", 0.015, (8.0, 16.0), (0.5, 0.8), (30, 90), 0.0, 0.0, False),
    SportSpec("orienteering", 0.02, (4.0, 14.0), (0.6, 0.88), (40, 100), 0.12, 4.0, True),
)


@dataclass(frozen=True)
class ArtifactRates:
    """Probability per workout that each sensor artifact occurs (at most once per kind)."""

    dropout: float = 0.004
    spike: float = 0.04
    flatline: float = 0.03
    cadence_lock: float = 0.03
    offset: float = 0.02
    out_of_range: float = 0.003

    def items(self) -> tuple[tuple[str, float], ...]:
        return tuple((name, getattr(self, name)) for name in ARTIFACT_KINDS)


ARTIFACT_KINDS = ("offset", "cadence_lock", "flatline", "spike", "dropout", "out_of_range")


def _epoch(year: int, month: int = 1, day: int = 1) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class SimulatorConfig:
    sports: tuple[SportSpec, ...] = DEFAULT_SPORTS
    speed_absent_share: float = 0.84
    # Real dumps hold rare lines cut short mid-write (FitRec: about 1 in 50,000). The default is
    # higher so every simulated file, the small sample included, exercises the quarantine.
    truncated_line_share: float = 0.003
    artifacts: ArtifactRates = field(default_factory=ArtifactRates)
    points_per_workout: int = 500
    mean_step_s: float = 8.0
    era_start: int = _epoch(2012)  # epoch seconds, UTC
    era_end: int = _epoch(2016, 12, 31)
    batch_size: int = 2000  # workouts simulated together; bounds memory for multi-GB files

    @property
    def sport_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sports)


SAMPLE_PRESET = {"users": 50, "workouts_per_user": 20}
