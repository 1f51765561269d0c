"""Answers to the desk's frequently asked questions, with facts from desk.yml."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    FAQ_RESPONSES,
    answer_faq,
    latest_intent,
    latest_text,
    reads_latest_message,
    recovery_note,
    standing_rules,
)

__all__ = ["FAQ_RESPONSES", "ActionAnswerFaq"]


class ActionAnswerFaq(Action):
    """One action for every FAQ intent: ``ask_price`` → ``utter_faq_price`` …

    The rules that hold at every step come first: a message that also states an
    A-level impact gets the phone number before the answer.
    """

    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        intent, _ = latest_intent(tracker)
        text = latest_text(tracker)
        fresh = reads_latest_message(tracker)
        if fresh:
            standing_rules(dispatcher, tracker, recovery=False)
        if not answer_faq(dispatcher, intent or "", text):
            dispatcher.utter_message(response="utter_how_can_help")
        if fresh:
            recovery_note(dispatcher, tracker, text)
        return []
