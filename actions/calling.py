"""「今から電話します」「電話したほうがいいですか」 outside a form: the number, and no question.

Inside the triage form the form's standing rules do the same (actions/triage_form.py).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import calendar, fact_values, latest_text, now, states_a


def is_a_case(tracker: Tracker, text: str) -> bool:
    """The conversation's case is severity A handled by phone (now or just triaged)."""
    if tracker.get_slot("phone_reachable") is False or tracker.get_slot("downgraded"):
        return False
    if tracker.get_slot("severity") == "A" or tracker.get_slot("reception_route") == "phone":
        return True
    return states_a(tracker, text) is not None


def confirm_number(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> None:
    moment = now()
    facts = fact_values(moment)
    if is_a_case(tracker, text):
        dispatcher.utter_message(response="utter_calling_now_a", phone=facts["a_phone"])
    elif calendar().is_business_hours(moment):
        dispatcher.utter_message(
            response="utter_calling_now", phone=facts["phone"], open=facts["open"], close=facts["close"]
        )
    else:
        dispatcher.utter_message(
            response="utter_calling_now_closed", a_phone=facts["a_phone"], next_open=facts["next_open"]
        )
    ticket_no = tracker.get_slot("ticket_no")
    if ticket_no:
        dispatcher.utter_message(response="utter_ticket_for_the_call", ticket_no=ticket_no)


class ActionCallingNow(Action):
    def name(self) -> str:
        return "action_calling_now"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        confirm_number(dispatcher, tracker, latest_text(tracker))
        return []
