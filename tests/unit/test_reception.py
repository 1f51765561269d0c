"""POLICY §3: how and when a case is taken, by severity and time of reception."""

from __future__ import annotations

import datetime as dt

import pytest

from support_rules.calendar import BusinessCalendar
from support_rules.reception import Reception, decide_reception
from tests.unit.helpers import NINE_HOURS, jst

INSIDE = jst(2026, 11, 24, 10, 0)  # Tuesday, business hours
OUTSIDE_EVENING = jst(2026, 11, 24, 20, 0)  # Tuesday evening -> Wed 09:00
OUTSIDE = [
    pytest.param(OUTSIDE_EVENING, jst(2026, 11, 25, 9), id="weekday evening"),
    pytest.param(jst(2026, 11, 24, 7, 0), jst(2026, 11, 24, 9), id="weekday early morning"),
    pytest.param(jst(2026, 11, 28, 14, 0), jst(2026, 11, 30, 9), id="saturday"),
    pytest.param(jst(2026, 11, 23, 11, 0), jst(2026, 11, 24, 9), id="national holiday"),
    pytest.param(jst(2026, 12, 30, 11, 0), jst(2027, 1, 4, 9), id="closing day"),
]


# --- severity A ---------------------------------------------------------------


@pytest.mark.parametrize("reachable", [True, False, None])
def test_a_inside_hours_is_phone_now_whatever_reachability(calendar: BusinessCalendar, reachable):
    r = decide_reception("A", INSIDE, calendar, phone_reachable=reachable)
    assert (r.route, r.when, r.starts_at) == ("phone", "now", None)
    assert r.severity == "A"
    assert r.downgraded is False
    assert r.inside_hours is True
    assert r.phone_condition_pending is False


@pytest.mark.parametrize(("received", "_opening"), OUTSIDE)
def test_a_outside_hours_reachable_is_phone_now_not_downgraded(
    calendar: BusinessCalendar, received: dt.datetime, _opening: dt.datetime
):
    r = decide_reception("A", received, calendar, phone_reachable=True)
    assert (r.route, r.when, r.starts_at) == ("phone", "now", None)
    assert r.severity == "A"
    assert r.downgraded is False
    assert r.inside_hours is False
    assert r.phone_condition_pending is False


@pytest.mark.parametrize(("received", "opening"), OUTSIDE)
def test_a_outside_hours_not_reachable_is_downgraded_to_b_next_business_day(
    calendar: BusinessCalendar, received: dt.datetime, opening: dt.datetime
):
    r = decide_reception("A", received, calendar, phone_reachable=False)
    assert r.severity == "B"
    assert r.downgraded is True
    assert (r.route, r.when) == ("online", "next_business_day")
    assert r.starts_at == opening
    assert r.starts_at.utcoffset() == NINE_HOURS
    assert r.inside_hours is False
    assert r.phone_condition_pending is False


@pytest.mark.parametrize(("received", "_opening"), OUTSIDE)
def test_a_outside_hours_reachability_unknown_keeps_phone_and_flags_condition(
    calendar: BusinessCalendar, received: dt.datetime, _opening: dt.datetime
):
    r = decide_reception("A", received, calendar, phone_reachable=None)
    assert (r.route, r.when, r.starts_at) == ("phone", "now", None)
    assert r.severity == "A"
    assert r.downgraded is False
    assert r.phone_condition_pending is True


def test_a_outside_hours_default_reachability_is_unknown(calendar: BusinessCalendar):
    r = decide_reception("A", OUTSIDE_EVENING, calendar)
    assert r.route == "phone"
    assert r.phone_condition_pending is True


# --- severity B, C and unknown ------------------------------------------------------


@pytest.mark.parametrize("severity", ["B", "C", None])
def test_non_a_inside_hours_is_phone_or_online_now(calendar: BusinessCalendar, severity):
    r = decide_reception(severity, INSIDE, calendar)
    assert (r.route, r.when, r.starts_at) == ("phone_or_online", "now", None)
    assert r.severity == severity
    assert r.downgraded is False
    assert r.inside_hours is True
    assert r.phone_condition_pending is False


@pytest.mark.parametrize("severity", ["B", "C", None])
@pytest.mark.parametrize(("received", "opening"), OUTSIDE)
def test_non_a_outside_hours_is_online_next_business_day(
    calendar: BusinessCalendar, severity, received: dt.datetime, opening: dt.datetime
):
    r = decide_reception(severity, received, calendar)
    assert (r.route, r.when) == ("online", "next_business_day")
    assert r.starts_at == opening
    assert r.severity == severity
    assert r.downgraded is False
    assert r.inside_hours is False
    assert r.phone_condition_pending is False


@pytest.mark.parametrize("reachable", [True, False])
def test_phone_reachability_does_not_change_b_outside_hours(calendar: BusinessCalendar, reachable):
    r = decide_reception("B", OUTSIDE_EVENING, calendar, phone_reachable=reachable)
    assert r.route == "online"
    assert r.severity == "B"
    assert r.downgraded is False


def test_friday_evening_b_starts_monday(calendar: BusinessCalendar):
    r = decide_reception("B", jst(2026, 11, 27, 18, 0), calendar)
    assert r.starts_at == jst(2026, 11, 30, 9)


def test_year_end_c_starts_january_4(calendar: BusinessCalendar):
    r = decide_reception("C", jst(2026, 12, 28, 18, 0), calendar)
    assert r.starts_at == jst(2027, 1, 4, 9)


def test_boundary_1730_is_outside(calendar: BusinessCalendar):
    assert decide_reception("B", jst(2026, 11, 24, 17, 30), calendar).route == "online"
    assert decide_reception("B", jst(2026, 11, 24, 17, 29, 59), calendar).route == "phone_or_online"


# --- as_dict -------------------------------------------------------------------


def test_as_dict_when_handled_now(calendar: BusinessCalendar):
    assert decide_reception("A", INSIDE, calendar).as_dict() == {
        "route": "phone",
        "when": "now",
        "starts_at": None,
    }


def test_as_dict_next_business_day_gives_iso_jst(calendar: BusinessCalendar):
    d = decide_reception("B", OUTSIDE_EVENING, calendar).as_dict()
    assert d == {
        "route": "online",
        "when": "next_business_day",
        "starts_at": "2026-11-25T09:00:00+09:00",
    }
    assert dt.datetime.fromisoformat(d["starts_at"]) == jst(2026, 11, 25, 9)


def test_reception_is_immutable(calendar: BusinessCalendar):
    r: Reception = decide_reception("B", INSIDE, calendar)
    with pytest.raises(AttributeError):
        r.route = "phone"  # type: ignore[misc]
