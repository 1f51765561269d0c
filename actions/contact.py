"""Contact details for the intake ticket, asked at the end of the triage form.

A bad value is asked again with the reason (wrong number of digits, no "@", …);
after ``MAX_ATTEMPTS`` tries, or when the customer would rather not say, the field
is left empty ("declined") so nobody is trapped in the form. A question or request
typed instead of an answer is left to the interruption rules, like elsewhere in the
triage form.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FAQ_INTENTS, OUT_OF_SCOPE_INTENTS, is_payload, latest_intent, latest_text
from actions.tickets import DECLINED
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
# Intents that leave the form whatever the text looks like.
_LEAVING_INTENTS = frozenset({"request_human", "restart", "goodbye"})
# A question typed instead of an answer ("料金はいくらですか").
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
_QUESTION = re.compile(r"(\?|？|ですか|ますか|でしょうか|教えて|知りたい|いくら|何時|どこ)[。.!！\s]*$")


def _is_interruption(tracker: Tracker, text: str) -> bool:
    intent, confidence = latest_intent(tracker)
    if intent in _LEAVING_INTENTS and confidence >= 0.6:
        return True
    asks = intent in FAQ_INTENTS or intent in OUT_OF_SCOPE_INTENTS or intent == "report_problem"
    return asks and confidence >= 0.6 and bool(_QUESTION.search(text))


def _rejected(slot: str, error: str, tracker: Tracker, dispatcher: CollectingDispatcher) -> Dict[str, Any]:
    attempts = int(tracker.get_slot("contact_attempts") or 0) + 1
    if attempts >= MAX_ATTEMPTS:
        dispatcher.utter_message(response="utter_contact_skipped")
        return {slot: DECLINED, "contact_error": None, "contact_attempts": 0.0}
    return {"contact_error": f"{slot}:{error}", "contact_attempts": float(attempts)}


def _accepted(slot: str, value: str) -> Dict[str, Any]:
    return {slot: value, "contact_error": None, "contact_attempts": 0.0}


class ContactSlotsMixin:
    """``extract_contact_*`` methods for a FormValidationAction."""

    def _extract_contact(
        self,
        slot: str,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        check: Callable[[str], Any],
        attempt: Callable[[str], bool] | None = None,
        optional: bool = False,
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != slot or tracker.get_slot(slot):
            return {}
        text = latest_text(tracker)
        if is_payload(text):
            return {}
        looks_like_answer = attempt(text) if attempt else False
        if not looks_like_answer and _is_interruption(tracker, text):
            return {}
        if text and is_decline(text) and not looks_like_answer:
            return _accepted(slot, DECLINED) if optional else _rejected(slot, "empty", tracker, dispatcher)
        result = check(text)
        if result.error:
            return _rejected(slot, str(result.error), tracker, dispatcher)
        return _accepted(slot, str(result.value))

    async def extract_contact_company(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract_contact("contact_company", tracker, dispatcher, validate_company, optional=True)

    async def extract_contact_name(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract_contact("contact_name", tracker, dispatcher, validate_person_name, optional=True)

    async def extract_contact_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract_contact(
            "contact_phone", tracker, dispatcher, validate_phone, looks_like_phone_attempt, optional=True
        )

    async def extract_contact_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._extract_contact(
            "contact_email", tracker, dispatcher, validate_email, looks_like_email_attempt, optional=True
        )


def missing_contact_slots(tracker: Tracker) -> List[str]:
    return [slot for slot in CONTACT_SLOTS if not tracker.get_slot(slot)]


class _AskContact:
    """Asks for one contact detail, or again with the reason the last answer failed.

    A mixin, not an Action, so that rasa-sdk registers only the four real actions.
    """

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        error = str(tracker.get_slot("contact_error") or "")
        if error.startswith(f"{self.slot}:") and error in INVALID_RESPONSES:
            dispatcher.utter_message(response=INVALID_RESPONSES[error])
        elif self.slot == "contact_company" and tracker.get_slot("severity") == "A":
            dispatcher.utter_message(response="utter_ask_contact_company_for_a")
        else:
            dispatcher.utter_message(response=f"utter_ask_{self.slot}")
        return []


class ActionAskContactCompany(_AskContact, Action):
    slot = "contact_company"


class ActionAskContactName(_AskContact, Action):
    slot = "contact_name"


class ActionAskContactPhone(_AskContact, Action):
    slot = "contact_phone"


class ActionAskContactEmail(_AskContact, Action):
    slot = "contact_email"
