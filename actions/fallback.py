"""Two-stage fallback in Japanese, ending with the contract center's number."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import fact_values


class ActionDefaultAskAffirmation(Action):
    """"Did you mean …?" for the most likely intent, or a plain request to rephrase."""

    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        candidates = [
            str(entry.get("name"))
            for entry in ranking
            if entry.get("name") and entry.get("name") != "nlu_fallback"
        ]
        responses = domain.get("responses", {})
        for intent in candidates[:1]:
            response = f"utter_ask_affirmation_{intent}"
            if response in responses:
                dispatcher.utter_message(response=response)
                return []
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []


class ActionDefaultFallback(Action):
    """Final fallback: apologise, give the contract center, forget the utterance."""

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_default", **fact_values())
        return [UserUtteranceReverted()]
