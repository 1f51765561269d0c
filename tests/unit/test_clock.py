"""The desk's "now": Asia/Tokyo, frozen by DESK_NOW."""

from __future__ import annotations

import datetime as dt

import pytest

from support_rules import clock
from tests.unit.helpers import JST, NINE_HOURS, UTC, jst


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-24T10:00:00",  # no offset: desk-local time
        "2026-11-24T10:00",
        "2026-11-24 10:00:00",
        "2026-11-24T10:00:00+09:00",
        "2026-11-24T01:00:00+00:00",
        "2026-11-24T01:00:00Z",
        "2026-11-24T01:00:00z",
        "2026-11-23T20:00:00-05:00",
        "  2026-11-24T10:00:00  ",
    ],
)
def test_desk_now_is_parsed_into_jst(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv("DESK_NOW", value)
    now = clock.now()
    assert now == jst(2026, 11, 24, 10, 0)
    assert now.utcoffset() == NINE_HOURS
    assert (now.hour, now.minute) == (10, 0)


def test_desk_now_keeps_seconds_and_fractions(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DESK_NOW", "2026-12-28T17:29:59.500000Z")
    assert clock.now() == dt.datetime(2026, 12, 29, 2, 29, 59, 500000, tzinfo=JST)


def test_desk_now_in_another_zone(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DESK_NOW", "2026-11-24T10:00:00+09:00")
    now = clock.now(UTC)
    assert now.utcoffset() == dt.timedelta(0)
    assert (now.hour, now.minute) == (1, 0)


def test_invalid_desk_now_raises(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DESK_NOW", "tomorrow morning")
    with pytest.raises(ValueError):
        clock.now()


@pytest.mark.parametrize("value", [None, "", "   "])
def test_without_desk_now_the_real_clock_is_used(monkeypatch: pytest.MonkeyPatch, value):
    if value is None:
        monkeypatch.delenv("DESK_NOW", raising=False)
    else:
        monkeypatch.setenv("DESK_NOW", value)
    before = dt.datetime.now(UTC)
    now = clock.now()
    after = dt.datetime.now(UTC)
    assert before <= now <= after
    assert now.utcoffset() == NINE_HOURS


def test_parse_instant_naive_uses_the_given_zone():
    parsed = clock.parse_instant("2026-11-24T10:00:00", tz=UTC)
    assert parsed == dt.datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_parse_instant_default_zone_is_tokyo():
    assert clock.JST.key == "Asia/Tokyo"
    assert clock.parse_instant("2026-11-24T10:00:00") == jst(2026, 11, 24, 10)
