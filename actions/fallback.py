"""Two-stage fallback in Japanese, ending with a person (or the contract center's number)."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import fact_values, latest_text, read_scope, standing_rules
from actions.out_of_scope import ActionHandleOutOfScope
from support_rules.normalize import is_foreign

# "Did you mean …?" questions exist for the topics where a yes/no makes sense.
AFFIRMATION_RESPONSES: Dict[str, str] = {
    "report_problem": "utter_ask_affirmation_report_problem",
    "ask_price": "utter_ask_affirmation_ask_price",
    "ask_contract_types": "utter_ask_affirmation_ask_contract_types",
    "ask_hours": "utter_ask_affirmation_ask_hours",
    "ask_contact": "utter_ask_affirmation_ask_contact",
    "ask_scope": "utter_ask_affirmation_ask_scope",
    "request_human": "utter_ask_affirmation_request_human",
    "request_root_cause": "utter_ask_affirmation_request_root_cause",
    "request_consulting": "utter_ask_affirmation_request_consulting",
}


class ActionDefaultAskAffirmation(Action):
    """ "Did you mean …?" for the most likely intent, or a plain request to rephrase."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        text = latest_text(tracker)
        if not text:
            dispatcher.utter_message(response="utter_empty_message")
            return []
        if is_foreign(text, min_latin_words=1):
            dispatcher.utter_message(response="utter_please_type_japanese")
            return []
        if standing_rules(dispatcher, tracker):
            # Not understood as a whole, but the impact is clear: the number comes first.
            dispatcher.utter_message(response="utter_ask_affirmation_report_problem")
            return []
        if read_scope(tracker, text) is not None:
            # The topic is unsure but the request is clearly one the desk does not take
            # (「Lenovoのサーバーのメーカー製ドライバーを…」): say where it goes instead of
            # asking what was meant.
            return await ActionHandleOutOfScope().run(dispatcher, tracker, domain)
        ranking = tracker.latest_message.get("intent_ranking") or []
        candidates = [
            str(entry.get("name")) for entry in ranking if entry.get("name") and entry.get("name") != "nlu_fallback"
        ]
        response = AFFIRMATION_RESPONSES.get(candidates[0]) if candidates else None
        if response is not None:
            dispatcher.utter_message(response=response)
            return []
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []


class ActionDefaultFallback(Action):
    """Final fallback.

    After the two-stage fallback has failed (the customer was not understood twice
    in a row) a person takes over: ``action_request_human`` follows, which records
    the ticket and notifies the agents, or gives the hours and phone line when the
    desk is closed. The unclear messages stay in the transcript for that person.
    A dialogue the policies cannot continue (core fallback) gets the contract
    center's number instead and the message is forgotten.
    """

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        standing_rules(dispatcher, tracker)
        if tracker.active_loop_name == "action_two_stage_fallback":
            dispatcher.utter_message(response="utter_default_to_handoff")
            return [FollowupAction("action_request_human")]
        dispatcher.utter_message(response="utter_default", **fact_values())
        return [UserUtteranceReverted()]
