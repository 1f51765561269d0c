"""Helpers shared by the action modules: desk facts, the clock, the latest message."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import registry
from support_rules import answers, clock
from support_rules.calendar import BusinessCalendar
from support_rules.contracts import quote, yen
from support_rules.jp_format import closing_days_text, format_datetime, format_time
from support_rules.reading import read
from support_rules.scope import Scope
from support_rules.settings import DeskConfig, get_config
from support_rules.severity import assess

# What each intent does while a step is open: actions/registry.py.
FAQ_RESPONSES = registry.FAQ_RESPONSES
FAQ_INTENTS = registry.FAQ_INTENTS
OUT_OF_SCOPE_INTENTS = registry.OUT_OF_SCOPE_INTENTS
INTERRUPTING_INTENTS = registry.INTERRUPTING_INTENTS
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
        "premier_ask_via": config.premier_ask_via,
        "consulting": config.redirect_names.get("consulting", "コンサルティング サービス"),
        "oem_vendor": config.redirect_names.get("oem_vendor", "OEM メーカーの窓口"),
        "consumer_support": config.redirect_names.get("consumer_support", "一般向けサポート窓口"),
    }


def latest_intent(tracker: Tracker) -> Tuple[str | None, float]:
    intent: Dict[str, Any] = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return (str(name) if name else None), float(intent.get("confidence") or 0.0)


def reads_latest_message(tracker: Tracker, own: str | None = None) -> bool:
    """This action is the first to handle the customer's latest message (not the
    return to a form after an interruption, nor a follow-up of another action).

    A form's validation action sees the form itself as the latest action (Rasa adds it
    to the tracker it sends), so ``own`` — the form's name — is skipped once.
    """
    skipped = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind != "action":
            continue
        name = event.get("name")
        if name == "action_listen":
            return True
        if own is not None and name == own and not skipped:
            skipped = True
            continue
        return False
    return True


def latest_text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text") or ""
    return str(text).strip()


is_payload = answers.is_payload


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    return [str(v) for v in tracker.get_latest_entity_values(entity) if v is not None]


def clip(text: str, limit: int = MAX_DESCRIPTION_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- reading impact and scope
@dataclass(frozen=True)
class ImpactReading:
    """How serious the customer's words make the case: A/B/C or None (not stated)."""

    severity: str | None
    reason: str | None
    capped: bool = False  # a stop read in a test/verification environment


def _parse_of(tracker: Tracker, text: str) -> Dict[str, Any] | None:
    """The NLU parse of ``text`` when it is the latest message (it carries the trained
    reader's ``impact_reading`` / ``scope_reading``); None for older texts."""
    latest = tracker.latest_message or {}
    return latest if latest.get("text") == text else None


def read_impact(tracker: Tracker, text: str, extent_only: bool = False) -> ImpactReading:
    """The one place the actions read business impact from the customer's words.

    The trained reader's prediction for the latest message, held by the cue rules
    (``support_rules.reading``: never a guessed A, a test environment at most B, an
    impact it cannot read left open); the rules alone for an older text. A short answer
    to "who is affected?" (``extent_only``: 「全員です」, 「営業部だけ」) is read by the
    rules, which know extents without a sentence around them.
    """
    if extent_only:
        assessment = assess(text, extent_only=True)
        return ImpactReading(assessment.severity, assessment.reason_label, assessment.capped)
    reading = read(text, _parse_of(tracker, text))
    return ImpactReading(reading.severity, reading.reason_label, reading.capped)


def read_scope(tracker: Tracker, text: str) -> Scope | None:
    """The one place the actions read an out-of-scope request from free text (the
    trained reader with the rules, as for the impact)."""
    scope = read(text, _parse_of(tracker, text)).scope
    return None if scope == "in_scope" else scope


# ---------------------------------------------------------------- rules that hold at every step
# Responses that give the severity-A phone number.
A_PHONE_RESPONSES = frozenset(
    {
        "utter_severity_a_call_now",
        "utter_severity_a_call_now_after_hours",
        "utter_severity_a_reminder",
        "utter_calling_now_a",
        "utter_outcome_a",
        "utter_outcome_a_after_hours",
        "utter_handoff_closed_severity_a",
    }
)


def _bot_texts_this_turn(tracker: Tracker) -> List[Dict[str, Any]]:
    """Bot events after the latest customer message (sent by earlier actions of this turn)."""
    said: List[Dict[str, Any]] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user":
            break
        if kind == "bot":
            said.append(event)
    return said


