"""How and when a case is taken, by severity and time of reception (POLICY §3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from support_rules.calendar import BusinessCalendar
from support_rules.severity import Severity

Route = Literal["phone", "phone_or_online", "online"]
When = Literal["now", "next_business_day"]


@dataclass(frozen=True)
class Reception:
    route: Route
    when: When
    starts_at: dt.datetime | None  # None when handled now
    severity: Severity | None  # after any downgrade
    downgraded: bool
    inside_hours: bool
    # A outside business hours and the customer has not said whether they can stay
    # reachable by phone: the phone line still takes the call, and the engineer
    # confirms the condition.
    phone_condition_pending: bool = False

    def as_dict(self) -> dict[str, str | None]:
        return {
            "route": self.route,
            "when": self.when,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
        }


def decide_reception(
    severity: Severity | None,
    received_at: dt.datetime,
    calendar: BusinessCalendar,
    phone_reachable: bool | None = None,
) -> Reception:
    """Route and start time for a case.

    ``severity`` ``None`` (not yet known) is routed like B/C, never like A.
    A outside business hours needs the customer to stay reachable by phone; when
    they cannot (``phone_reachable`` is ``False``) the case is lowered to B and
    handled from the next business day.
    """
    inside = calendar.is_business_hours(received_at)
    if severity == "A":
        if inside or phone_reachable is not False:
            return Reception(
                "phone",
                "now",
                None,
                "A",
                False,
                inside,
                phone_condition_pending=not inside and phone_reachable is None,
            )
        return Reception("online", "next_business_day", calendar.next_opening(received_at), "B", True, inside)
    if inside:
        return Reception("phone_or_online", "now", None, severity, False, inside)
    return Reception("online", "next_business_day", calendar.next_opening(received_at), severity, False, inside)
