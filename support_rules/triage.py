"""One triage decision from everything known about an inquiry.

Shared by the chat actions and the one-shot command so both apply the same rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from support_rules.calendar import BusinessCalendar
from support_rules.contracts import Contract, contract_allows
from support_rules.reading import ModelReading, Reading, combine
from support_rules.reception import Reception, decide_reception
from support_rules.scope import INTENT_SCOPES, Redirect, Scope, decide_scope, mentions_data_recovery, redirect_for
from support_rules.severity import Assessment, Severity, assess

# Intents whose text describes a problem that needs triage.
PROBLEM_INTENTS = frozenset({"report_problem", "choose_severity"})
# Cues that only say "this is a question", not what the impact is.
_QUESTION_CUES = frozenset({"how_to", "spec_question"})
# Below this intent confidence the classifier has no real opinion: a text that states
# a business impact is then read as the problem report it describes.
UNSURE_INTENT = 0.5
# The reader's confidence above which a C reading (a product question) stands even when
# the intent classifier leans, without confidence, towards an FAQ or small talk.
SURE_QUESTION = 0.7


@dataclass(frozen=True)
class TriageInput:
    text: str
    received_at: dt.datetime
    intent: str | None = None
    confidence: float = 1.0
    contract: Contract | None = None
    phone_reachable: bool | None = None
    severity_override: Severity | None = None  # chosen or corrected by the customer
    model: ModelReading | None = None  # the trained reader's output, when a model is loaded


@dataclass(frozen=True)
class TriageDecision:
    is_problem: bool
    assessment: Assessment
    severity: Severity | None  # after any downgrade
    initial_severity: Severity | None
    downgraded: bool
    scope: Scope
    redirect: Redirect | None
    reception: Reception | None
    contract_ok: bool | None
    missing: list[str] = field(default_factory=list)
    data_recovery: bool = False
    reading: Reading | None = None

    @property
    def reason_label(self) -> str | None:
        return self.reading.reason_label if self.reading is not None else self.assessment.reason_label

    @property
    def confidence(self) -> dict[str, float]:
        """Probability of each decided field, as the reader calibrated it."""
        out: dict[str, float] = {}
        if self.reading is None:
            return out
        reader_decided = self.reading.source == "reader" and self.reading.confidence is not None
        if self.initial_severity is not None and reader_decided and self.reading.confidence is not None:
            out["severity"] = round(self.reading.confidence, 3)
        if self.reading.scope_confidence is not None:
            out["scope"] = round(self.reading.scope_confidence, 3)
        return out


def decide(inquiry: TriageInput, calendar: BusinessCalendar) -> TriageDecision:
    scope = decide_scope(inquiry.intent, inquiry.text, inquiry.confidence)
    assessment = assess(inquiry.text)
    states_impact = any(hit.cue.id not in _QUESTION_CUES for hit in assessment.hits)
    reading: Reading | None = None
    if inquiry.model is not None:
        # The trained reader with the rules as guard rails (support_rules.reading).
        reading = combine(inquiry.text, inquiry.model, assessment, inquiry.severity_override, scope)
        scope = reading.scope
        # A problem report or product question, unless the intent classifier reads the
        # message as something else (an FAQ about prices, a greeting), it states no impact
        # and the reader is not sure it is a product question either.
        other_intent = (
            inquiry.intent is not None
            and inquiry.intent not in PROBLEM_INTENTS
            and inquiry.intent not in INTENT_SCOPES
            and inquiry.intent != "ask_data_recovery"
        )
        dialogue_only = (
            other_intent
            and not states_impact
            # a report the reader sees as A or B is never swallowed by a wrong intent
            and reading.severity not in ("A", "B")
            and (inquiry.confidence >= UNSURE_INTENT or (reading.confidence or 0.0) < SURE_QUESTION)
        )
        # A request for work another desk does (POLICY §5) carries a severity only when it
        # also describes trouble: a plain question about a home PC or a request for a macro
        # gets the redirect, not a reception date and a contract question.
        redirect_only = scope != "in_scope" and reading.severity == "C" and not states_impact
        is_problem = reading.problem and not dialogue_only and not redirect_only
        initial: Severity | None = inquiry.severity_override or (reading.severity if is_problem else None)
    else:
        # Rules only (no trained reader loaded). A problem report: the intent says so, or
        # another request (data recovery, an out-of-scope request) also describes what
        # is going wrong with its impact.
        is_problem = (
            inquiry.intent is None
            or inquiry.intent in PROBLEM_INTENTS
            or ((scope != "in_scope" or inquiry.intent == "ask_data_recovery") and states_impact)
            or (inquiry.confidence < UNSURE_INTENT and states_impact)
        )
        initial = inquiry.severity_override or (assessment.severity if is_problem else None)
    reception = (
        decide_reception(initial, inquiry.received_at, calendar, inquiry.phone_reachable)
        if initial is not None
        else None
    )
    final = reception.severity if reception else None
    contract_ok = contract_allows(inquiry.contract, final) if inquiry.contract is not None else None
    missing: list[str] = []
    if is_problem:
        if initial is None:
            missing.append("impact")
        if inquiry.contract is None:
            missing.append("contract")
    if reception is not None and reception.phone_condition_pending:
        missing.append("phone_reachable")
    return TriageDecision(
        is_problem=is_problem,
        assessment=assessment,
        severity=final,
        initial_severity=initial,
        downgraded=bool(reception and reception.downgraded),
        scope=scope,
        redirect=redirect_for(scope),
        reception=reception,
        contract_ok=contract_ok,
        missing=missing,
        data_recovery=mentions_data_recovery(inquiry.text),
        reading=reading,
    )


def decision_as_dict(decision: TriageDecision) -> dict[str, Any]:
    return {
        "severity": decision.severity,
        "downgraded": decision.downgraded,
        "scope": decision.scope,
        "redirect": decision.redirect,
        "reception": decision.reception.as_dict() if decision.reception else None,
        "contract_ok": decision.contract_ok,
        "missing": list(decision.missing),
        "confidence": decision.confidence,
    }
