"""Dates and times in WhatsApp headers: which order a file's dates are in, and what they mean.

Neither Android nor iOS says whether ``01/02/23`` is the first of February or the second of
January; the locale decides. The whole file usually tells, so the order is inferred from every
distinct date in it, unless the user forces one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from itertools import pairwise

from twin.errors import BadInput
from twin.importers.base import DateOrder

_DIGITS = re.compile(r"\d+")


def clock_of(text: str) -> tuple[timedelta, str | None]:
    """Time of day from a header's time text (``9:41 PM``, ``21:41:05``, ``9:41 p. m.``).

    Never refuses: an odd time is read the most plausible way, and the second value says how
    (None for a regular time). Called once per distinct time text.
    """
    fields = _DIGITS.findall(text)
    hour, minute = int(fields[0]), int(fields[1])
    second = int(fields[2]) if len(fields) > 2 else 0
    meridiem = text[len(text.rstrip("AaPpMm. \u00a0\u202f")) :].lower()
    how: str | None = None
    if meridiem:
        if hour == 0:
            how = "hour 00 in a 12-hour clock read as 12 (midnight or noon)"
        elif hour > 12 and hour <= 23:
            how = "24-hour time with an AM/PM marker read as 24-hour, marker ignored"
        if 1 <= hour <= 12 or hour == 0:
            hour = hour % 12 + (12 if "p" in meridiem else 0)
    if hour == 24 and minute == 0 and second == 0 and not meridiem:
        how = "24:00 read as midnight at the end of the day"
    elif hour > 23 or minute > 59 or second > 59:
        how = "impossible time read as the nearest possible one"
        hour, minute, second = min(hour, 23), min(minute, 59), min(second, 59)
    return timedelta(seconds=hour * 3600 + minute * 60 + second), how


def date_fields(date: str) -> tuple[str, str, str]:
    """The three digit groups of a date text, as written."""
    first, second, third = _DIGITS.findall(date)
    return first, second, third


def infer_order(date_lines: dict[str, int]) -> DateOrder:
    """The date order a whole file implies: by field ranges, then by time running forward."""
    dates = [date_fields(date) for date in date_lines]
    if any(len(first) > 2 for first, _, _ in dates):
        return "ymd"
    if any(int(first) > 12 for first, _, _ in dates):
        return "dmy"
    if any(int(second) > 12 for _, second, _ in dates):
        return "mdy"

    def backward_steps(order: DateOrder) -> int:
        keys = [_key(fields, order) for fields in dates]
        return sum(1 for a, b in pairwise(keys) if b < a)

    # Distinct dates in the order they first appear: their order shows which reading is right.
    return min(("dmy", "mdy"), key=backward_steps)


def _key(fields: tuple[str, str, str], order: DateOrder) -> tuple[int, int, int]:
    first, second, third = (int(field) for field in fields)
    if order == "dmy":
        return third, second, first
    if order == "mdy":
        return third, first, second
    return first, second, third


def resolve_date(date: str, order: DateOrder, label: str, number: int) -> tuple[int, int, int]:
    """``(year, month, day)`` for a date text, or `BadInput` naming its first line."""
    fields = date_fields(date)
    year, month, day = _key(fields, order)
    year_text = fields[0] if order == "ymd" else fields[2]
    if len(year_text) <= 2:
        year += 2000
    try:
        datetime(year, month, day)
    except ValueError:
        raise BadInput(
            label, f"impossible date {date!r} when read as {order} (day, month, year order)", number
        ) from None
    return year, month, day


def resolve_dates(
    date_lines: dict[str, int], order: DateOrder, forced: bool, label: str
) -> tuple[dict[str, datetime], dict[str, str]]:
    """Every distinct date text as a day, and how each odd one was read.

    Under an order the user forced, an impossible date is an error naming its line. Under an
    inferred order one odd date must not cost the file: it is read day-first or month-first
    (whichever the file's order is not) where that gives a real day, else as the day of the date
    before it in the file.
    """
    days: dict[str, datetime] = {}
    odd: dict[str, str] = {}
    previous: datetime | None = None
    for date, number in date_lines.items():  # in the order dates first appear
        day: datetime | None
        try:
            day = datetime(*resolve_date(date, order, label, number))
        except BadInput:
            if forced:
                raise
            day = None
            # Year first only where the year is written first: "31/02/23" is no day of 2031.
            others: tuple[DateOrder, ...] = (
                ("dmy", "mdy") if len(date_fields(date)[0]) <= 2 else ("ymd",)
            )
            for other in others:
                if other == order:
                    continue
                try:
                    day = datetime(*resolve_date(date, other, label, number))
                except BadInput:
                    continue
                odd[date] = f"impossible date read in {other} order instead"
                break
            if day is None:
                day = previous or datetime(2000, 1, 1)
                odd[date] = "impossible date read as the date before it"
        days[date] = day
        previous = day
    return days, odd
