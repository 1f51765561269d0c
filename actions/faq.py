"""Answers to the desk's frequently asked questions, with facts from desk.yml."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import FAQ_RESPONSES, calendar, fact_values, latest_intent, now


class ActionAnswerFaq(Action):
    """One action for every FAQ intent: ``ask_price`` → ``utter_faq_price`` …"""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        intent, _ = latest_intent(tracker)
        response = FAQ_RESPONSES.get(intent or "")
        if response is None:
            dispatcher.utter_message(response="utter_how_can_help")
            return []
        moment = now()
        facts = fact_values(moment)
        dispatcher.utter_message(response=response, **facts)
        if intent == "ask_hours":
            if calendar().is_business_hours(moment):
                dispatcher.utter_message(response="utter_hours_open_now")
            else:
                dispatcher.utter_message(response="utter_hours_closed_now", next_open=facts["next_open"])
        return []
