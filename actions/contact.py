"""Contact details for the intake ticket, asked at the end of the triage form.

A bad value is asked again with the reason (wrong number of digits, no "@", …);
after ``MAX_ATTEMPTS`` tries, or when the customer would rather not say, the field
is left empty ("declined") so nobody is trapped in the form. Nothing is stored from a
message that is not an answer: a question, a correction or another request is handled
by the triage form's standing rules (actions/triage_form.py) or the interruption rules.
Details already given — in the first message, in an e-mail signature — are taken from
there (support_rules.answers.extract_contacts) and shown once for confirmation.

On the severity-A path the customer is on the phone with an engineer: the contact
details are asked once, all together, and 「お電話で伝えます」 is a fine answer.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import registry
from actions.common import desk, is_payload, latest_intent, latest_text
from actions.tickets import DECLINED
from support_rules import answers
from tickets.contact import (
    is_decline,
    looks_like_email_attempt,
    looks_like_phone_attempt,
    validate_company,
    validate_email,
    validate_person_name,
    validate_phone,
)

CONTACT_SLOTS = ("contact_company", "contact_name", "contact_phone", "contact_email")
MAX_ATTEMPTS = 3
# Why an answer was not accepted → the response that says so and asks again.
INVALID_RESPONSES: Dict[str, str] = {
    "contact_company:empty": "utter_invalid_contact_company_empty",
    "contact_company:too_long": "utter_invalid_contact_company_too_long",
    "contact_company:no_letters": "utter_invalid_contact_company_no_letters",
    "contact_name:empty": "utter_invalid_contact_name_empty",
    "contact_name:too_long": "utter_invalid_contact_name_too_long",
    "contact_name:no_letters": "utter_invalid_contact_name_no_letters",
    "contact_phone:empty": "utter_invalid_contact_phone_empty",
    "contact_phone:not_digits": "utter_invalid_contact_phone_not_digits",
    "contact_phone:length": "utter_invalid_contact_phone_length",
    "contact_phone:prefix": "utter_invalid_contact_phone_prefix",
    "contact_email:empty": "utter_invalid_contact_email_empty",
    "contact_email:no_at": "utter_invalid_contact_email_no_at",
    "contact_email:spaces": "utter_invalid_contact_email_spaces",
    "contact_email:domain": "utter_invalid_contact_email_domain",
    "contact_email:local": "utter_invalid_contact_email_local",
    "contact_email:too_long": "utter_invalid_contact_email_too_long",
}
# The second failure in a row at the same field gets this instead of the same words again.
ASK_RESPONSES: Dict[str, str] = {
    "contact_company": "utter_ask_contact_company",
    "contact_name": "utter_ask_contact_name",
    "contact_phone": "utter_ask_contact_phone",
    "contact_email": "utter_ask_contact_email",
}
RETRY_RESPONSES: Dict[str, str] = {
    "contact_company": "utter_invalid_contact_company_retry",
    "contact_name": "utter_invalid_contact_name_retry",
    "contact_phone": "utter_invalid_contact_phone_retry",
    "contact_email": "utter_invalid_contact_email_retry",
}
_COPULA = re.compile(r"(?:です|でございます|と申します|ともうします|といいます|になります|でお願いします)[。.!！\s]*$")


def desk_phones() -> tuple[str, ...]:
    config = desk()
    return (config.contract_center_phone, config.contract_center_fax, config.severity_a_phone)


def on_a_path(tracker: Tracker) -> bool:
    """Severity A handled by phone now (not lowered because the phone cannot be kept free)."""
    return tracker.get_slot("severity") == "A" and tracker.get_slot("phone_reachable") is not False


def is_step_interruption(tracker: Tracker, text: str) -> bool:
    """The message is something other than an answer to a contact question."""
    intent, confidence = latest_intent(tracker)
    if intent == "start_over" or answers.is_restart_command(text):
        return answers.is_restart_command(text)
    if intent in ("goodbye", "request_human") and confidence >= answers.CONFIDENT:
        return True
    if answers.is_question(text):
        return True
    asks = intent in registry.FAQ_INTENTS or intent in registry.OUT_OF_SCOPE_INTENTS
    return asks and confidence >= 0.9 and not _looks_like_a_value(text)


def _looks_like_a_value(text: str) -> bool:
    return looks_like_phone_attempt(text) or looks_like_email_attempt(text) or len(text) <= 20


def _rejected(slot: str, error: str, tracker: Tracker, dispatcher: CollectingDispatcher) -> Dict[str, Any]:
    attempts = int(tracker.get_slot("contact_attempts") or 0) + 1
    if attempts >= MAX_ATTEMPTS:
        dispatcher.utter_message(response="utter_contact_skipped")
        return {slot: DECLINED, "contact_error": None, "contact_attempts": 0.0}
    return {"contact_error": f"{slot}:{error}", "contact_attempts": float(attempts)}


def _accepted(slot: str, value: str) -> Dict[str, Any]:
    return {slot: value, "contact_error": None, "contact_attempts": 0.0, "last_decided": slot}


def _without_copula(text: str) -> str:
    return _COPULA.sub("", text).strip() or text


def found_contacts(tracker: Tracker, text: str, only_empty: bool = True) -> Dict[str, str]:
    """Contact details in ``text`` (a signature block, 「株式会社Xの山田です」), by slot."""
    values = answers.extract_contacts(text, desk_phones()).as_slots()
    if only_empty:
        values = {slot: value for slot, value in values.items() if not tracker.get_slot(slot)}
    return values


class ContactSlotsMixin:
    """``extract_contact_*`` methods for a FormValidationAction."""

    def _extract_contact(
        self,
        slot: str,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        check: Callable[[str], Any],
        attempt: Callable[[str], bool] | None = None,
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != slot or tracker.get_slot(slot):
            return {}
        text = latest_text(tracker)
        if not text or is_payload(text):
            return {}
        looks_like_answer = attempt(text) if attempt else False
        if not looks_like_answer and is_step_interruption(tracker, text):
            return {}
        if on_a_path(tracker):
            return self._all_at_once(tracker, text)
        if (is_decline(text) or answers.defers_to_phone(text)) and not looks_like_answer:
            return _accepted(slot, DECLINED)
        found = found_contacts(tracker, text)
        if slot in found:
            return {**found, "contact_error": None, "contact_attempts": 0.0, "last_decided": slot}
        result = check(_without_copula(text) if slot in ("contact_company", "contact_name") else text)
        if result.error:
            if found and slot not in found:
                # 「090-…です」 typed at the name question: keep it, ask the name again.
                return {**found, "last_decided": next(iter(found))}
            return _rejected(slot, str(result.error), tracker, dispatcher)
        return {**found, **_accepted(slot, str(result.value))}

    @staticmethod
    def _all_at_once(tracker: Tracker, text: str) -> Dict[str, Any]:
        """Severity A: one answer for every missing detail; what is not in it stays empty."""
        values: Dict[str, Any] = {}
        if not (is_decline(text) or answers.defers_to_phone(text)):
            values = dict(found_contacts(tracker, text))
            if not values:
                company = validate_company(_without_copula(text))
                if company.value:
                    values["contact_company"] = company.value
        for slot in CONTACT_SLOTS:
            if not tracker.get_slot(slot) and slot not in values:
                values[slot] = DECLINED
        values.update({"contact_error": None, "contact_attempts": 0.0, "last_decided": "contact_company"})
        return values

    async def extract_contact_company(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract_contact("contact_company", tracker, dispatcher, validate_company)

    async def extract_contact_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract_contact("contact_name", tracker, dispatcher, validate_person_name)

    async def extract_contact_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract_contact("contact_phone", tracker, dispatcher, validate_phone, looks_like_phone_attempt)

    async def extract_contact_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract_contact("contact_email", tracker, dispatcher, validate_email, looks_like_email_attempt)

    async def extract_contact_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Details taken from an earlier message, shown once: yes, or the right values."""
        if tracker.get_slot("requested_slot") != "contact_confirmed":
            return {}
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        if not text or (is_step_interruption(tracker, text) and intent != "deny"):
            return {}
        corrected = found_contacts(tracker, text, only_empty=False)
        if corrected:
            return {**corrected, "contact_confirmed": True, "last_decided": next(iter(corrected))}
        answer = answers.parse_yes_no(text, intent if intent in ("affirm", "deny") else None)
        if answer is True:
            return {"contact_confirmed": True}
        if answer is False or answers.is_correction(text):
            # Ask each detail again, one by one.
            values: Dict[str, Any] = {slot: None for slot in CONTACT_SLOTS}
            values.update({"contact_prefilled": False, "contact_confirmed": None})
            return values
        return {}


