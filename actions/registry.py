"""Which intents start, interrupt, answer or end a step of the conversation.

The one place that says what an intent does while a question is open; the action
modules read these sets, and ``scripts/validate_data.py`` checks them against the
domain (every intent is classified, every name here exists, every FAQ has its answer
and every interrupting intent has a rule that returns to the triage form). Plain data:
no Rasa imports, so the validation script can read it.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Mapping

from support_rules.scope import INTENT_SCOPES

# FAQ intent → the response that answers it (facts filled in from desk.yml).
FAQ_RESPONSES: Mapping[str, str] = {
    "ask_price": "utter_faq_price",
    "ask_contract_types": "utter_faq_contract_types",
    "ask_incident": "utter_faq_incident",
    "ask_how_to_buy": "utter_faq_how_to_buy",
    "ask_legacy_pack": "utter_faq_legacy_pack",
    "ask_hours": "utter_faq_hours",
    "ask_flow": "utter_faq_flow",
    "ask_survey": "utter_faq_survey",
    "ask_contact": "utter_faq_contact",
    "ask_premier": "utter_faq_premier",
    "ask_scope": "utter_faq_scope",
    "ask_severity": "utter_faq_severity",
    "ask_business_critical": "utter_faq_business_critical",
    "ask_data_recovery": "utter_faq_data_recovery",
}
FAQ_INTENTS: FrozenSet[str] = frozenset(FAQ_RESPONSES)
OUT_OF_SCOPE_INTENTS: FrozenSet[str] = frozenset(INTENT_SCOPES)

# A message with one of these intents starts a triage (its text is the description).
STARTING_INTENTS: FrozenSet[str] = frozenset(
    {"report_problem", "ask_data_recovery", "choose_severity", "inform_contract"}
)

# … and with these, its text is the problem description.
DESCRIBING_INTENTS: FrozenSet[str] = frozenset({"report_problem", "ask_data_recovery"})

# Intents that may be the answer to a question of a step (the step reads the text).
ANSWERING_INTENTS: FrozenSet[str] = frozenset(
    {"affirm", "deny", "dont_know", "inform_contract", "choose_severity", "report_problem"}
)

# Intents that interrupt a step: answered or handled by their own rule, after which
# the step resumes (or, for out-of-scope requests that end an inquiry, stops).
INTERRUPTING_INTENTS: FrozenSet[str] = (
    FAQ_INTENTS
    | OUT_OF_SCOPE_INTENTS
    | frozenset({"chitchat", "request_human", "greet", "thank", "calling_now", "want_to_ask"})
)

# Intents that end a step (and the conversation's current task). ``start_over`` only
# ends anything when the message really is a restart command
# (support_rules.answers.is_restart_command): 「株式会社リセット」 is a company name.
# (Rasa's own intent ``restart`` — the /restart button — always restarts.)
ENDING_INTENTS: FrozenSet[str] = frozenset({"goodbye", "start_over"})

# Steps that ask the customer something: form → the slots it asks for.
STEPS: Dict[str, tuple[str, ...]] = {
    "triage_form": (
        "problem_description",
        "severity",
        "severity_confirmed",
        "phone_reachable",
        "contract",
        "contact_company",
        "contact_name",
        "contact_phone",
        "contact_email",
        "contact_confirmed",
    ),
    "survey_form": ("survey_rating", "survey_comment"),
    "handoff_form": ("handoff_note",),
}

# Out-of-scope requests after which the triage of the same problem goes on: the
# investigation goes elsewhere, but restoring service is still in scope.
TRIAGE_CONTINUES: FrozenSet[str] = frozenset({"root_cause", "third_party", "debugging", "product_change"})


def classify(intent: str) -> str | None:
    """``start`` / ``answer`` / ``interrupt`` / ``end`` for a known intent, else None.

    An intent may both start a triage and answer a question (``report_problem``);
    the answer reading is the one a step applies.
    """
    if intent in ENDING_INTENTS:
        return "end"
    if intent in INTERRUPTING_INTENTS:
        return "interrupt"
    if intent in ANSWERING_INTENTS:
        return "answer"
    if intent in STARTING_INTENTS:
        return "start"
    return None
