"""Business calendar: business hours, weekends, national holidays, closing days (POLICY §1)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

from support_rules.settings import DeskConfig

_MAX_SEARCH_DAYS = 60  # a run of closed days longer than this is a configuration error


@lru_cache(maxsize=32)
def _national_holidays(year: int) -> dict[dt.date, str]:
    # The holidays package includes substitute holidays (振替休日) and citizens'
    # holidays (国民の休日); names in Japanese.
    return dict(holidays.country_holidays("JP", years=year, language="ja"))


class BusinessCalendar:
    """Answers "is the desk open?" and "when does it open next?" in JST."""

    def __init__(self, config: DeskConfig) -> None:
        self.config = config
        self.tz = config.timezone

    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` in the desk's zone; a naive value is taken as desk-local."""
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def holiday_name(self, day: dt.date) -> str | None:
        """The national holiday's Japanese name, or ``None``."""
        return _national_holidays(day.year).get(day)

    def is_company_closing_day(self, day: dt.date) -> bool:
        if day in self.config.open_exceptions:
            return False
        if day in self.config.extra_closing_days:
            return True
        return (day.month, day.day) in self.config.recurring_closing_days

    def closed_reason(self, day: dt.date) -> str | None:
        """Why ``day`` is not a business day: ``weekend``, ``holiday``, ``closing_day``."""
        if day.weekday() >= 5:
            return "weekend"
        if self.holiday_name(day) is not None:
            return "holiday"
        if self.is_company_closing_day(day):
            return "closing_day"
        return None

    def is_business_day(self, day: dt.date) -> bool:
        return self.closed_reason(day) is None

    def is_business_hours(self, moment: dt.datetime) -> bool:
        """09:00 inclusive to 17:30 exclusive on a business day."""
        local = self.local(moment)
        if not self.is_business_day(local.date()):
            return False
        return self.config.opens_at <= local.time() < self.config.closes_at

    def _opening(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.config.opens_at, tzinfo=self.tz)

    def next_business_day_after(self, day: dt.date) -> dt.date:
        """The first business day strictly after ``day``."""
        candidate = day
        for _ in range(_MAX_SEARCH_DAYS):
            candidate += dt.timedelta(days=1)
            if self.is_business_day(candidate):
                return candidate
        raise RuntimeError(f"no business day within {_MAX_SEARCH_DAYS} days after {day}")

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        """When a case received at ``moment`` outside hours is first handled.

        Before 09:00 on a business day that is 09:00 the same day; otherwise 09:00
        on the first business day strictly after the day of reception. Inside
        business hours the moment itself is returned.
        """
        local = self.local(moment)
        if self.is_business_hours(local):
            return local
        if self.is_business_day(local.date()) and local.time() < self.config.opens_at:
            return self._opening(local.date())
        return self._opening(self.next_business_day_after(local.date()))