def missing_contact_slots(tracker: Tracker) -> List[str]:
    return [slot for slot in CONTACT_SLOTS if not tracker.get_slot(slot)]


def shown(value: Any) -> str:
    """A contact value as the confirmation shows it (empty or declined → a dash)."""
    return "—" if not value or value == DECLINED else str(value)


class _AskContact:
    """Asks for one contact detail, or again with the reason the last answer failed.

    A mixin, not an Action, so that rasa-sdk registers only the real actions.
    """

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        if tracker.get_slot("last_reading") == "restart":
            return [FollowupAction("action_restart")]
        if tracker.get_slot("step_paused"):
            return [SlotSet("step_paused", None)]
        error = str(tracker.get_slot("contact_error") or "")
        if error.startswith(f"{self.slot}:") and error in INVALID_RESPONSES:
            failures = int(tracker.get_slot("contact_attempts") or 0)
            response = RETRY_RESPONSES[self.slot] if failures >= 2 else INVALID_RESPONSES[error]
            dispatcher.utter_message(response=response)
        elif self.slot == "contact_company" and on_a_path(tracker):
            # Severity A: every detail in one optional answer (「電話で伝えます」 is fine).
            dispatcher.utter_message(response="utter_ask_contact_company_for_a")
        else:
            dispatcher.utter_message(response=ASK_RESPONSES[self.slot])
        return []


class ActionAskContactCompany(_AskContact, Action):
    slot = "contact_company"


class ActionAskContactName(_AskContact, Action):
    slot = "contact_name"


class ActionAskContactPhone(_AskContact, Action):
    slot = "contact_phone"


class ActionAskContactEmail(_AskContact, Action):
    slot = "contact_email"


class ActionAskContactConfirmed(Action):
    def name(self) -> str:
        return "action_ask_contact_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        if tracker.get_slot("last_reading") == "restart":
            return [FollowupAction("action_restart")]
        if tracker.get_slot("step_paused"):
            return [SlotSet("step_paused", None)]
        dispatcher.utter_message(
            response="utter_confirm_contact_details",
            company=shown(tracker.get_slot("contact_company")),
            name=shown(tracker.get_slot("contact_name")),
            phone=shown(tracker.get_slot("contact_phone")),
            email=shown(tracker.get_slot("contact_email")),
        )
        return []
