"""What happens next, once the triage form is complete (POLICY §3–§5).

The outcome is also recorded as an intake ticket whose number the customer is
shown; the satisfaction survey follows (actions/survey.py).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import tickets
from actions.common import calendar, fact_values, now
from support_rules.contracts import contract_allows, is_contract
from support_rules.jp_format import format_datetime
from support_rules.reception import decide_reception
from support_rules.scope import redirect_for
from support_rules.triage import TriageInput, decide

# Slots that describe one triage; cleared after the outcome so that the next
# problem in the same conversation is triaged afresh (the contract is kept).
TRIAGE_INPUT_SLOTS = (
    "problem_description",
    "severity",
    "severity_reason",
    "severity_confirmed",
    "impact_attempts",
    "phone_reachable",
    "form_retries",
    "contract_attempts",
    "contact_error",
    "contact_attempts",
    "calling_now",
    "last_decided",
    "last_reading",
    "step_paused",
)

_NEXT_DAY_RESPONSES = {
    "weekend": "utter_outcome_next_day_weekend",
    "closing_day": "utter_outcome_next_day_closing_day",
}
_CONTRACT_OK_RESPONSES = {
    "on_demand": "utter_contract_ok_on_demand",
    "pack5": "utter_contract_ok_pack5",
    "pack5_legacy": "utter_contract_ok_pack5_legacy",
}
_PREMIER_NOTES = {
    "root_cause": "utter_scope_note_root_cause",
    "third_party": "utter_scope_note_third_party",
    "debugging": "utter_scope_note_debugging",
    "product_change": "utter_scope_note_product_change",
    "development": "utter_scope_note_development",
}


class ActionTriageOutcome(Action):
    def name(self) -> str:
        return "action_triage_outcome"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        moment = now()
        facts = fact_values(moment)
        cal = calendar()
        severity_slot = tracker.get_slot("severity")
        contract_slot = tracker.get_slot("contract")
        contract = contract_slot if is_contract(contract_slot) else None
        description = tracker.get_slot("problem_description") or ""
        decision = decide(
            TriageInput(
                text=description,
                received_at=moment,
                intent="report_problem",
                contract=contract,
                phone_reachable=tracker.get_slot("phone_reachable"),
                severity_override=severity_slot if severity_slot in ("A", "B", "C") else None,
            ),
            cal,
        )
        decided = severity_slot in ("A", "B", "C")
        reception = decision.reception
        contract_ok = decision.contract_ok
        severity: str | None = decision.severity
        if not decided:
            # "undetermined" (the customer could not say; an engineer decides) is routed
            # like B/C and is never A: decide() must not re-read the description's symptom
            # (「サーバーが落ちました！！」) as an impact the customer did not state (POLICY §2.1).
            reception = decide_reception(None, moment, cal, None)
            contract_ok = contract_allows(contract, None) if contract is not None else None
            severity = severity_slot if isinstance(severity_slot, str) else None
        elif reception is None:
            reception = decide_reception(None, moment, cal, None)
        start = format_datetime(reception.starts_at, moment.date()) if reception.starts_at else None

        calling = bool(tracker.get_slot("calling_now"))
        if calling:
            # The customer is phoning now: the ticket number is all that is left to say.
            pass
        elif reception.severity == "A":
            response = "utter_outcome_a" if reception.inside_hours else "utter_outcome_a_after_hours"
            dispatcher.utter_message(response=response, phone=facts["a_phone"])
        elif reception.downgraded:
            dispatcher.utter_message(response="utter_outcome_downgraded", start=start)
        elif reception.when == "now":
            if severity_slot in ("B", "C"):
                dispatcher.utter_message(response="utter_outcome_now", severity=severity_slot, phone=facts["phone"])
            else:
                dispatcher.utter_message(response="utter_outcome_now_undetermined", phone=facts["phone"])
        else:
            reason = cal.closed_reason(moment.date())
            if reason == "holiday":
                dispatcher.utter_message(
                    response="utter_outcome_next_day_holiday",
                    holiday=cal.holiday_name(moment.date()),
                    start=start,
                )
            elif reason in _NEXT_DAY_RESPONSES:
                dispatcher.utter_message(response=_NEXT_DAY_RESPONSES[reason], start=start)
            else:
                dispatcher.utter_message(response="utter_outcome_next_day_after_hours", start=start)

        if not calling:
            self._contract_message(dispatcher, contract_slot, reception.severity, facts)

        if decision.scope in _PREMIER_NOTES:
            dispatcher.utter_message(response=_PREMIER_NOTES[decision.scope], premier=facts["premier"])
        if decision.data_recovery:
            dispatcher.utter_message(response="utter_data_recovery_note")

        ticket = await tickets.ticket_for_problem(
            tracker,
            description,
            tickets.draft_from_tracker(
                tracker,
                kind="triage",
                received_at=moment,
                outcome="triage",
                description=description,
                severity=severity,
                downgraded=reception.downgraded,
                contract_ok=contract_ok,
                scope=decision.scope,
                redirect=redirect_for(decision.scope),
                reception_route=reception.route,
                reception_starts_at=reception.starts_at,
            ),
        )
        if ticket is not None:
            dispatcher.utter_message(
                response="utter_ticket_created_calling" if calling else "utter_ticket_created",
                ticket_no=ticket.ticket_no,
            )
        else:
            dispatcher.utter_message(response="utter_ticket_unavailable")

        events: List[Dict[str, Any]] = [
            SlotSet("ticket_no", ticket.ticket_no if ticket else None),
            SlotSet("scope", decision.scope),
            SlotSet("redirect", redirect_for(decision.scope)),
            SlotSet("downgraded", reception.downgraded),
            SlotSet("contract_ok", contract_ok),
            SlotSet("reception_route", reception.route),
            SlotSet("reception_starts_at", reception.starts_at.isoformat() if reception.starts_at else None),
            SlotSet("ticket_problem", description or None),
            # No satisfaction survey in the middle of an outage, or while the customer dials.
            SlotSet("survey_due", not calling and reception.severity != "A"),
        ]
        events += [SlotSet(slot, None) for slot in TRIAGE_INPUT_SLOTS]
        return events

    @staticmethod
    def _contract_message(
        dispatcher: CollectingDispatcher, contract: Any, severity: Any, facts: Dict[str, str]
    ) -> None:
        if contract == "none":
            if severity == "A":
                dispatcher.utter_message(response="utter_contract_none_for_a", **facts)
            else:
                dispatcher.utter_message(response="utter_contract_none", **facts)
        elif contract == "pack5_legacy" and severity == "A":
            dispatcher.utter_message(response="utter_contract_legacy_for_a", **facts)
        elif contract in _CONTRACT_OK_RESPONSES:
            dispatcher.utter_message(response=_CONTRACT_OK_RESPONSES[contract])
        else:
            dispatcher.utter_message(response="utter_contract_unknown")


class ActionResetTriage(Action):
    """Forget an unfinished triage (the customer left it or asked for a person)."""

    def name(self) -> str:
        return "action_reset_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        return [SlotSet(slot, None) for slot in TRIAGE_INPUT_SLOTS] + [SlotSet("requested_slot", None)]
