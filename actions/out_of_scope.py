"""Redirects for requests the Professional Support desk does not take (POLICY §5)."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import tickets
from actions.common import clip, fact_values, latest_intent, latest_text, now, read_scope, standing_rules
from actions.registry import TRIAGE_CONTINUES
from support_rules import answers
from support_rules.scope import INTENT_SCOPES, redirect_for

REDIRECT_RESPONSES: Dict[str, str] = {
    "root_cause": "utter_redirect_root_cause",
    "development": "utter_redirect_development",
    "debugging": "utter_redirect_debugging",
    "product_change": "utter_redirect_product_change",
    "third_party": "utter_redirect_third_party",
    "consulting": "utter_redirect_consulting",
    "oem_vendor": "utter_redirect_oem_vendor",
    "consumer_product": "utter_redirect_consumer_product",
}


class ActionHandleOutOfScope(Action):
    def name(self) -> str:
        return "action_handle_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        intent, _ = latest_intent(tracker)
        text = latest_text(tracker)
        scope = INTENT_SCOPES.get(intent or "") or read_scope(tracker, text)
        standing_rules(dispatcher, tracker)
        if scope is None:
            dispatcher.utter_message(response="utter_how_can_help")
            return [SlotSet("redirect_ends_triage", False)]
        dispatcher.utter_message(response=REDIRECT_RESPONSES[scope], **fact_values())
        in_triage = tracker.active_loop_name == "triage_form"
        if in_triage and scope not in TRIAGE_CONTINUES and answers.is_question(text):
            # Asked on the side (「ついでに…も聞けますか？」): answered, the triage goes on.
            dispatcher.utter_message(response="utter_redirect_then_resume")
            return [SlotSet("redirect_ends_triage", False)]
        events: List[Dict[str, Any]] = [
            SlotSet("scope", scope),
            SlotSet("redirect", redirect_for(scope)),
            SlotSet("redirect_ends_triage", in_triage and scope not in TRIAGE_CONTINUES),
        ]
        if in_triage and scope in TRIAGE_CONTINUES:
            # The triage goes on; its ticket records the scope note.
            dispatcher.utter_message(response="utter_redirect_triage_continues")
            return events
        # The inquiry ends here with a redirect: record it as a ticket too (once per problem).
        description = tracker.get_slot("problem_description") or clip(text)
        earlier = tracker.get_slot("ticket_no")
        ticket = await tickets.ticket_for_problem(
            tracker,
            description,
            tickets.draft_from_tracker(
                tracker,
                kind="redirect",
                received_at=now(),
                outcome="redirect",
                description=description,
                scope=scope,
                redirect=redirect_for(scope),
            ),
        )
        if ticket is not None:
            response = (
                "utter_ticket_already_recorded" if ticket.ticket_no == earlier else "utter_ticket_recorded_redirect"
            )
            dispatcher.utter_message(response=response, ticket_no=ticket.ticket_no)
            events += [SlotSet("ticket_no", ticket.ticket_no), SlotSet("ticket_problem", description)]
        if not in_triage:
            dispatcher.utter_message(response="utter_anything_else")
        return events
