"""Helpers shared by the action modules: desk facts, the clock, the latest message."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Dict, Tuple

from rasa_sdk import Tracker

from support_rules import clock
from support_rules.calendar import BusinessCalendar
from support_rules.contracts import quote, yen
from support_rules.jp_format import closing_days_text, format_datetime, format_time
from support_rules.scope import INTENT_SCOPES
from support_rules.settings import DeskConfig, get_config

# FAQ intent → the response that answers it (facts filled in from desk.yml).
FAQ_RESPONSES: Dict[str, str] = {
    "ask_price": "utter_faq_price",
    "ask_contract_types": "utter_faq_contract_types",
    "ask_incident": "utter_faq_incident",
    "ask_how_to_buy": "utter_faq_how_to_buy",
    "ask_legacy_pack": "utter_faq_legacy_pack",
    "ask_hours": "utter_faq_hours",
    "ask_flow": "utter_faq_flow",
    "ask_survey": "utter_faq_survey",
    "ask_contact": "utter_faq_contact",
    "ask_scope": "utter_faq_scope",
    "ask_severity": "utter_faq_severity",
    "ask_business_critical": "utter_faq_business_critical",
    "ask_data_recovery": "utter_faq_data_recovery",
}
FAQ_INTENTS = frozenset(FAQ_RESPONSES)
OUT_OF_SCOPE_INTENTS = frozenset(INTENT_SCOPES)
# Intents that interrupt a question of the triage form instead of answering it.
INTERRUPTING_INTENTS = (
    FAQ_INTENTS
    | OUT_OF_SCOPE_INTENTS
    | frozenset({"chitchat", "request_human", "restart", "greet", "goodbye", "thank"})
)
MAX_DESCRIPTION_CHARS = 2000


def desk() -> DeskConfig:
    return get_config()


@lru_cache(maxsize=4)
def _calendar_for(config: DeskConfig) -> BusinessCalendar:
    return BusinessCalendar(config)


def calendar() -> BusinessCalendar:
    return _calendar_for(desk())


def now() -> dt.datetime:
    """The desk's current time (``DESK_NOW`` freezes it)."""
    return clock.now(desk().timezone)


def fact_values(moment: dt.datetime | None = None) -> Dict[str, str]:
    """Every desk fact a response template may need, formatted for customers."""
    config = desk()
    at = moment or now()
    prices = quote(config, at.date())
    cal = calendar()
    return {
        "phone": config.contract_center_phone,
        "fax": config.contract_center_fax,
        "a_phone": config.severity_a_phone,
        "open": format_time(config.opens_at),
        "close": format_time(config.closes_at),
        "closing_days": closing_days_text(config.recurring_closing_days),
        "on_demand": yen(prices.on_demand),
        "on_demand_tax": yen(prices.on_demand_with_tax),
        "pack5": yen(prices.pack5),
        "pack5_tax": yen(prices.pack5_with_tax),
        "tax_percent": prices.tax_percent,
        "pack_incidents": str(prices.incidents_per_pack),
        "next_open": format_datetime(cal.next_opening(at), at.date()),
        "premier": config.redirect_names.get("premier", "プレミア サポート"),
        "consulting": config.redirect_names.get("consulting", "コンサルティング サービス"),
        "oem_vendor": config.redirect_names.get("oem_vendor", "OEM メーカーの窓口"),
        "consumer_support": config.redirect_names.get("consumer_support", "一般向けサポート窓口"),
    }


def latest_intent(tracker: Tracker) -> Tuple[str | None, float]:
    intent: Dict[str, Any] = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return (str(name) if name else None), float(intent.get("confidence") or 0.0)


def latest_text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text") or ""
    return str(text).strip()


def is_payload(text: str) -> bool:
    """A button payload such as ``/inform_contract{...}`` rather than typed text."""
    return text.startswith("/")


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    return [str(v) for v in tracker.get_latest_entity_values(entity) if v is not None]


def clip(text: str, limit: int = MAX_DESCRIPTION_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
