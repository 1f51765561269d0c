"""The desk's notion of "now": Asia/Tokyo, frozen by ``DESK_NOW`` for tests and demos."""

from __future__ import annotations

import datetime as dt
import os
from typing import Callable
from zoneinfo import ZoneInfo

ENV_NOW = "DESK_NOW"
JST = ZoneInfo("Asia/Tokyo")

Clock = Callable[[], dt.datetime]


def parse_instant(value: str, tz: dt.tzinfo = JST) -> dt.datetime:
    """Parse ISO-8601; a value without an offset is read as desk-local time.

    Raises ``ValueError`` for anything that is not an ISO-8601 date-time.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(tz)


def now(tz: dt.tzinfo = JST) -> dt.datetime:
    """Current time in the desk's zone, or the frozen ``$DESK_NOW`` when set."""
    frozen = os.environ.get(ENV_NOW, "").strip()
    if frozen:
        return parse_instant(frozen, tz)
    return dt.datetime.now(tz)
