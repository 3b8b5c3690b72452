"""Apple's dates ('2019-06-01 07:12:58 +0200') read from their bytes, as UTC instants.

The format is fixed-width, so the digits sit at known places: they are checked and turned into
microseconds with integer arithmetic over all dates of a block at once. Only dates that are
plainly valid are read here (every field in range, the day within its month); the caller leaves
anything else to `records.apple_time`, whose answer for those is the one that counts.
"""

from __future__ import annotations

import numpy as np

DATE_BYTES = len("2019-06-01 07:12:58 +0200")
FIELDS = {  # name: (first byte, digits)
    "year": (0, 4),
    "month": (5, 2),
    "day": (8, 2),
    "hour": (11, 2),
    "minute": (14, 2),
    "second": (17, 2),
    "offset_hours": (21, 2),
    "offset_minutes": (23, 2),
}
SEPARATORS = {4: "-", 7: "-", 10: " ", 13: ":", 16: ":", 19: " "}
SEPARATOR_PLACES = list(SEPARATORS)
SEPARATOR_BYTES = np.frombuffer("".join(SEPARATORS.values()).encode(), np.uint8)
SIGN = 20
DIGITS = [first + i for first, count in FIELDS.values() for i in range(count)]
MONTH_DAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
MICROSECONDS = 1_000_000


def _numbers(digits: np.ndarray) -> list[np.ndarray]:
    """Each field's number, a column at a time (a matrix product would wake BLAS threads, which
    then spin on both cores)."""
    numbers = []
    for first, count in FIELDS.values():
        number = digits[:, first].astype(np.int64)
        for place in range(first + 1, first + count):
            number = number * 10 + digits[:, place]
        numbers.append(number)
    return numbers


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def apple_instants(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(UTC microseconds since the epoch, whether it was read) of each row of DATE_BYTES bytes."""
    digits = raw - np.uint8(ord("0"))  # anything but a digit wraps round to over 9
    read = (digits[:, DIGITS] <= 9).all(axis=1)
    read &= (raw[:, SEPARATOR_PLACES] == SEPARATOR_BYTES).all(axis=1)
    read &= (raw[:, SIGN] == ord("+")) | (raw[:, SIGN] == ord("-"))
    year, month, day, hour, minute, second, offset_hours, offset_minutes = _numbers(digits)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = MONTH_DAYS[np.clip(month, 0, 12)] - ((month == 2) & ~leap)
    read &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    read &= (hour < 24) & (minute < 60) & (second < 60) & (offset_minutes < 60)
    offset = np.where(raw[:, SIGN] == ord("-"), -1, 1) * (offset_hours * 60 + offset_minutes)
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return (seconds - offset * 60) * MICROSECONDS, read
