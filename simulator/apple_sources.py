"""Who wrote each record: the sourceName, sourceVersion and device attributes, by date.

Watch and phone software follow Apple's yearly September releases (watchOS 6 / iOS 13 in 2019,
both 26 from 2025). Each HKDevice object has its own memory address in real exports; a small
pool of addresses per month gives the same look without a per-record format call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from simulator.apple_config import AppleConfig

ADDRESSES = 16  # device addresses per month and source
RIGHT_QUOTE = "\u2019"  # typographic apostrophe, as in real sourceNames


def month_index(epoch: np.ndarray) -> np.ndarray:
    """Months since 1970-01 (UTC) of epoch seconds."""
    days = np.asarray(epoch, dtype=np.int64) // 86_400
    months = np.asarray(days, dtype="datetime64[D]").astype("datetime64[M]")
    return months.astype(np.int64)


def software(year: int, month: int, phone: bool) -> str:
    """watchOS/iOS version in use: a major release each September, point releases after."""
    season = year if month >= 9 else year - 1
    major = 26 if season >= 2025 else season - (2006 if phone else 2013)
    elapsed = (year * 12 + month) - (season * 12 + 9)
    minor, patch = elapsed // 3, elapsed % 3
    return f"{major}.{minor}" + (f".{patch}" if patch else "")


def _hardware(day: date, eras: tuple[tuple[date, str], ...]) -> str:
    return [hw for start, hw in eras if start <= day][-1]


@dataclass(frozen=True)
class Sources:
    """Attribute text `sourceName=.. sourceVersion=.. device=..` per (month, address) slot."""

    first_month: int
    watch: pl.Series
    phone: pl.Series
    watch_version: list[str]  # per month

    def pick(self, rng: np.random.Generator, epoch: np.ndarray, phone: bool = False) -> pl.Series:
        slot = (month_index(epoch) - self.first_month) * ADDRESSES
        slot = slot + rng.integers(0, ADDRESSES, len(slot))
        return (self.phone if phone else self.watch).gather(slot)

    def version(self, epoch: int) -> str:
        """The watch's software version at `epoch`."""
        return self.watch_version[int(month_index(np.array([epoch]))[0]) - self.first_month]


def make_sources(
    rng: np.random.Generator, name: str, first: date, last: date, config: AppleConfig
) -> Sources:
    """Slots cover a month either side of first..last: UTC can be a day off local dates."""
    first_month = (first.year - 1970) * 12 + first.month - 2
    n_months = (last.year - first.year) * 12 + last.month - first.month + 3
    watch, phone, watch_v = [], [], []
    watch_eras = tuple((e.start, e.hardware) for e in config.eras)
    for k in range(n_months):
        year, month = divmod(first_month + k, 12)
        day = date(1970 + year, month + 1, 1)
        watch_v.append(software(day.year, day.month, phone=False))
        kinds = (("Watch", watch_eras, watch), ("iPhone", config.phones, phone))
        for kind, hw_eras, texts in kinds:
            version = software(day.year, day.month, kind == "iPhone")
            label = "Apple Watch" if kind == "Watch" else "iPhone"
            for address in rng.integers(0x280000000, 0x2FFFFFFFF, ADDRESSES):
                device = (
                    f"&lt;&lt;HKDevice: 0x{address:09x}&gt;, name:{label}, "
                    f"manufacturer:Apple Inc., model:{kind}, "
                    f"hardware:{_hardware(day, hw_eras)}, software:{version}&gt;"
                )
                texts.append(
                    f'sourceName="{name}{RIGHT_QUOTE}s {label}" sourceVersion="{version}" '
                    f'device="{device}"'
                )
    return Sources(first_month, pl.Series(watch), pl.Series(phone), watch_v)