def said_this_turn(tracker: Tracker, dispatcher: CollectingDispatcher, names: Iterable[str]) -> bool:
    """One of the responses ``names`` was already sent in reply to the latest message."""
    wanted = set(names)
    if any(m.get("response") in wanted for m in dispatcher.messages):
        return True
    for event in _bot_texts_this_turn(tracker):
        metadata = event.get("metadata") or {}
        if metadata.get("utter_action") in wanted:
            return True
    return False


def phone_given_this_turn(tracker: Tracker, dispatcher: CollectingDispatcher) -> bool:
    number = desk().severity_a_phone
    if said_this_turn(tracker, dispatcher, A_PHONE_RESPONSES):
        return True
    return any(number in str(event.get("text") or "") for event in _bot_texts_this_turn(tracker))


def states_a(tracker: Tracker, text: str) -> ImpactReading | None:
    """The message states an A-level impact (and does not play it down)."""
    if not text or is_payload(text) or answers.plays_down_impact(text):
        return None
    reading = read_impact(tracker, text)
    return reading if reading.severity == "A" else None


def give_a_phone(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str | None = None) -> None:
    """The severity-A number, unless this turn's reply already has it."""
    if phone_given_this_turn(tracker, dispatcher):
        return
    moment = now()
    facts = fact_values(moment)
    if tracker.get_slot("severity") == "A" or not reason:
        dispatcher.utter_message(response="utter_severity_a_reminder", phone=facts["a_phone"])
    elif calendar().is_business_hours(moment):
        dispatcher.utter_message(response="utter_severity_a_call_now", reason=reason, phone=facts["a_phone"])
    else:
        dispatcher.utter_message(
            response="utter_severity_a_call_now_after_hours", reason=reason, phone=facts["a_phone"]
        )


RECOVERY_RESPONSES = frozenset({"utter_data_recovery_note", "utter_faq_data_recovery"})


def standing_rules(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str | None = None, recovery: bool = True
) -> bool:
    """What every reply to a customer message must carry, whatever step it is in:
    the phone number after an A statement, the no-guarantee note when recovery is asked.
    Returns True when the message stated an A-level impact."""
    text = latest_text(tracker) if text is None else text
    reading = states_a(tracker, text)
    if reading is not None:
        give_a_phone(dispatcher, tracker, reading.reason)
    if recovery and text:
        recovery_note(dispatcher, tracker, text)
    return reading is not None


def recovery_note(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> None:
    """Recovery is asked about: say that it cannot be guaranteed (once per reply)."""
    if answers.asks_about_recovery(text) and not said_this_turn(tracker, dispatcher, RECOVERY_RESPONSES):
        dispatcher.utter_message(response="utter_data_recovery_note")


def answer_faq(dispatcher: CollectingDispatcher, intent: str, text: str = "") -> bool:
    """Answer one FAQ intent with the desk's facts; False when it is not an FAQ."""
    if intent == "ask_contact" and answers.mentions_premier(text):
        intent = "ask_premier"
    response = FAQ_RESPONSES.get(intent)
    if response is None:
        return False
    moment = now()
    facts = fact_values(moment)
    dispatcher.utter_message(response=response, **facts)
    if intent == "ask_hours":
        if calendar().is_business_hours(moment):
            dispatcher.utter_message(response="utter_hours_open_now")
        else:
            dispatcher.utter_message(response="utter_hours_closed_now", next_open=facts["next_open"])
    return True


def faq_candidate(tracker: Tracker, text: str, floor: float = 0.1) -> str | None:
    """The FAQ a question most likely asks, from the words or the classifier's ranking."""
    if answers.mentions_premier(text):
        return "ask_premier"
    if answers.asks_about_recovery(text):
        return "ask_data_recovery"
    for entry in tracker.latest_message.get("intent_ranking") or []:
        name = str(entry.get("name") or "")
        if name in FAQ_INTENTS and float(entry.get("confidence") or 0.0) >= floor:
            return name
    return None


def times_asked(tracker: Tracker, action_name: str, since_loop: str | None = None) -> int:
    """How often ``action_name`` ran, since ``since_loop`` was last activated (or ever)."""
    count = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "action" and event.get("name") == action_name:
            count += 1
        elif since_loop and kind == "active_loop" and event.get("name") == since_loop:
            break
    return count
