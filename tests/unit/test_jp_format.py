"""Japanese formatting of dates, times and closing-day lists."""

from __future__ import annotations

import datetime as dt

import pytest

from support_rules.calendar import BusinessCalendar
from support_rules.jp_format import closing_days_text, format_date, format_datetime, format_time
from support_rules.settings import DeskConfig
from tests.unit.helpers import jst


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2026, 11, 30), "11月30日（月）"),
        (dt.date(2026, 12, 1), "12月1日（火）"),
        (dt.date(2026, 12, 2), "12月2日（水）"),
        (dt.date(2026, 12, 3), "12月3日（木）"),
        (dt.date(2026, 12, 4), "12月4日（金）"),
        (dt.date(2026, 12, 5), "12月5日（土）"),
        (dt.date(2026, 12, 6), "12月6日（日）"),
        (dt.date(2027, 1, 4), "1月4日（月）"),
    ],
)
def test_format_date_without_reference(day: dt.date, text: str):
    assert format_date(day) == text


def test_year_shown_only_when_it_differs_from_reference():
    assert format_date(dt.date(2027, 1, 4), dt.date(2027, 1, 2)) == "1月4日（月）"
    assert format_date(dt.date(2027, 1, 4), dt.date(2026, 12, 28)) == "2027年1月4日（月）"
    assert format_date(dt.date(2026, 12, 28), dt.date(2027, 1, 4)) == "2026年12月28日（月）"


@pytest.mark.parametrize(
    ("moment", "text"),
    [(dt.time(9, 0), "9:00"), (dt.time(17, 30), "17:30"), (dt.time(0, 5), "0:05"), (jst(2026, 11, 24, 9, 5), "9:05")],
)
def test_format_time(moment, text: str):
    assert format_time(moment) == text


def test_format_datetime():
    assert format_datetime(jst(2026, 11, 25, 9)) == "11月25日（水）9:00"
    assert format_datetime(jst(2026, 11, 25, 9), dt.date(2026, 11, 24)) == "11月25日（水）9:00"
    assert format_datetime(jst(2027, 1, 4, 9), dt.date(2026, 12, 28)) == "2027年1月4日（月）9:00"


def test_year_end_next_opening_is_shown_with_the_year(calendar: BusinessCalendar):
    received = jst(2026, 12, 28, 18, 0)
    opening = calendar.next_opening(received)
    assert format_datetime(opening, received.date()) == "2027年1月4日（月）9:00"


def test_default_closing_days_are_one_range(config: DeskConfig):
    assert closing_days_text(config.recurring_closing_days) == "12月29日〜1月3日"


@pytest.mark.parametrize(
    ("days", "text"),
    [
        ([], "なし"),
        ([(5, 1)], "5月1日"),
        ([(1, 3), (12, 29), (1, 1), (12, 31), (1, 2), (12, 30)], "12月29日〜1月3日"),
        ([(12, 29), (12, 29), (12, 30)], "12月29日〜12月30日"),
        ([(12, 29), (12, 31)], "12月29日、12月31日"),
        ([(8, 13), (8, 14), (8, 15), (12, 30), (12, 31), (1, 1)], "8月13日〜8月15日、12月30日〜1月1日"),
        ([(12, 31), (1, 1)], "12月31日〜1月1日"),
        ([(7, 1), (7, 2)], "7月1日〜7月2日"),
        ([(6, 29), (6, 30)], "6月29日〜6月30日"),
    ],
)
def test_closing_days_text(days, text: str):
    assert closing_days_text(days) == text


def test_closing_days_text_merges_june_30_and_july_1():
    assert closing_days_text([(6, 30), (7, 1)]) == "6月30日〜7月1日"
