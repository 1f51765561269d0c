"""The customer asks for a person."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import calendar, fact_values, now


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        moment = now()
        facts = fact_values(moment)
        if calendar().is_business_hours(moment):
            dispatcher.utter_message(response="utter_handoff_open", **facts)
        else:
            dispatcher.utter_message(response="utter_handoff_closed", **facts)
        return []
