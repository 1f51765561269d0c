"""Japanese formatting of dates, times and closing-day lists for customer messages."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

WEEKDAYS = "月火水木金土日"


def format_date(day: dt.date, reference: dt.date | None = None) -> str:
    """``11月30日（月）``; the year is added when it differs from ``reference``'s."""
    text = f"{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"
    if reference is not None and reference.year != day.year:
        text = f"{day.year}年" + text
    return text


def format_time(moment: dt.time | dt.datetime) -> str:
    """``9:00``, ``17:30``."""
    return f"{moment.hour}:{moment.minute:02d}"


def format_datetime(moment: dt.datetime, reference: dt.date | None = None) -> str:
    """``11月30日（月）9:00``."""
    return f"{format_date(moment.date(), reference)}{format_time(moment)}"


def closing_days_text(month_days: Iterable[tuple[int, int]]) -> str:
    """Recurring closing days as ranges, e.g. ``12月29日〜1月3日``.

    Consecutive days are merged into one range, across month ends and across the
    new year (12/31 → 1/1).
    """
    days = sorted(set(month_days))
    if not days:
        return "なし"

    def ordinal(md: tuple[int, int]) -> int:
        return dt.date(2024, md[0], md[1]).toordinal()  # a leap year holds every MM-DD

    ranges: list[list[tuple[int, int]]] = [[days[0]]]
    for md in days[1:]:
        if ordinal(md) == ordinal(ranges[-1][-1]) + 1:
            ranges[-1].append(md)
        else:
            ranges.append([md])
    if len(ranges) > 1 and ranges[0][0] == (1, 1) and ranges[-1][-1] == (12, 31):
        ranges.append(ranges.pop() + ranges.pop(0))  # the year-end run continues into January

    def label(md: tuple[int, int]) -> str:
        return f"{md[0]}月{md[1]}日"

    parts = [label(r[0]) if len(r) == 1 else f"{label(r[0])}〜{label(r[-1])}" for r in ranges]
    return "、".join(parts)
