"""The satisfaction survey after a finished triage: a 1–5 rating and an optional comment.

It never holds the customer: "回答しない" skips it, an unclear answer is asked once
more and then skipped, and a new request typed instead of an answer (a question,
another problem, a person, goodbye) ends the survey and is handled right away.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import tickets
from actions.calling import ActionCallingNow
from actions.common import (
    FAQ_INTENTS,
    OUT_OF_SCOPE_INTENTS,
    clip,
    fact_values,
    give_a_phone,
    is_payload,
    latest_intent,
    latest_text,
    states_a,
)
from actions.contact import found_contacts
from actions.faq import ActionAnswerFaq
from actions.out_of_scope import ActionHandleOutOfScope
from support_rules import answers
from support_rules.contracts import contract_allows
from tickets.contact import is_decline

SKIPPED = "skipped"
# ``survey_followup`` after an A statement: the number was given, nothing more is said.
SEVERITY_A = "severity_a"
CONTRACT_NOTED = {
    "on_demand": "utter_contract_noted_on_demand",
    "pack5": "utter_contract_noted_pack5",
    "pack5_legacy": "utter_contract_noted_pack5_legacy",
    "none": "utter_contract_noted_none",
}
NO_COMMENT = "none"
MAX_COMMENT_CHARS = 1000
MAX_RATING_TRIES = 2
parse_rating = answers.parse_rating

# What a message that is not a survey answer asks for, handled after the survey ends.
_FOLLOWUPS: Dict[str, str] = {
    **{intent: "action_answer_faq" for intent in FAQ_INTENTS},
    **{intent: "action_handle_out_of_scope" for intent in OUT_OF_SCOPE_INTENTS},
    "report_problem": "triage_form",
    "choose_severity": "triage_form",
    "request_human": "action_request_human",
    "calling_now": "action_calling_now",
    "want_to_ask": "utter_please_ask",
    "goodbye": "utter_goodbye",
    "greet": "utter_greet",
    # 「ありがとう」 right after the outcome answers the outcome, not the survey.
    "thank": "utter_thank",
}
_ANSWERED_HERE: Dict[str, Callable[[], Action]] = {
    "action_answer_faq": ActionAnswerFaq,
    "action_handle_out_of_scope": ActionHandleOutOfScope,
    "action_calling_now": ActionCallingNow,
}


def _new_request(tracker: Tracker, text: str) -> str | None:
    """The handler for a message that is a new request rather than a survey answer."""
    intent, confidence = latest_intent(tracker)
    if text and not is_payload(text):
        if states_a(tracker, text) is not None:
            return "triage_form"  # 「別件で…」: another problem, triaged (the number at once)
        if answers.is_calling_now(text):
            return "action_calling_now"
        if answers.is_restart_command(text):
            return "action_restart"
        if answers.wants_to_ask(text):
            return "utter_please_ask"
        if answers.asks_about_recovery(text) and answers.is_question(text):
            return "action_answer_faq"
    if intent not in _FOLLOWUPS or confidence < answers.CONFIDENT:
        return None
    if intent in FAQ_INTENTS or intent in OUT_OF_SCOPE_INTENTS:
        # 「説明がわかりにくかった」 may look like a question topic; only a real question leaves.
        return _FOLLOWUPS[intent] if answers.is_question(text) else None
    return _FOLLOWUPS[intent]


def _end_survey(followup: str | None) -> Dict[str, Any]:
    values: Dict[str, Any] = {"survey_rating": SKIPPED, "survey_comment": NO_COMMENT, "requested_slot": None}
    if followup:
        values["survey_followup"] = followup
    return values


class ValidateSurveyForm(FormValidationAction):
    def name(self) -> str:
        return "validate_survey_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Reads the answer itself: the survey's slots need no NLU, and a message
        that is not an answer ends the form instead of being rejected."""
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        values: Dict[str, Any]
        if requested and text and not is_payload(text):
            escalated = await self._escalated_to_a(dispatcher, tracker, text)
            if escalated:
                # No satisfaction survey in the middle of an outage: it ends here.
                return escalated + [SlotSet(slot, value) for slot, value in _end_survey(SEVERITY_A).items()]
            contract = await self._corrected_contract(dispatcher, tracker, text)
            if contract:
                # 「あ、契約は旧価格の5インシデントパックでした」: the ticket is updated, the question stays.
                return [SlotSet("contract", contract), SlotSet("requested_slot", requested)]
        corrected = await self._corrected_contacts(dispatcher, tracker, text) if requested else {}
        if corrected:
            # 「電話番号が間違っていました、03-…です」: the ticket is updated, the question stays.
            return [SlotSet(slot, value) for slot, value in corrected.items()] + [SlotSet("requested_slot", requested)]
        if requested == "survey_rating":
            values = self._rating(tracker, dispatcher, text)
        elif requested == "survey_comment":
            values = self._comment(tracker, text)
        else:
            values = {}
        followup = values.pop("survey_followup", None)
        events: List[Dict[str, Any]] = [SlotSet(slot, value) for slot, value in values.items()]
        if followup:
            # What to do once the survey is closed (action_save_survey).
            events.append(SlotSet("survey_followup", followup))
        if "requested_slot" not in values:
            events.append(SlotSet("requested_slot", self._next(tracker, values)))
        return events

    @staticmethod
    async def _escalated_to_a(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[Dict[str, Any]]:
        """An A-level statement during the survey: the case just recorded is now A — the
        ticket says so and the customer gets the number in this reply."""
        if answers.is_another_problem(text):
            return []  # 「別件で…」: a new triage (_new_request)
        reading = states_a(tracker, text)
        if reading is None:
            return []
        give_a_phone(dispatcher, tracker, reading.reason)
        ticket_no = tracker.get_slot("ticket_no")
        if ticket_no:
            ticket = await tickets.get_ticket(str(ticket_no))
            contract = ticket.contract if ticket is not None else None
            allowed = contract_allows(contract, "A") if contract in CONTRACT_NOTED else None  # type: ignore[arg-type]
            await tickets.update_triage(
                str(ticket_no), severity="A", severity_reason=reading.reason, contract_ok=allowed
            )
            dispatcher.utter_message(response="utter_ticket_for_the_call", ticket_no=ticket_no)
        return [
            SlotSet("severity", "A"),
            SlotSet("severity_reason", reading.reason),
            SlotSet("reception_route", "phone"),
            SlotSet("downgraded", False),
        ]

    @staticmethod
    async def _corrected_contract(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> str | None:
        """A contract stated during the survey corrects the finished triage's ticket."""
        intent, _ = latest_intent(tracker)
        contract = answers.stated_contract(text)
        if contract is None or not (intent == "inform_contract" or answers.is_correction(text)):
            return None
        ticket_no = tracker.get_slot("ticket_no")
        ticket = await tickets.get_ticket(str(ticket_no)) if ticket_no else None
        if ticket is not None and ticket.contract == contract:
            return None
        dispatcher.utter_message(response=CONTRACT_NOTED[contract])
        if ticket is not None:
            severity = ticket.severity if ticket.severity in ("A", "B", "C") else None
            allowed = contract_allows(contract, severity)  # type: ignore[arg-type]
            await tickets.update_triage(ticket.ticket_no, contract=contract, contract_ok=allowed)
            if not allowed:
                response = "utter_contract_legacy_for_a" if contract == "pack5_legacy" else "utter_contract_none"
                dispatcher.utter_message(response=response, **fact_values())
        return contract

    @staticmethod
    async def _corrected_contacts(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> Dict[str, Any]:
        if not text or is_payload(text) or not answers.is_correction(text):
            return {}
        corrected = {
            slot: value
            for slot, value in found_contacts(tracker, text, only_empty=False).items()
            if value != tracker.get_slot(slot)
        }
        ticket_no = tracker.get_slot("ticket_no")
        if not corrected:
            return {}
        if ticket_no:
            await tickets.update_contact(str(ticket_no), corrected)
        dispatcher.utter_message(response="utter_contact_corrected")
        return corrected

    @staticmethod
    def _next(tracker: Tracker, values: Dict[str, Any]) -> str | None:
        rating = values.get("survey_rating", tracker.get_slot("survey_rating"))
        comment = values.get("survey_comment", tracker.get_slot("survey_comment"))
        if rating is None:
            return "survey_rating"
        if rating != SKIPPED and comment is None:
            return "survey_comment"
        return None

    @staticmethod
    def _rating(tracker: Tracker, dispatcher: CollectingDispatcher, text: str) -> Dict[str, Any]:
        if not is_payload(text):
            rating = parse_rating(text)
            if rating is not None:
                return {"survey_rating": str(rating), "survey_attempts": 0.0}
            if answers.wants_to_skip(text) or (text and is_decline(text)):
                return _end_survey(None)
        followup = _new_request(tracker, text)
        if followup:
            return _end_survey(followup)
        tries = int(tracker.get_slot("survey_attempts") or 0) + 1
        if tries >= MAX_RATING_TRIES:
            return _end_survey(None)
        return {"survey_attempts": float(tries)}

    @staticmethod
    def _comment(tracker: Tracker, text: str) -> Dict[str, Any]:
        intent, _ = latest_intent(tracker)
        if not text or is_payload(text) or is_decline(text) or intent in ("deny", "thank"):
            return {"survey_comment": NO_COMMENT}
        followup = _new_request(tracker, text)
        if followup:
            return {"survey_comment": NO_COMMENT, "requested_slot": None, "survey_followup": followup}
        return {"survey_comment": clip(text, MAX_COMMENT_CHARS)}


class ActionAskSurveyRating(Action):
    def name(self) -> str:
        return "action_ask_survey_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        tries = int(tracker.get_slot("survey_attempts") or 0)
        dispatcher.utter_message(response="utter_ask_survey_rating_again" if tries else "utter_ask_survey_rating")
        return []


class ActionSaveSurvey(Action):
    """Stores the answers with the ticket, thanks the customer, and handles a new
    request typed instead of an answer."""

    def name(self) -> str:
        return "action_save_survey"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        rating_slot = tracker.get_slot("survey_rating")
        comment_slot = str(tracker.get_slot("survey_comment") or "")
        followup = str(tracker.get_slot("survey_followup") or "") or None
        rating = int(rating_slot) if rating_slot and str(rating_slot).isdigit() else None
        comment = None if comment_slot in ("", NO_COMMENT) else comment_slot
        ticket_no = tracker.get_slot("ticket_no")
        if ticket_no:
            await tickets.record_survey(str(ticket_no), rating=rating, comment=comment, skipped=rating is None)

        if followup == SEVERITY_A:
            # The number was given with the A statement: nothing else to say now.
            return [
                SlotSet("survey_rating", None),
                SlotSet("survey_comment", None),
                SlotSet("survey_attempts", 0.0),
                SlotSet("survey_followup", None),
            ]
        if rating is not None:
            dispatcher.utter_message(response="utter_survey_thanks")
        elif followup is None:
            dispatcher.utter_message(response="utter_survey_skipped")

        events: List[Dict[str, Any]] = [
            SlotSet("survey_rating", None),
            SlotSet("survey_comment", None),
            SlotSet("survey_attempts", 0.0),
            SlotSet("survey_followup", None),
        ]
        if followup is None:
            dispatcher.utter_message(response="utter_anything_else")
        elif followup in _ANSWERED_HERE:
            # Answered within this action, so the rule that ran it ends the turn.
            events += await _ANSWERED_HERE[followup]().run(dispatcher, tracker, domain)
        elif followup.startswith("utter_"):
            dispatcher.utter_message(response=followup)
        elif followup == "action_restart":
            events.append(FollowupAction("action_restart"))
        else:
            # A form or a person: started as the next action, which keeps the turn going.
            events.append(FollowupAction(str(followup)))
        return events
