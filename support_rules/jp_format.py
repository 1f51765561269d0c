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

    Consecutive days (across the new year too) are merged into one range.
    """
    days = sorted(set(month_days))
    if not days:
        return "なし"
    # Lay the days out on a calendar year that starts in July so that year-end
    # runs (12/29 → 1/3) are consecutive.
    def ordinal(md: tuple[int, int]) -> int:
        month, day = md
        year = 2023 if month >= 7 else 2024
        return dt.date(year, month, day).toordinal()

    ordered = sorted(days, key=ordinal)
    ranges: list[list[tuple[int, int]]] = [[ordered[0]]]
    for md in ordered[1:]:
        if ordinal(md) == ordinal(ranges[-1][-1]) + 1:
            ranges[-1].append(md)
        else:
            ranges.append([md])

    def label(md: tuple[int, int]) -> str:
        return f"{md[0]}月{md[1]}日"

    parts = [label(r[0]) if len(r) == 1 else f"{label(r[0])}〜{label(r[-1])}" for r in ranges]
    return "、".join(parts)
