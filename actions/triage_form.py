"""The triage form: asks only for what the customer has not said yet.

The last questions are the contact details for the intake ticket (actions/contact.py).

Slots are filled by the ``extract_*`` methods below from the latest message (custom
slot mappings), so the same rules read a first long description and a short answer
to a question. A question of the form is never answered by guessing: an unclear
impact gets a follow-up question, and "I don't know" is never taken as A.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    INTERRUPTING_INTENTS,
    calendar,
    clip,
    desk,
    entity_values,
    fact_values,
    is_payload,
    latest_intent,
    latest_text,
    now,
)
from actions.contact import CONTACT_SLOTS, ContactSlotsMixin
from support_rules.contracts import parse_contract, resolve_contract
from support_rules.scope import detect_scope
from support_rules.severity import CHOICE_LABELS, SEVERITIES, assess, parse_severity_choice

# Intents whose first message starts a triage with a description.
STARTING_INTENTS = frozenset({"report_problem", "ask_data_recovery"})
_YES = (
    "はい",
    "可能",
    "大丈夫",
    "出られ",
    "でられ",
    "できます",
    "出来ます",
    "ok",
    "ｏｋ",
    "了解",
    "問題ありません",
    "いけます",
)
_NO = (
    "いいえ",
    "難しい",
    "むずかし",
    "無理",
    "むり",
    "できない",
    "できません",
    "出られない",
    "出られません",
    "不可",
)


def _chosen_severity(tracker: Tracker, intent: str | None, text: str) -> str | None:
    for value in entity_values(tracker, "severity"):
        letter = value.strip().upper()
        if letter in SEVERITIES:
            return letter
    if intent == "choose_severity" and not is_payload(text):
        return parse_severity_choice(text)
    return None


def _yes_no(intent: str | None, text: str) -> bool | None:
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    folded = text.lower()
    if any(word in folded for word in _NO):
        return False
    if any(word in folded for word in _YES):
        return True
    return None


class ValidateTriageForm(ContactSlotsMixin, FormValidationAction):
    def name(self) -> str:
        return "validate_triage_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Like rasa-sdk's, but keeps the extra slots an extractor sets.

        rasa-sdk returns only the events of required slots, so the reason, the
        attempt counters and the scope set next to them would be lost.
        """
        extraction_events = await self.get_extraction_events(dispatcher, tracker, domain)
        tracker.add_slots(extraction_events)
        validation_events: List[Dict[str, Any]] = await self._extract_validation_events(dispatcher, tracker, domain)
        validated = {e.get("name") for e in validation_events if e.get("event") == "slot"}
        extra = [e for e in extraction_events if e.get("name") not in validated]
        return extra + validation_events

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Always name the next question (rasa-sdk leaves it to Rasa when the list
        happens to equal the domain's)."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        event: Dict[str, Any] = SlotSet("requested_slot", missing)
        return event

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        slots = ["problem_description", "severity"]
        severity = tracker.get_slot("severity")
        if severity in ("B", "C"):
            slots.append("severity_confirmed")
        if severity == "A" and not calendar().is_business_hours(now()):
            slots.append("phone_reachable")
        slots.append("contract")
        # Contact details for the intake ticket come last (actions/contact.py).
        slots.extend(CONTACT_SLOTS)
        return slots

    # ------------------------------------------------------------------ helpers
    def _severity_values(
        self, severity: str, reason: str | None, dispatcher: CollectingDispatcher, chosen: bool = False
    ) -> Dict[str, Any]:
        """Slots for a severity. One the customer picked is not asked back for
        confirmation; one read from their words is (an A goes straight to the phone)."""
        values: Dict[str, Any] = {
            "severity": severity,
            "severity_reason": reason,
            "severity_confirmed": True if severity == "A" or chosen else None,
        }
        if severity == "A":
            moment = now()
            response = (
                "utter_severity_a_call_now"
                if calendar().is_business_hours(moment)
                else "utter_severity_a_call_now_after_hours"
            )
            facts = fact_values(moment)
            dispatcher.utter_message(response=response, reason=reason, phone=facts["a_phone"])
        return values

    # ------------------------------------------------------------------ slots
    async def extract_problem_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("problem_description"):
            return {}
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        if not text or is_payload(text):
            return {}
        requested = tracker.get_slot("requested_slot")
        if requested == "problem_description":
            if intent in INTERRUPTING_INTENTS:
                return {}
        elif requested is not None or intent not in STARTING_INTENTS:
            return {}
        scope = detect_scope(text) or "in_scope"
        return {"problem_description": clip(text), "scope": scope}

    async def extract_severity(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("severity") is not None:
            return {}
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        if requested in (None, "problem_description"):
            chosen = _chosen_severity(tracker, intent, text)
            if chosen and intent == "choose_severity":
                # "深刻度Bで問い合わせたい": the customer names it before describing.
                return self._severity_values(chosen, CHOICE_LABELS[chosen], dispatcher, chosen=True)  # type: ignore[index]
            # The description arrived in this very turn: read its impact.
            description = tracker.get_slot("problem_description")
            if not description or description != clip(text):
                return {}
            assessment = assess(description)
            if assessment.severity is None:
                return {}
            return self._severity_values(assessment.severity, assessment.reason_label, dispatcher)
        if requested != "severity":
            return {}
        chosen = _chosen_severity(tracker, intent, text)
        if chosen:
            return self._severity_values(chosen, CHOICE_LABELS[chosen], dispatcher, chosen=True)  # type: ignore[index]
        if intent in INTERRUPTING_INTENTS:
            return {}
        if intent != "dont_know" and text and not is_payload(text):
            assessment = assess(text, extent_only=True)
            if assessment.severity is not None:
                return self._severity_values(assessment.severity, assessment.reason_label, dispatcher)
        attempts = int(tracker.get_slot("impact_attempts") or 0) + 1
        if attempts > desk().max_impact_follow_ups:
            dispatcher.utter_message(response="utter_severity_undetermined")
            return {
                "severity": "undetermined",
                "severity_reason": None,
                "severity_confirmed": True,
                "impact_attempts": float(attempts),
            }
        return {"impact_attempts": float(attempts)}

    async def extract_severity_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != "severity_confirmed":
            return {}
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        chosen = _chosen_severity(tracker, intent, text)
        if chosen:
            if chosen == tracker.get_slot("severity"):
                return {"severity_confirmed": True}
            values = self._severity_values(chosen, CHOICE_LABELS[chosen], dispatcher, chosen=True)  # type: ignore[index]
            values["severity_confirmed"] = True
            return values
        if intent == "affirm":
            return {"severity_confirmed": True}
        if intent == "deny":
            attempts = max(1, int(tracker.get_slot("impact_attempts") or 0))
            return {
                "severity": None,
                "severity_reason": None,
                "severity_confirmed": None,
                "impact_attempts": float(attempts),
            }
        if intent in INTERRUPTING_INTENTS or not text or is_payload(text):
            return {}
        assessment = assess(text, extent_only=True)
        if assessment.severity is not None:
            values = self._severity_values(assessment.severity, assessment.reason_label, dispatcher)
            values["severity_confirmed"] = True
            return values
        return {}

    async def extract_phone_reachable(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != "phone_reachable":
            return {}
        intent, _ = latest_intent(tracker)
        if intent in INTERRUPTING_INTENTS:
            return {}
        answer = _yes_no(intent, latest_text(tracker))
        if answer is None:
            retries = int(tracker.get_slot("form_retries") or 0) + 1
            return {"form_retries": float(retries)}
        return {"phone_reachable": answer, "form_retries": 0.0}

    async def extract_contract(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("contract"):
            return {}
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        if intent in INTERRUPTING_INTENTS:
            # "5インシデントパックっていくら?" asks about a contract; it does not state one.
            return {}
        found = resolve_contract(entity_values(tracker, "contract"))
        if requested in (None, "problem_description"):
            # Said up front ("オンデマンドで契約しています。サーバーが…").
            if found is None and intent in STARTING_INTENTS and text and not is_payload(text):
                found = parse_contract(text)
            return {"contract": found} if found else {}
        if requested != "contract":
            # Said while another question is open: keep it, the question is asked again.
            if found is None and intent == "inform_contract" and text and not is_payload(text):
                found = parse_contract(text)
            return {"contract": found} if found and intent == "inform_contract" else {}
        if found is None and text and not is_payload(text):
            found = parse_contract(text)
        if found:
            return {"contract": found}
        if intent == "dont_know":
            return {"contract": "unknown"}
        attempts = int(tracker.get_slot("contract_attempts") or 0) + 1
        if attempts > 2:
            return {"contract": "unknown", "contract_attempts": float(attempts)}
        return {"contract_attempts": float(attempts)}


class ActionAskSeverity(Action):
    """Asks for business impact: first openly, then with concrete choices."""

    def name(self) -> str:
        return "action_ask_severity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        intent, _ = latest_intent(tracker)
        attempts = int(tracker.get_slot("impact_attempts") or 0)
        if intent == "deny" and tracker.get_slot("requested_slot") in ("severity", "severity_confirmed"):
            dispatcher.utter_message(response="utter_ask_severity_reselect")
        elif attempts == 0:
            dispatcher.utter_message(response="utter_ask_severity")
        else:
            dispatcher.utter_message(response="utter_ask_severity_followup")
        return []


class ActionAskPhoneReachable(Action):
    def name(self) -> str:
        return "action_ask_phone_reachable"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        retries = int(tracker.get_slot("form_retries") or 0)
        dispatcher.utter_message(response="utter_ask_phone_reachable_again" if retries else "utter_ask_phone_reachable")
        return []


class ActionAskContract(Action):
    def name(self) -> str:
        return "action_ask_contract"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        attempts = int(tracker.get_slot("contract_attempts") or 0)
        if attempts:
            dispatcher.utter_message(response="utter_ask_contract_again")
        elif tracker.get_slot("severity") == "A":
            dispatcher.utter_message(response="utter_ask_contract_for_a")
        else:
            dispatcher.utter_message(response="utter_ask_contract")
        return []
