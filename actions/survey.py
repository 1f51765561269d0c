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
    is_payload,
    latest_intent,
    latest_text,
    states_a,
)
from actions.contact import found_contacts
from actions.faq import ActionAnswerFaq
from actions.out_of_scope import ActionHandleOutOfScope
from support_rules import answers
from tickets.contact import is_decline

SKIPPED = "skipped"
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
            return "triage_form"  # the triage reads the impact and gives the number at once
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
