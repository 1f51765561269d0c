"""Load the desk's changing facts (``desk.yml``) into typed, immutable objects."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "desk.yml"
ENV_PATH = "DESK_CONFIG"


class ConfigError(ValueError):
    """``desk.yml`` is missing a value or holds one of the wrong form."""


@dataclass(frozen=True)
class TaxRate:
    since: dt.date
    rate: Decimal


@dataclass(frozen=True)
class DeskConfig:
    timezone: ZoneInfo
    opens_at: dt.time
    closes_at: dt.time
    recurring_closing_days: frozenset[tuple[int, int]]
    extra_closing_days: frozenset[dt.date]
    open_exceptions: frozenset[dt.date]
    tax_rates: tuple[TaxRate, ...]
    price_on_demand: int
    price_pack5: int
    pack5_incidents: int
    contract_center_phone: str
    contract_center_fax: str
    severity_a_phone: str
    redirects: tuple[tuple[str, str], ...] = ()
    max_impact_follow_ups: int = 2
    # Premier support: a separate contract, asked about through these contacts.
    premier_ask_via: str = "担当営業またはサポート契約センター"

    @property
    def redirect_names(self) -> dict[str, str]:
        """Customer-facing names of the desks out-of-scope requests go to."""
        return dict(self.redirects)

    def tax_rate_on(self, day: dt.date) -> Decimal:
        """The consumption-tax rate in force on ``day``."""
        applicable = [t for t in self.tax_rates if t.since <= day]
        if not applicable:
            raise ConfigError(f"no tax rate is configured for {day.isoformat()}")
        return max(applicable, key=lambda t: t.since).rate


def _time(value: Any, name: str) -> dt.time:
    try:
        hours, minutes = str(value).split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{name} must be HH:MM, got {value!r}") from exc


def _date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"{name} must be YYYY-MM-DD, got {value!r}") from exc


def _month_day(value: Any) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in str(value).split("-"))
        dt.date(2024, month, day)  # a leap year accepts every real MM-DD
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"closing_days.recurring needs MM-DD, got {value!r}") from exc
    return month, day


def parse_config(raw: Mapping[str, Any]) -> DeskConfig:
    """Build a :class:`DeskConfig` from the YAML mapping, checking every value."""
    try:
        hours = raw["business_hours"]
        closing = raw.get("closing_days") or {}
        prices = raw["prices"]
        contact = raw["contact"]
        tax_rates = tuple(
            sorted(
                (TaxRate(_date(t["since"], "tax_rates.since"), Decimal(str(t["rate"]))) for t in raw["tax_rates"]),
                key=lambda t: t.since,
            )
        )
        config = DeskConfig(
            timezone=ZoneInfo(str(raw.get("timezone", "Asia/Tokyo"))),
            opens_at=_time(hours["start"], "business_hours.start"),
            closes_at=_time(hours["end"], "business_hours.end"),
            recurring_closing_days=frozenset(_month_day(v) for v in closing.get("recurring") or []),
            extra_closing_days=frozenset(_date(v, "closing_days.extra") for v in closing.get("extra") or []),
            open_exceptions=frozenset(
                _date(v, "closing_days.open_exceptions") for v in closing.get("open_exceptions") or []
            ),
            tax_rates=tax_rates,
            price_on_demand=int(prices["on_demand"]),
            price_pack5=int(prices["pack5"]),
            pack5_incidents=int(raw.get("pack5_incidents", 5)),
            contract_center_phone=str(contact["contract_center_phone"]),
            contract_center_fax=str(contact["contract_center_fax"]),
            severity_a_phone=str(contact["severity_a_phone"]),
            redirects=tuple((str(k), str(v)) for k, v in (raw.get("redirects") or {}).items()),
            max_impact_follow_ups=int((raw.get("conversation") or {}).get("max_impact_follow_ups", 2)),
            premier_ask_via=str((raw.get("premier") or {}).get("ask_via") or "担当営業またはサポート契約センター"),
        )
    except KeyError as exc:
        raise ConfigError(f"desk configuration is missing {exc.args[0]!r}") from exc
    if config.opens_at >= config.closes_at:
        raise ConfigError("business_hours.start must be before business_hours.end")
    if not config.tax_rates:
        raise ConfigError("tax_rates must list at least one rate")
    return config


def load_config(path: str | os.PathLike[str] | None = None) -> DeskConfig:
    """Read ``desk.yml`` (or ``$DESK_CONFIG``, or ``path``)."""
    chosen = Path(path or os.environ.get(ENV_PATH) or DEFAULT_PATH)
    with chosen.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{chosen} does not hold a mapping")
    return parse_config(raw)


@lru_cache(maxsize=4)
def _cached(path: str) -> DeskConfig:
    return load_config(path)


def get_config() -> DeskConfig:
    """The process-wide configuration, read once per path."""
    return _cached(str(os.environ.get(ENV_PATH) or DEFAULT_PATH))
