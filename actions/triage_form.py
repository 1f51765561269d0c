"""The triage form: asks only for what the customer has not said yet.

The last questions are the contact details for the intake ticket (actions/contact.py).

Slots are filled by the ``extract_*`` methods below from the latest message (custom
slot mappings), so the same rules read a first long description and a short answer
to a question. A question of the form is never answered by guessing: an unclear
impact gets a follow-up question, and "I don't know" is never taken as A.

Before any slot is read, :meth:`ValidateTriageForm._standing` applies the rules that
hold at every step: an A-level statement gets the phone number at once; a customer
who is about to call gets the number and no further question; corrections (of the
severity — also away from A —, the contract, a contact detail, or just 「そういう意味
じゃない」) re-decide; a question is answered and stored nowhere. Requests that have
their own rule (FAQ, out-of-scope, a person, leaving) are left to it: the form
rejects the message and resumes after the rule's answer.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import tickets
from actions.common import (
    INTERRUPTING_INTENTS,
    ImpactReading,
    answer_faq,
    calendar,
    clip,
    desk,
    entity_values,
    fact_values,
    faq_candidate,
    give_a_phone,
    is_payload,
    latest_intent,
    latest_text,
    now,
    read_impact,
    read_scope,
    reads_latest_message,
    standing_rules,
    states_a,
    times_asked,
)
from actions.contact import CONTACT_SLOTS, ContactSlotsMixin, found_contacts, is_step_interruption, on_a_path
from actions.registry import DESCRIBING_INTENTS
from actions.tickets import DECLINED
from support_rules import answers
from support_rules.contracts import parse_contract, resolve_contract
from support_rules.jp_format import format_datetime
from support_rules.severity import CHOICE_LABELS, SEVERITIES, parse_severity_choice

# Steps at which a question can itself be the answer (a description, an impact).
_QUESTION_IS_AN_ANSWER = frozenset({None, "problem_description", "severity"})
_NO_VAGUE_CORRECTION = frozenset({"severity_confirmed", "phone_reachable", "contact_confirmed"})
CONTRACT_NOTED = {
    "on_demand": "utter_contract_noted_on_demand",
    "pack5": "utter_contract_noted_pack5",
    "pack5_legacy": "utter_contract_noted_pack5_legacy",
    "none": "utter_contract_noted_none",
}
MAX_PHONE_REACHABLE_TRIES = 3
MAX_CONTRACT_TRIES = 2


def _chosen_severity(tracker: Tracker, intent: str | None, text: str) -> str | None:
    if not is_payload(text) and answers.plays_down_impact(text):
        return None  # 「深刻度Aじゃなくて…」 names A to refuse it
    for value in entity_values(tracker, "severity"):
        letter = value.strip().upper()
        if letter in SEVERITIES:
            return letter
    if intent == "choose_severity" and not is_payload(text):
        return parse_severity_choice(text)
    return None


def _started_by(tracker: Tracker, action: str) -> bool:
    """The form runs as the follow-up of ``action`` (the form's own event skipped)."""
    skipped = False
    for event in reversed(tracker.events):
        if event.get("event") != "action":
            continue
        name = event.get("name")
        if name == "triage_form" and not skipped:
            skipped = True
            continue
        return bool(name == action)
    return False


def _corrects_something_else(tracker: Tracker, text: str) -> bool:
    """「名前の漢字を間違えました。山田 太朗です」「契約は旧価格のパックでした」: the correction
    is about a contact detail or the contract, not about the impact."""
    if answers.stated_contract(text):
        return True
    found = found_contacts(tracker, text, only_empty=False)
    return any(value != tracker.get_slot(slot) for slot, value in found.items())


def _read_confirmation(tracker: Tracker, text: str) -> ImpactReading:
    """The impact in an answer to "is this severity right?": a correction in a whole
    sentence (「すみません、私だけでなく営業部の全員が同じ状態です。ほかの部署は大丈夫です」) is
    read like any message; a short answer (「全員です」) by the extent rules."""
    if answers.is_correction(text) and not _corrects_something_else(tracker, text):
        reading = read_impact(tracker, text)
        if reading.severity is not None:
            return reading
    return read_impact(tracker, text, extent_only=True)


class ValidateTriageForm(ContactSlotsMixin, FormValidationAction):
    def name(self) -> str:
        return "validate_triage_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Like rasa-sdk's, but applies the standing rules first and keeps the extra
        slots an extractor sets (rasa-sdk returns only the events of required slots,
        so the reason, the attempt counters and the scope set next to them would be lost).
        """
        fresh = reads_latest_message(tracker, own="triage_form")
        if not fresh and _started_by(tracker, "action_end_handoff"):
            # Resumed after the handoff was cancelled: the message was 「キャンセル」, which
            # the handoff handled; the question that was open is asked again.
            return self._with_asked_before(tracker, [await self.next_requested_slot(dispatcher, tracker, domain)])
        standing = self._standing(dispatcher, tracker) if fresh else None
        if standing is not None:
            standing_events: List[Dict[str, Any]] = [SlotSet(slot, value) for slot, value in standing.items()]
            tracker.add_slots(standing_events)
            standing_rules(dispatcher, tracker)
            return self._with_asked_before(
                tracker, [*standing_events, await self.next_requested_slot(dispatcher, tracker, domain)]
            )
        extraction_events = await self.get_extraction_events(dispatcher, tracker, domain)
        tracker.add_slots(extraction_events)
        validation_events: List[Dict[str, Any]] = await self._extract_validation_events(dispatcher, tracker, domain)
        validated = {e.get("name") for e in validation_events if e.get("event") == "slot"}
        extra = [e for e in extraction_events if e.get("name") not in validated]
        accepted = any(e.get("name") != "requested_slot" for e in extra + validation_events)
        if fresh and not accepted:
            # Nothing read: the form rejects the message and the interruption rules
            # answer it (a rejected form sends nothing, so nothing is said here).
            return extra + validation_events
        if fresh:
            standing_rules(dispatcher, tracker)
        return self._with_asked_before(tracker, extra + validation_events)

    @staticmethod
    def _with_asked_before(tracker: Tracker, events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """``asked_before``: the next question was asked already in this triage, so it
        comes back in shorter, different words (the domain's conditional variants)."""
        requested = [e.get("value") for e in events if e.get("event") == "slot" and e.get("name") == "requested_slot"]
        slot = requested[0] if requested else tracker.get_slot("requested_slot")
        again = bool(slot) and times_asked(tracker, f"action_ask_{slot}", since_loop="triage_form") > 0
        return [*events, SlotSet("asked_before", again)]

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Always name the next question (rasa-sdk leaves it to Rasa when the list
        happens to equal the domain's)."""
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.get_slot(slot) is None), None)
        event: Dict[str, Any] = SlotSet("requested_slot", missing)
        return event

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        calling = bool(tracker.get_slot("calling_now"))
        slots = [] if calling and not tracker.get_slot("problem_description") else ["problem_description"]
        slots.append("severity")
        severity = tracker.get_slot("severity")
        if severity in ("B", "C"):
            slots.append("severity_confirmed")
        if severity == "A" and not calendar().is_business_hours(now()):
            slots.append("phone_reachable")
        slots.append("contract")
        # Contact details for the intake ticket come last (actions/contact.py).
        slots.extend(CONTACT_SLOTS)
        if tracker.get_slot("contact_prefilled") and not on_a_path(tracker):
            slots.append("contact_confirmed")
        return slots

    # ------------------------------------------------------------------ standing rules
    def _standing(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any] | None:
        """The rules that hold at every step. Returns the slots to set when the message
        was handled here (nothing else reads it), None to read it as usual or to let
        the interruption rules have it (the form then rejects the message)."""
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        intent, confidence = latest_intent(tracker)
        if requested is None or not text or is_payload(text):
            return None
        if answers.is_restart_command(text):
            # However it was classified: the question is not asked, action_restart follows.
            return {"last_reading": "restart"}
        if intent == "goodbye" and confidence >= answers.CONFIDENT:
            return None  # its rule ends the form
        if intent == "calling_now" or answers.is_calling_now(text):
            return self._calling_now(dispatcher, tracker, text)
        if answers.is_gibberish(text):
            dispatcher.utter_message(response="utter_ask_rephrase")
            return {"last_reading": "gibberish"}
        if intent == "want_to_ask" or answers.wants_to_ask(text):
            dispatcher.utter_message(response="utter_please_ask")
            return {"step_paused": True, "last_reading": "wants_to_ask"}
        severity_change = self._severity_correction(dispatcher, tracker, text, requested)
        if severity_change is not None:
            return severity_change
        if intent in INTERRUPTING_INTENTS:
            at_contact_step = str(requested).startswith("contact_")
            if not at_contact_step or is_step_interruption(tracker, text):
                return None  # the FAQ / out-of-scope / person rule answers, the form resumes
        if answers.is_vague_correction(text) and requested not in _NO_VAGUE_CORRECTION:
            return self._undo_last(dispatcher, tracker)
        contract = answers.stated_contract(text)
        states_it = intent == "inform_contract" or answers.is_correction(text) or str(requested).startswith("contact_")
        if contract and requested != "contract" and states_it:
            if contract != tracker.get_slot("contract"):
                dispatcher.utter_message(response=CONTRACT_NOTED[contract])
            return {"contract": contract, "contract_attempts": 0.0, "last_decided": "contract"}
        if answers.is_correction(text) and requested != "contact_confirmed":
            corrected = {
                slot: value
                for slot, value in found_contacts(tracker, text, only_empty=False).items()
                if value != tracker.get_slot(slot)
            }
            if corrected and not (str(requested).startswith("contact_") and requested in corrected):
                dispatcher.utter_message(response="utter_contact_corrected")
                return {**corrected, "last_decided": next(iter(corrected))}
        if requested not in _QUESTION_IS_AN_ANSWER and answers.is_question(text):
            if answers.looks_like_phone_number(text) or "@" in text:
                return None
            faq = faq_candidate(tracker, text)
            if not (faq and answer_faq(dispatcher, faq, text)):
                dispatcher.utter_message(response="utter_question_later")
            return {"last_reading": "question"}
        return None

    def _severity_correction(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str, requested: Any
    ) -> Dict[str, Any] | None:
        """A new or corrected impact said at a later step re-decides the severity."""
        severity = tracker.get_slot("severity")
        at_contact_step = str(requested).startswith("contact_")
        if severity is not None and answers.plays_down_impact(text):
            # Below A, and at a contact question (「開発用品株式会社」), only a correction counts.
            explicit = answers.is_correction(text) or answers.named_severity(text) is not None
            counts = (severity == "A" and not at_contact_step) or explicit or "深刻度" in text
            if counts and (severity == "A" or requested not in ("severity", "severity_confirmed")):
                return self._played_down(dispatcher, tracker, text)
        if requested in _QUESTION_IS_AN_ANSWER or requested == "severity_confirmed":
            return None  # the step itself reads the impact
        named = answers.named_severity(text)
        if named and severity and named != severity:
            dispatcher.utter_message(response="utter_severity_changed", severity=named)
            values = self._severity_values(named, CHOICE_LABELS[named], dispatcher, chosen=True)  # type: ignore[index]
            values["phone_reachable"] = None
            return values
        reading = states_a(tracker, text)
        if reading is not None:
            if severity == "A":
                give_a_phone(dispatcher, tracker, reading.reason)
                return {"last_reading": "a_statement"}
            values = self._severity_values("A", reading.reason, dispatcher)
            values["contact_error"] = None
            return values
        if severity and answers.is_correction(text) and not _corrects_something_else(tracker, text):
            other = read_impact(tracker, text)
            if other.severity in ("B", "C") and other.severity != severity:
                values = self._severity_values(other.severity, other.reason, dispatcher)
                values["phone_reachable"] = None
                return values
        return None

    def _played_down(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> Dict[str, Any]:
        """「検証用のサーバーでした」「深刻度Aじゃなくて大丈夫です」: not as serious as read."""
        reading = read_impact(tracker, text)
        named = answers.named_severity(text)
        new = named or (reading.severity if reading.severity in ("B", "C") else answers.played_down_severity(text))
        dispatcher.utter_message(
            response="utter_severity_withdrawn" if tracker.get_slot("severity") == "A" else "utter_correction_ack"
        )
        values: Dict[str, Any] = {"phone_reachable": None, "downgraded": None, "form_retries": 0.0}
        if new and new != tracker.get_slot("severity"):
            reason = CHOICE_LABELS[new] if named or reading.severity != new else reading.reason  # type: ignore[index]
            values.update(self._severity_values(new, reason, dispatcher, chosen=bool(named)))
            return values
        values.update(
            {
                "severity": None,
                "severity_reason": None,
                "severity_confirmed": None,
                "impact_attempts": float(max(1, int(tracker.get_slot("impact_attempts") or 0))),
                "last_reading": "severity_withdrawn",
                "last_decided": "severity",
            }
        )
        return values

    def _undo_last(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[str, Any]:
        """「そういう意味じゃない」: the last reading was wrong; ask that point again."""
        last = tracker.get_slot("last_decided")
        if last is None and tracker.get_slot("severity") is not None:
            last = "severity"
        if last == "severity":
            dispatcher.utter_message(response="utter_correction_severity")
            return {
                "severity": None,
                "severity_reason": None,
                "severity_confirmed": None,
                "phone_reachable": None,
                "impact_attempts": float(max(1, int(tracker.get_slot("impact_attempts") or 0))),
                "last_reading": "severity_withdrawn",
                "last_decided": None,
            }
        if last == "contract":
            dispatcher.utter_message(response="utter_correction_contract")
            return {
                "contract": None,
                "contract_attempts": 0.0,
                "last_decided": None,
                "last_reading": "vague_correction",
            }
        if last in CONTACT_SLOTS:
            dispatcher.utter_message(response="utter_correction_contact")
            return {last: None, "contact_error": None, "last_decided": None, "last_reading": "vague_correction"}
        dispatcher.utter_message(response="utter_correction_unclear")
        return {"last_reading": "vague_correction"}

    def _calling_now(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> Dict[str, Any]:
        """The customer is about to call (or asks whether to): the number, and no more questions."""
        moment = now()
        facts = fact_values(moment)
        inside = calendar().is_business_hours(moment)
        severity = tracker.get_slot("severity")
        reading = states_a(tracker, text)
        a_case = (severity == "A" or reading is not None) and tracker.get_slot("phone_reachable") is not False
        if a_case:
            dispatcher.utter_message(response="utter_calling_now_a", phone=facts["a_phone"])
        elif inside:
            dispatcher.utter_message(
                response="utter_calling_now", phone=facts["phone"], open=facts["open"], close=facts["close"]
            )
        else:
            # B/C outside hours are taken online only: said once, and no more questions.
            dispatcher.utter_message(
                response="utter_calling_now_closed", a_phone=facts["a_phone"], next_open=facts["next_open"]
            )
        values: Dict[str, Any] = {"calling_now": True, "last_reading": "calling_now", "step_paused": None}
        if not tracker.get_slot("problem_description"):
            # What the customer said before (never 「今から電話します」 itself); nothing
            # said yet: the problem is told on the phone (required_slots skips it).
            earlier = tickets.customer_words(tracker, before_latest=True)
            if earlier:
                values["problem_description"] = clip(earlier)
        if severity is None:
            if reading is not None:
                values.update({"severity": "A", "severity_reason": reading.reason})
            else:
                values["severity"] = "undetermined"
            values["severity_confirmed"] = True
        elif tracker.get_slot("severity_confirmed") is None:
            values["severity_confirmed"] = True
        if tracker.get_slot("phone_reachable") is None:
            values["phone_reachable"] = True
        if not tracker.get_slot("contract"):
            values["contract"] = "unknown"
        for slot in CONTACT_SLOTS:
            if not tracker.get_slot(slot):
                values[slot] = DECLINED
        values["contact_confirmed"] = True
        return values

    # ------------------------------------------------------------------ helpers
    def _severity_values(
        self, severity: str, reason: str | None, dispatcher: CollectingDispatcher, chosen: bool = False
    ) -> Dict[str, Any]:
        """Slots for a severity. One the customer picked is not asked back for
        confirmation; one read from their words is (an A goes straight to the phone)."""
        values: Dict[str, Any] = {
            "severity": severity,
            "severity_reason": reason,
            "severity_confirmed": True if severity == "A" or chosen else None,
            "last_decided": "severity",
        }
        if severity == "A":
            moment = now()
            response = (
                "utter_severity_a_call_now"
                if calendar().is_business_hours(moment)
                else "utter_severity_a_call_now_after_hours"
            )
            facts = fact_values(moment)
            dispatcher.utter_message(response=response, reason=reason, phone=facts["a_phone"])
        return values

    # ------------------------------------------------------------------ slots
    async def extract_problem_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("problem_description"):
            return {}
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        if not text or is_payload(text):
            return {}
        requested = tracker.get_slot("requested_slot")
        if requested == "problem_description":
            if intent in INTERRUPTING_INTENTS or answers.wants_to_ask(text) or answers.is_calling_now(text):
                return {}
            if intent == "start_over" and answers.is_restart_command(text):
                return {}
        elif requested is not None or (intent not in DESCRIBING_INTENTS and states_a(tracker, text) is None):
            return {}
        scope = read_scope(tracker, text) or "in_scope"
        values: Dict[str, Any] = {"problem_description": clip(text), "scope": scope}
        contacts = found_contacts(tracker, text)
        if contacts:
            values.update(contacts)
            values["contact_prefilled"] = True
        return values

    async def extract_severity(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("severity") is not None:
            return {}
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        if requested in (None, "problem_description"):
            chosen = _chosen_severity(tracker, intent, text)
            if chosen and intent == "choose_severity":
                # "深刻度Bで問い合わせたい": the customer names it before describing.
                return self._severity_values(chosen, CHOICE_LABELS[chosen], dispatcher, chosen=True)  # type: ignore[index]
            # The description arrived in this very turn: read its impact.
            description = tracker.get_slot("problem_description")
            if not description or description != clip(text):
                return {}
            reading = read_impact(tracker, description)
            if reading.severity is None:
                return {}
            return self._severity_values(reading.severity, reading.reason, dispatcher)
        if requested != "severity":
            return {}
        chosen = _chosen_severity(tracker, intent, text)
        if chosen:
            return self._severity_values(chosen, CHOICE_LABELS[chosen], dispatcher, chosen=True)  # type: ignore[index]
        if intent in INTERRUPTING_INTENTS:
            return {}
        if intent == "start_over" and answers.is_restart_command(text):
            return {}
        if intent != "dont_know" and text and not is_payload(text):
            reading = read_impact(tracker, text, extent_only=True)
            if reading.severity is not None:
                return self._severity_values(reading.severity, reading.reason, dispatcher)
        attempts = int(tracker.get_slot("impact_attempts") or 0) + 1
        if attempts > desk().max_impact_follow_ups:
            dispatcher.utter_message(response="utter_severity_undetermined")
            return {
                "severity": "undetermined",
                "severity_reason": None,
                "severity_confirmed": True,
                "impact_attempts": float(attempts),
            }
        return {"impact_attempts": float(attempts)}

    async def extract_severity_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != "severity_confirmed":
            return {}
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        chosen = _chosen_severity(tracker, intent, text)
        if chosen:
            if chosen == tracker.get_slot("severity"):
                return {"severity_confirmed": True}
            values = self._severity_values(chosen, CHOICE_LABELS[chosen], dispatcher, chosen=True)  # type: ignore[index]
            values["severity_confirmed"] = True
            return values
        if intent == "affirm":
            return {"severity_confirmed": True}
        if (
            text
            and not is_payload(text)
            and intent not in INTERRUPTING_INTENTS
            and not answers.is_vague_correction(text)
        ):
            # 「私だけでなく営業部の全員です」: a corrected impact, read as such.
            reading = _read_confirmation(tracker, text)
            if reading.severity is not None and reading.severity != tracker.get_slot("severity"):
                values = self._severity_values(reading.severity, reading.reason, dispatcher)
                values["severity_confirmed"] = True
                return values
        if intent == "deny" or answers.is_vague_correction(text):
            attempts = max(1, int(tracker.get_slot("impact_attempts") or 0))
            return {
                "severity": None,
                "severity_reason": None,
                "severity_confirmed": None,
                "impact_attempts": float(attempts),
                "last_reading": "severity_denied",
            }
        if intent in INTERRUPTING_INTENTS or not text or is_payload(text):
            return {}
        reading = read_impact(tracker, text, extent_only=True)
        if reading.severity is not None:
            values = self._severity_values(reading.severity, reading.reason, dispatcher)
            values["severity_confirmed"] = True
            return values
        if answers.parse_yes_no(text) is True:
            return {"severity_confirmed": True}
        return {}

    async def extract_phone_reachable(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("requested_slot") != "phone_reachable":
            return {}
        intent, _ = latest_intent(tracker)
        if intent in INTERRUPTING_INTENTS:
            return {}
        text = latest_text(tracker)
        answer = answers.parse_yes_no(text, intent if intent in ("affirm", "deny") else None)
        if answer is None and answers.defers_to_phone(text):
            answer = True  # 「お電話で伺います」: the customer will be on the phone
        if answer is None:
            retries = int(tracker.get_slot("form_retries") or 0) + 1
            if retries >= MAX_PHONE_REACHABLE_TRIES:
                # Never trap the customer: the engineer confirms it on the phone.
                dispatcher.utter_message(response="utter_phone_reachable_on_the_phone")
                return {"phone_reachable": True, "form_retries": 0.0}
            return {"form_retries": float(retries)}
        if answer is False:
            # The downgrade is said now, in the reply to 「いいえ」, with its date.
            moment = now()
            start = format_datetime(calendar().next_opening(moment), moment.date())
            dispatcher.utter_message(response="utter_downgraded_now", start=start)
            return {
                "phone_reachable": False,
                "downgraded": True,
                "form_retries": 0.0,
                "last_decided": "phone_reachable",
            }
        return {"phone_reachable": True, "form_retries": 0.0, "last_decided": "phone_reachable"}

    async def extract_contract(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if tracker.get_slot("contract"):
            return {}
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker)
        intent, _ = latest_intent(tracker)
        if intent in INTERRUPTING_INTENTS:
            # "5インシデントパックっていくら?" asks about a contract; it does not state one.
            return {}
        if intent == "start_over" and answers.is_restart_command(text):
            return {}
        found = resolve_contract(entity_values(tracker, "contract"))
        if requested in (None, "problem_description"):
            # Said up front ("オンデマンドで契約しています。サーバーが…").
            if found is None and intent in DESCRIBING_INTENTS and text and not is_payload(text):
                found = parse_contract(text)
            return {"contract": found} if found else {}
        if requested != "contract":
            # Said while another question is open: keep it, the question is asked again.
            if found is None and intent == "inform_contract" and text and not is_payload(text):
                found = parse_contract(text)
            return {"contract": found} if found and intent == "inform_contract" else {}
        if found is None and text and not is_payload(text):
            found = parse_contract(text)
        if found:
            return {"contract": found, "last_decided": "contract"}
        if text and not is_payload(text) and on_a_path(tracker) and answers.defers_to_phone(text):
            # 「お電話で伺います」: fine on the A path; the rest is said on the phone too.
            values: Dict[str, Any] = {"contract": "unknown"}
            for slot in CONTACT_SLOTS:
                if not tracker.get_slot(slot):
                    values[slot] = DECLINED
            return values
        if intent == "dont_know":
            return {"contract": "unknown"}
        attempts = int(tracker.get_slot("contract_attempts") or 0) + 1
        if attempts > MAX_CONTRACT_TRIES or (on_a_path(tracker) and attempts > 1):
            return {"contract": "unknown", "contract_attempts": float(attempts)}
        return {"contract_attempts": float(attempts)}


def _hold(tracker: Tracker) -> List[Dict[str, Any]] | None:
    """Ask nothing now: the customer announced a question (「ちょっと聞きたいことが…」),
    or asked to start over (then the restart follows this form's turn)."""
    if tracker.get_slot("last_reading") == "restart":
        return [FollowupAction("action_restart")]
    if tracker.get_slot("step_paused"):
        return [SlotSet("step_paused", None)]
    return None


class ActionAskProblemDescription(Action):
    def name(self) -> str:
        return "action_ask_problem_description"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        paused = _hold(tracker)
        if paused is not None:
            return paused
        dispatcher.utter_message(response="utter_ask_problem_description")
        return []


class ActionAskSeverity(Action):
    """Asks for business impact: first openly, then with concrete choices. Asked again,
    the question comes in other words (the domain's variants by ``asked_before``,
    ``impact_attempts`` and ``last_reading``): never twice word for word."""

    def name(self) -> str:
        return "action_ask_severity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        paused = _hold(tracker)
        if paused is not None:
            return paused
        intent, _ = latest_intent(tracker)
        attempts = int(tracker.get_slot("impact_attempts") or 0)
        reading = tracker.get_slot("last_reading")
        events: List[Dict[str, Any]] = []
        if reading in ("severity_withdrawn", "severity_denied") or (
            intent == "deny" and tracker.get_slot("requested_slot") in ("severity", "severity_confirmed")
        ):
            dispatcher.utter_message(response="utter_ask_severity_reselect")
            events.append(SlotSet("last_reading", None))
        elif attempts == 0:
            dispatcher.utter_message(response="utter_ask_severity")
        else:
            dispatcher.utter_message(response="utter_ask_severity_followup")
        return events


class ActionAskSeverityConfirmed(Action):
    def name(self) -> str:
        return "action_ask_severity_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        paused = _hold(tracker)
        if paused is not None:
            return paused
        dispatcher.utter_message(
            response="utter_ask_severity_confirmed",
            severity=tracker.get_slot("severity"),
            severity_reason=tracker.get_slot("severity_reason"),
        )
        return []


class ActionAskPhoneReachable(Action):
    def name(self) -> str:
        return "action_ask_phone_reachable"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        paused = _hold(tracker)
        if paused is not None:
            return paused
        retries = int(tracker.get_slot("form_retries") or 0)
        dispatcher.utter_message(response="utter_ask_phone_reachable_again" if retries else "utter_ask_phone_reachable")
        return []


class ActionAskContract(Action):
    def name(self) -> str:
        return "action_ask_contract"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        paused = _hold(tracker)
        if paused is not None:
            return paused
        attempts = int(tracker.get_slot("contract_attempts") or 0)
        if attempts:
            dispatcher.utter_message(response="utter_ask_contract_again")
        elif on_a_path(tracker):
            dispatcher.utter_message(response="utter_ask_contract_for_a")
        else:
            dispatcher.utter_message(response="utter_ask_contract")
        return []
