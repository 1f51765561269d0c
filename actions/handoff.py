"""Handing the conversation to a person (担当者へのおつなぎ).

Inside business hours the conversation is recorded as a ticket, the agents are
notified (webhook with the ticket and the recent transcript), and the bot steps
back: ``handoff_form`` stays active and only relays what the customer writes,
until they cancel or leave. Outside business hours the ticket is recorded, the
customer is told when the desk opens and, for a severity A case, given the 24-hour
phone line.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import tickets
from actions.calling import confirm_number
from actions.common import (
    FAQ_INTENTS,
    OUT_OF_SCOPE_INTENTS,
    answer_faq,
    calendar,
    clip,
    fact_values,
    faq_candidate,
    is_payload,
    latest_intent,
    latest_text,
    now,
    reads_latest_message,
    standing_rules,
)
from actions.out_of_scope import REDIRECT_RESPONSES
from support_rules import answers
from support_rules.scope import INTENT_SCOPES

_LEAVING_INTENTS = frozenset({"goodbye"})
wants_to_cancel = answers.wants_to_cancel


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
        if reads_latest_message(tracker):
            standing_rules(dispatcher, tracker)
        ticket_no = tracker.get_slot("ticket_no")
        events: List[Dict[str, Any]] = []
        if not ticket_no or tracker.get_slot("problem_description"):
            # A handoff in the middle of a triage (or before any) gets its own ticket,
            # unless this problem has one already.
            description = tracker.get_slot("problem_description") or tickets.customer_words(tracker)
            ticket = await tickets.ticket_for_problem(
                tracker,
                description,
                tickets.draft_from_tracker(
                    tracker,
                    kind="handoff",
                    received_at=moment,
                    outcome="handoff" if inside else "handoff_after_hours",
                    description=description,
                ),
            )
            ticket_no = ticket.ticket_no if ticket else None
            if ticket is not None and tracker.get_slot("problem_description"):
                # The triage that goes on after the handoff completes this same ticket.
                events.append(SlotSet("ticket_problem", description))
        events.append(SlotSet("ticket_no", ticket_no))
        if inside:
            # A triage waiting for the person (even before its first answer) resumes
            # when the customer cancels the handoff.
            events.append(SlotSet("triage_paused", tracker.active_loop_name == "triage_form"))
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
        if tracker.get_slot("severity") == "A" and tracker.get_slot("phone_reachable") is not False:
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
        if text and answers.is_restart_command(text):
            return [
                SlotSet("handoff_state", "cancelled"),
                SlotSet("requested_slot", None),
                SlotSet("last_reading", "restart"),
            ]
        if text and wants_to_cancel(text) and not answers.is_question(text):
            return [SlotSet("handoff_state", "cancelled"), SlotSet("requested_slot", None)]
        if intent in _LEAVING_INTENTS and confidence >= 0.8:
            return [SlotSet("handoff_state", "ended"), SlotSet("requested_slot", None)]
        ticket_no = tracker.get_slot("ticket_no")
        if text and ticket_no:
            await tickets.relay_to_agent(str(ticket_no), clip(text))
        # While waiting for a person the standing rules still hold: the number after an
        # A statement, the number again for a customer who is about to call.
        extra: List[Dict[str, Any]] = []
        if text and not is_payload(text):
            if intent == "calling_now" or answers.is_calling_now(text):
                confirm_number(dispatcher, tracker, text)
            elif standing_rules(dispatcher, tracker):
                extra.append(SlotSet("severity", "A"))
            elif answers.is_question(text) or (intent in OUT_OF_SCOPE_INTENTS and confidence >= answers.CONFIDENT):
                # A question while waiting is answered now; the person sees it too.
                self._answer(dispatcher, tracker, text, intent)
        count = int(tracker.get_slot("handoff_messages") or 0) + 1
        # The note is never kept: the form stays open and keeps relaying.
        return [
            *extra,
            SlotSet("handoff_messages", float(count)),
            SlotSet("handoff_note", None),
            SlotSet("requested_slot", "handoff_note"),
        ]

    @staticmethod
    def _answer(dispatcher: CollectingDispatcher, tracker: Tracker, text: str, intent: str | None) -> None:
        scope = INTENT_SCOPES.get(intent or "")
        if scope is not None:
            dispatcher.utter_message(response=REDIRECT_RESPONSES[scope], **fact_values())
            return
        faq = intent if intent in FAQ_INTENTS else faq_candidate(tracker, text)
        if faq:
            answer_faq(dispatcher, faq, text)


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
        paused = bool(tracker.get_slot("triage_paused"))
        events: List[Dict[str, Any]] = [
            SlotSet("handoff_note", None),
            SlotSet("handoff_messages", 0.0),
            SlotSet("triage_paused", None),
        ]
        if state == "cancelled":
            if ticket_no:
                await tickets.set_handoff(str(ticket_no), "cancelled", tickets.transcript(tracker))
            if tracker.get_slot("last_reading") == "restart":
                return [*events, SlotSet("last_reading", None), FollowupAction("action_restart")]
            dispatcher.utter_message(response="utter_handoff_cancelled")
            if paused or tracker.get_slot("problem_description"):
                # The triage that was waiting for the person goes on where it stopped.
                return [*events, FollowupAction("triage_form")]
            dispatcher.utter_message(response="utter_anything_else")
        else:
            dispatcher.utter_message(response="utter_handoff_goodbye")
        return events
