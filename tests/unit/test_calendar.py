"""POLICY §1: business hours, weekends, national holidays, closing days, next opening."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from support_rules.calendar import BusinessCalendar
from support_rules.settings import parse_config
from tests.unit.helpers import JST, NINE_HOURS, UTC, jst

D = dt.date

# --- business hours -------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (jst(2026, 11, 24, 0, 0, 0), False),
        (jst(2026, 11, 24, 8, 59, 59), False),
        (jst(2026, 11, 24, 9, 0, 0), True),
        (jst(2026, 11, 24, 12, 0, 0), True),
        (jst(2026, 11, 24, 17, 29, 59), True),
        (jst(2026, 11, 24, 17, 30, 0), False),
        (jst(2026, 11, 24, 23, 59, 59), False),
    ],
    ids=["00:00", "08:59:59", "09:00", "12:00", "17:29:59", "17:30", "23:59:59"],
)
def test_business_hours_edges_on_a_tuesday(calendar: BusinessCalendar, moment: dt.datetime, is_open: bool):
    assert calendar.is_business_day(D(2026, 11, 24))
    assert calendar.is_business_hours(moment) is is_open


def test_last_microsecond_before_closing_is_open(calendar: BusinessCalendar):
    assert calendar.is_business_hours(dt.datetime(2026, 11, 24, 17, 29, 59, 999999, tzinfo=JST))


@pytest.mark.parametrize("day", [D(2026, 11, 28), D(2026, 11, 29)], ids=["saturday", "sunday"])
def test_weekends_are_closed(calendar: BusinessCalendar, day: dt.date):
    assert not calendar.is_business_day(day)
    assert calendar.closed_reason(day) == "weekend"
    assert not calendar.is_business_hours(dt.datetime.combine(day, dt.time(10, 0), tzinfo=JST))


@pytest.mark.parametrize(
    "day",
    [D(2026, 11, 24), D(2026, 11, 25), D(2026, 11, 26), D(2026, 11, 27)],
    ids=["tue", "wed", "thu", "fri"],
)
def test_plain_weekdays_are_business_days(calendar: BusinessCalendar, day: dt.date):
    assert calendar.closed_reason(day) is None
    assert calendar.is_business_day(day)


# --- national holidays ----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2026, 11, 23), "勤労感謝の日"),
        (D(2027, 2, 11), "建国記念の日"),
        (D(2026, 5, 6), "振替休日"),  # substitute for 5/3 (Sunday)
        (D(2027, 3, 22), "振替休日"),  # substitute for 春分の日 3/21 (Sunday)
        (D(2026, 9, 22), "国民の休日"),  # citizens' holiday between 9/21 and 9/23
        (D(2026, 1, 12), "成人の日"),
        (D(2027, 11, 23), "勤労感謝の日"),
    ],
)
def test_national_holidays_are_closed(calendar: BusinessCalendar, day: dt.date, name: str):
    assert day.weekday() < 5, "the test date must be a weekday to prove the holiday rule"
    assert calendar.holiday_name(day) == name
    assert calendar.closed_reason(day) == "holiday"
    assert not calendar.is_business_day(day)
    assert not calendar.is_business_hours(dt.datetime.combine(day, dt.time(10, 0), tzinfo=JST))


@pytest.mark.parametrize("day", [D(2026, 5, 7), D(2026, 9, 24), D(2027, 3, 23), D(2026, 11, 24)])
def test_days_right_after_holidays_are_business_days(calendar: BusinessCalendar, day: dt.date):
    assert calendar.holiday_name(day) is None
    assert calendar.is_business_day(day)


# --- company closing days (12/29 – 1/3) -------------------------------------------

YEAR_END_2026 = [D(2026, 12, 29), D(2026, 12, 30), D(2026, 12, 31), D(2027, 1, 1), D(2027, 1, 2), D(2027, 1, 3)]
YEAR_END_2027 = [D(2027, 12, 29), D(2027, 12, 30), D(2027, 12, 31), D(2028, 1, 1), D(2028, 1, 2), D(2028, 1, 3)]


@pytest.mark.parametrize("day", YEAR_END_2026 + YEAR_END_2027, ids=str)
def test_each_year_end_closing_day_is_closed(calendar: BusinessCalendar, day: dt.date):
    assert calendar.is_company_closing_day(day)
    assert not calendar.is_business_day(day)
    assert not calendar.is_business_hours(dt.datetime.combine(day, dt.time(10, 0), tzinfo=JST))


@pytest.mark.parametrize(
    "day",
    [D(2026, 12, 29), D(2026, 12, 30), D(2026, 12, 31), D(2027, 12, 29), D(2027, 12, 30), D(2028, 1, 3)],
    ids=str,
)
def test_weekday_closing_days_report_closing_day(calendar: BusinessCalendar, day: dt.date):
    # weekdays that are neither weekend nor national holiday: only the company rule closes them
    assert day.weekday() < 5
    assert calendar.holiday_name(day) is None
    assert calendar.closed_reason(day) == "closing_day"


@pytest.mark.parametrize("day", [D(2026, 12, 28), D(2027, 1, 4), D(2027, 12, 28), D(2028, 1, 4)], ids=str)
def test_days_around_the_closing_period_are_business_days(calendar: BusinessCalendar, day: dt.date):
    assert day.weekday() < 5
    assert not calendar.is_company_closing_day(day)
    assert calendar.is_business_day(day)
    assert calendar.is_business_hours(dt.datetime.combine(day, dt.time(9, 0), tzinfo=JST))


# --- configuration overrides ----------------------------------------------------


def test_extra_closing_day_from_config(raw: dict[str, Any], calendar: BusinessCalendar):
    assert calendar.is_business_day(D(2026, 11, 25))  # default: an ordinary Wednesday
    raw["closing_days"]["extra"] = ["2026-11-25"]
    custom = BusinessCalendar(parse_config(raw))
    assert custom.closed_reason(D(2026, 11, 25)) == "closing_day"
    assert not custom.is_business_hours(jst(2026, 11, 25, 10))
    assert custom.next_opening(jst(2026, 11, 24, 18)) == jst(2026, 11, 26, 9)
    # the year after is not affected by a one-off date
    assert custom.is_business_day(D(2027, 11, 25))


def test_open_exception_reopens_a_recurring_closing_day(raw: dict[str, Any]):
    raw["closing_days"]["open_exceptions"] = ["2026-12-29"]
    custom = BusinessCalendar(parse_config(raw))
    assert custom.is_business_day(D(2026, 12, 29))
    assert custom.is_business_hours(jst(2026, 12, 29, 10))
    assert custom.next_opening(jst(2026, 12, 28, 18)) == jst(2026, 12, 29, 9)
    # only that one date re-opens
    assert not custom.is_business_day(D(2026, 12, 30))
    assert not custom.is_business_day(D(2027, 12, 29))


def test_open_exception_does_not_reopen_a_national_holiday(raw: dict[str, Any]):
    raw["closing_days"]["open_exceptions"] = ["2027-01-01"]
    custom = BusinessCalendar(parse_config(raw))
    assert not custom.is_company_closing_day(D(2027, 1, 1))
    assert custom.closed_reason(D(2027, 1, 1)) == "holiday"


def test_removing_a_recurring_closing_day(raw: dict[str, Any]):
    raw["closing_days"]["recurring"] = ["12-29", "12-30", "12-31", "01-01", "01-02"]
    custom = BusinessCalendar(parse_config(raw))
    assert custom.is_business_day(D(2028, 1, 3))  # Monday, no longer closed
    assert custom.next_opening(jst(2027, 12, 28, 18)) == jst(2028, 1, 3, 9)


def test_configured_business_hours_are_used(raw: dict[str, Any]):
    raw["business_hours"] = {"start": "10:00", "end": "18:00"}
    custom = BusinessCalendar(parse_config(raw))
    assert not custom.is_business_hours(jst(2026, 11, 24, 9, 30))
    assert custom.is_business_hours(jst(2026, 11, 24, 17, 45))
    assert custom.next_opening(jst(2026, 11, 24, 8)) == jst(2026, 11, 24, 10)


def test_an_endless_closure_is_reported(raw: dict[str, Any]):
    start = D(2026, 6, 1)
    raw["closing_days"]["extra"] = [(start + dt.timedelta(days=i)).isoformat() for i in range(90)]
    custom = BusinessCalendar(parse_config(raw))
    with pytest.raises(RuntimeError):
        custom.next_business_day_after(D(2026, 5, 31))


# --- next opening ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        pytest.param(jst(2026, 11, 24, 0, 0), jst(2026, 11, 24, 9), id="midnight business day -> same day"),
        pytest.param(jst(2026, 11, 24, 7, 30), jst(2026, 11, 24, 9), id="before 09:00 -> same day"),
        pytest.param(jst(2026, 11, 24, 8, 59, 59), jst(2026, 11, 24, 9), id="08:59:59 -> same day"),
        pytest.param(jst(2026, 11, 24, 17, 30), jst(2026, 11, 25, 9), id="17:30 -> next day"),
        pytest.param(jst(2026, 11, 24, 23, 59), jst(2026, 11, 25, 9), id="late evening -> next day"),
        pytest.param(jst(2026, 11, 27, 18, 0), jst(2026, 11, 30, 9), id="friday evening -> monday"),
        pytest.param(jst(2026, 11, 28, 8, 0), jst(2026, 11, 30, 9), id="saturday morning -> monday"),
        pytest.param(jst(2026, 11, 29, 12, 0), jst(2026, 11, 30, 9), id="sunday noon -> monday"),
        pytest.param(jst(2026, 11, 20, 18, 0), jst(2026, 11, 24, 9), id="friday before monday holiday -> tue"),
        pytest.param(jst(2026, 11, 23, 8, 0), jst(2026, 11, 24, 9), id="holiday morning -> next day"),
        pytest.param(jst(2026, 12, 28, 18, 0), jst(2027, 1, 4, 9), id="12/28 evening -> 1/4"),
        pytest.param(jst(2026, 12, 31, 10, 0), jst(2027, 1, 4, 9), id="12/31 daytime -> 1/4"),
        pytest.param(jst(2026, 5, 1, 18, 0), jst(2026, 5, 7, 9), id="golden week -> 5/7"),
        pytest.param(jst(2026, 9, 18, 18, 0), jst(2026, 9, 24, 9), id="silver week -> 9/24"),
        pytest.param(jst(2027, 3, 19, 18, 0), jst(2027, 3, 23, 9), id="substitute monday -> tue"),
    ],
)
def test_next_opening(calendar: BusinessCalendar, received: dt.datetime, expected: dt.datetime):
    opening = calendar.next_opening(received)
    assert opening == expected
    assert opening.utcoffset() == NINE_HOURS
    assert (opening.hour, opening.minute, opening.second) == (9, 0, 0)
    assert calendar.is_business_hours(opening)


def test_next_opening_inside_hours_is_the_moment_itself(calendar: BusinessCalendar):
    moment = jst(2026, 11, 24, 10, 15, 30)
    assert calendar.next_opening(moment) == moment
    assert calendar.next_opening(jst(2026, 11, 24, 9, 0)) == jst(2026, 11, 24, 9, 0)
    assert calendar.next_opening(jst(2026, 11, 24, 17, 29, 59)) == jst(2026, 11, 24, 17, 29, 59)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 11, 24), D(2026, 11, 25)),
        (D(2026, 11, 27), D(2026, 11, 30)),
        (D(2026, 11, 20), D(2026, 11, 24)),
        (D(2026, 12, 28), D(2027, 1, 4)),
        (D(2026, 4, 30), D(2026, 5, 1)),
        (D(2026, 5, 1), D(2026, 5, 7)),
    ],
)
def test_next_business_day_after_is_strictly_after(calendar: BusinessCalendar, day: dt.date, expected: dt.date):
    assert calendar.next_business_day_after(day) == expected


# --- time zones -----------------------------------------------------------------


def test_utc_datetime_equal_to_10_jst_is_inside_hours(calendar: BusinessCalendar):
    moment = dt.datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 10:00 JST
    assert calendar.is_business_hours(moment)
    assert calendar.local(moment) == jst(2026, 11, 24, 10)
    assert calendar.local(moment).utcoffset() == NINE_HOURS


def test_utc_evening_of_a_business_day_is_judged_in_jst(calendar: BusinessCalendar):
    moment = dt.datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 19:00 JST
    assert not calendar.is_business_hours(moment)
    assert calendar.next_opening(moment) == jst(2026, 11, 25, 9)


def test_utc_1730_jst_is_closed(calendar: BusinessCalendar):
    assert not calendar.is_business_hours(dt.datetime(2026, 11, 24, 8, 30, tzinfo=UTC))


def test_foreign_zone_whose_date_differs_from_jst(calendar: BusinessCalendar):
    # Monday 2026-11-23 20:30 in New York (a JST holiday there) is Tuesday 10:30 in Tokyo.
    new_york = dt.datetime(2026, 11, 23, 20, 30, tzinfo=ZoneInfo("America/New_York"))
    assert calendar.is_business_hours(new_york)
    opening = calendar.next_opening(new_york)
    assert opening == jst(2026, 11, 24, 10, 30)
    assert opening.utcoffset() == NINE_HOURS


def test_naive_datetimes_are_read_as_jst(calendar: BusinessCalendar):
    assert calendar.is_business_hours(dt.datetime(2026, 11, 24, 10, 0))
    # 08:00 naive would be 17:00 JST if it were taken as UTC
    naive_early = dt.datetime(2026, 11, 24, 8, 0)
    assert not calendar.is_business_hours(naive_early)
    opening = calendar.next_opening(naive_early)
    assert opening == jst(2026, 11, 24, 9)
    assert opening.utcoffset() == NINE_HOURS
    assert calendar.local(naive_early).tzinfo == JST
