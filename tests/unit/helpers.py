"""Shared constants and builders for the unit tests (no fixtures here; see conftest)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

JST = ZoneInfo("Asia/Tokyo")
UTC = dt.timezone.utc
NINE_HOURS = dt.timedelta(hours=9)

DESK_YML = Path(__file__).resolve().parents[2] / "desk.yml"
_RAW: dict[str, Any] = yaml.safe_load(DESK_YML.read_text(encoding="utf-8"))


def raw_desk() -> dict[str, Any]:
    """A fresh, modifiable deep copy of desk.yml's mapping."""
    return copy.deepcopy(_RAW)


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    """An aware datetime in Asia/Tokyo."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=JST)
