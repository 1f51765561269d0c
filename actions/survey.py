"""The satisfaction survey after a finished triage: a 1–5 rating and an optional comment.

It never holds the customer: "回答しない" skips it, an unclear answer is asked once
more and then skipped, and a new request typed instead of an answer (a question,
another problem, a person, goodbye) ends the survey and is handled right away.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import tickets
from actions.common import (
    FAQ_INTENTS,
    OUT_OF_SCOPE_INTENTS,
    clip,
    is_payload,
    latest_intent,
    latest_text,
)
from actions.faq import ActionAnswerFaq
from actions.out_of_scope import ActionHandleOutOfScope
from tickets.contact import is_decline

SKIPPED = "skipped"
NO_COMMENT = "none"
MAX_COMMENT_CHARS = 1000
MAX_RATING_TRIES = 2

# Words for a rating, checked longest first ("とても満足" before "満足").
_RATING_WORDS = (
    ("とても満足", 5),
    ("大変満足", 5),
    ("非常に満足", 5),
    ("やや満足", 4),
    ("まあまあ満足", 4),
    ("とても不満", 1),
    ("非常に不満", 1),
    ("大変不満", 1),
    ("やや不満", 2),
    ("不満", 2),
    ("満足", 4),
    ("ふつう", 3),
    ("普通", 3),
)
_STARS = re.compile(r"^[★☆\s]+$")
_NUMBER = re.compile(r"^(?:評価\s*)?([1-5])\s*(?:点|つ|です|で|。|!|！|\s)*$")
_WANT_SKIP = ("回答しない", "答えない", "答えたくない", "アンケートは結構", "スキップ", "いらない", "不要")

# What a message that is not a survey answer asks for, handled after the survey ends.
_FOLLOWUPS: Dict[str, str] = {
    **{intent: "action_answer_faq" for intent in FAQ_INTENTS},
    **{intent: "action_handle_out_of_scope" for intent in OUT_OF_SCOPE_INTENTS},
    "report_problem": "triage_form",
    "choose_severity": "triage_form",
    "request_human": "action_request_human",
    "goodbye": "utter_goodbye",
    "restart": "action_restart",
    "greet": "utter_greet",
    # 「ありがとう」 right after the outcome answers the outcome, not the survey.
    "thank": "utter_thank",
}
_QUESTION = re.compile(r"(\?|？|ですか|ますか|でしょうか|教えて|知りたい|いくら)[。.!！\s]*$")
_ANSWERED_HERE: Dict[str, Callable[[], Action]] = {
    "action_answer_faq": ActionAnswerFaq,
    "action_handle_out_of_scope": ActionHandleOutOfScope,
}


def parse_rating(text: str) -> int | None:
    """1–5 from a digit, stars or a word such as 「とても満足」; None when unclear."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if not folded:
        return None
    match = _NUMBER.match(folded)
    if match:
        return int(match.group(1))
    if _STARS.match(folded):
        stars = folded.count("★")
        return stars if 1 <= stars <= 5 else None
    for word, value in _RATING_WORDS:
        if word in folded:
            return value
    return None


def _new_request(tracker: Tracker, text: str) -> str | None:
    """The handler for a message that is a new request rather than a survey answer."""
    intent, confidence = latest_intent(tracker)
    if intent not in _FOLLOWUPS or confidence < 0.6:
        return None
    if intent in FAQ_INTENTS or intent in OUT_OF_SCOPE_INTENTS:
        # 「説明がわかりにくかった」 may look like a question topic; only a real question leaves.
        return _FOLLOWUPS[intent] if _QUESTION.search(text) else None
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
            if any(word in text for word in _WANT_SKIP) or (text and is_decline(text)):
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
        else:
            # A form or a person: started as the next action, which keeps the turn going.
            events.append(FollowupAction(str(followup)))
        return events
