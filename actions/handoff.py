"""Handing the conversation to a person (担当者へのおつなぎ).

Inside business hours the conversation is recorded as a ticket, the agents are
notified (webhook with the ticket and the recent transcript), and the bot steps
back: ``handoff_form`` stays active and only relays what the customer writes,
until they cancel or leave. Outside business hours the ticket is recorded, the
customer is told when the desk opens and, for a severity A case, given the 24-hour
phone line.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import tickets
from actions.common import calendar, clip, fact_values, latest_intent, latest_text, now

# 「キャンセル」「取り消して」「やっぱりいいです」「もう大丈夫」
_CANCEL = re.compile(
    r"キャンセル|取り?消|とりけ|やっぱり(?:いい|大丈夫|結構|やめ)|もう(?:大丈夫|いい|結構)|やめます|不要です"
)
_LEAVING_INTENTS = frozenset({"goodbye"})


def wants_to_cancel(text: str) -> bool:
    return bool(_CANCEL.search(unicodedata.normalize("NFKC", text)))


def _after_another_action(tracker: Tracker) -> bool:
    """Run as the follow-up of another action (the fallback, the survey) rather than
    by a rule right after the customer's message: no rule knows what comes next, so
    this action says it (relay in handoff_form, or listen)."""
    return tracker.latest_action_name not in (None, "action_listen")


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        moment = now()
        facts = fact_values(moment)
        inside = calendar().is_business_hours(moment)
        ticket_no = tracker.get_slot("ticket_no")
        if not ticket_no or tracker.get_slot("problem_description"):
            # A handoff in the middle of a triage (or before any) gets its own ticket.
            ticket = await tickets.create_ticket(
                tickets.draft_from_tracker(
                    tracker,
                    kind="handoff",
                    received_at=moment,
                    outcome="handoff" if inside else "handoff_after_hours",
                    description=tracker.get_slot("problem_description") or tickets.customer_words(tracker),
                )
            )
            ticket_no = ticket.ticket_no if ticket else None
        events: List[Dict[str, Any]] = [SlotSet("ticket_no", ticket_no)]
        if inside:
            if ticket_no:
                await tickets.set_handoff(str(ticket_no), "requested", tickets.transcript(tracker))
                dispatcher.utter_message(response="utter_handoff_open", ticket_no=ticket_no)
            else:
                dispatcher.utter_message(response="utter_handoff_open_no_ticket")
            events += [SlotSet("handoff_state", "requested"), SlotSet("handoff_messages", 0.0)]
            if _after_another_action(tracker):
                events.append(FollowupAction("handoff_form"))
            return events
        if ticket_no:
            await tickets.set_handoff(str(ticket_no), "after_hours", tickets.transcript(tracker))
            dispatcher.utter_message(response="utter_handoff_closed", ticket_no=ticket_no, **facts)
        else:
            dispatcher.utter_message(response="utter_handoff_closed_no_ticket", **facts)
        if tracker.get_slot("severity") == "A":
            dispatcher.utter_message(response="utter_handoff_closed_severity_a", **facts)
        else:
            dispatcher.utter_message(response="utter_handoff_closed_a_line", **facts)
        events.append(SlotSet("handoff_state", "after_hours"))
        if _after_another_action(tracker):
            events.append(FollowupAction("action_listen"))
        return events


class ValidateHandoffForm(FormValidationAction):
    """While a person is being called, every message is passed on to them."""

    def name(self) -> str:
        return "validate_handoff_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        if tracker.get_slot("requested_slot") != "handoff_note":
            # Just activated: the message that asked for a person is in the ticket's
            # transcript already; nothing to relay yet.
            return [SlotSet("requested_slot", "handoff_note")]
        text = latest_text(tracker)
        intent, confidence = latest_intent(tracker)
        if text and wants_to_cancel(text):
            return [SlotSet("handoff_state", "cancelled"), SlotSet("requested_slot", None)]
        if intent in _LEAVING_INTENTS and confidence >= 0.8:
            return [SlotSet("handoff_state", "ended"), SlotSet("requested_slot", None)]
        ticket_no = tracker.get_slot("ticket_no")
        if text and ticket_no:
            await tickets.relay_to_agent(str(ticket_no), clip(text))
        count = int(tracker.get_slot("handoff_messages") or 0) + 1
        # The note is never kept: the form stays open and keeps relaying.
        return [
            SlotSet("handoff_messages", float(count)),
            SlotSet("handoff_note", None),
            SlotSet("requested_slot", "handoff_note"),
        ]


class ActionAskHandoffNote(Action):
    """Silent right after the handoff message; afterwards confirms each relayed message."""

    def name(self) -> str:
        return "action_ask_handoff_note"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        if int(tracker.get_slot("handoff_messages") or 0) > 0:
            dispatcher.utter_message(response="utter_handoff_relayed")
        return []


class ActionEndHandoff(Action):
    def name(self) -> str:
        return "action_end_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        state = tracker.get_slot("handoff_state")
        ticket_no = tracker.get_slot("ticket_no")
        if state == "cancelled":
            if ticket_no:
                await tickets.set_handoff(str(ticket_no), "cancelled", tickets.transcript(tracker))
            dispatcher.utter_message(response="utter_handoff_cancelled")
            dispatcher.utter_message(response="utter_anything_else")
        else:
            dispatcher.utter_message(response="utter_handoff_goodbye")
        return [SlotSet("handoff_note", None), SlotSet("handoff_messages", 0.0)]
