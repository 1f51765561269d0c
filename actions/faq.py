"""Answers to the desk's frequently asked questions, with facts from desk.yml."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import calendar, fact_values, latest_intent, now

FAQ_RESPONSES: Dict[str, str] = {
    "ask_price": "utter_faq_price",
    "ask_contract_types": "utter_faq_contract_types",
    "ask_incident": "utter_faq_incident",
    "ask_how_to_buy": "utter_faq_how_to_buy",
    "ask_legacy_pack": "utter_faq_legacy_pack",
    "ask_hours": "utter_faq_hours",
    "ask_flow": "utter_faq_flow",
    "ask_survey": "utter_faq_survey",
    "ask_contact": "utter_faq_contact",
    "ask_scope": "utter_faq_scope",
    "ask_severity": "utter_faq_severity",
    "ask_business_critical": "utter_faq_business_critical",
    "ask_data_recovery": "utter_faq_data_recovery",
}


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
