"""The reading of one message: the trained reader's prediction held by the cue rules.

The trained reader (``ja_nlu.impact_reader``) predicts an impact level (A/B/C,
``unknown`` or ``none``) and a scope, each with a probability. The cue rules of
:mod:`support_rules.severity` and :mod:`support_rules.scope` are its input features
*and* the guard rails where POLICY is absolute:

- the customer's explicit choice of severity wins;
- never an A when the reader is unsure of it (the chat asks instead);
- a test, verification or development environment is at most B (POLICY §2.1);
- an impact the reader reads as unknown, or is unsure of, is left open (``None``).

Chat and one-shot call :func:`combine` with the same inputs, so they decide alike.
The reason shown to the customer names the customer's own words that decided it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from support_rules.normalize import normalize_text
from support_rules.scope import SCOPES, Scope, detect_scope, detect_scopes
from support_rules.severity import CHOICE_LABELS, Assessment, Severity, assess, names_production

Impact = Literal["A", "B", "C", "unknown", "none"]
IMPACTS: tuple[Impact, ...] = get_args(Impact)
Source = Literal["choice", "reader", "rules"]

# Decision thresholds, chosen on the dev sets (benchmarks/dev_reader.jsonl, 300 texts in
# the ten styles, and dev_oneshot.jsonl) and the corpus' cross-validation, never on the
# blind sets (docs/reader.md). On dev_reader, MIN_A 0.40 / 0.50 / 0.55 / 0.65 gave A
# recall 0.914 / 0.914 / 0.900 / 0.886 at precision 0.985 / 1 / 1 / 1; MIN_CONFIDENCE
# 0.35-0.45 and MIN_A_WITH_RULES 0.15-0.30 changed nothing, 0.60 lost 1.4 points.
# Below MIN_CONFIDENCE the reader has no usable opinion and the rules decide alone
# (when they decide) or the impact stays open.
MIN_CONFIDENCE = 0.45
# An A needs this much probability, or a business cue of the rules (STRONG_A_CUES)
# with a weaker one.
MIN_A = 0.50
MIN_A_WITH_RULES = 0.30
STRONG_A_CUES = frozenset(
    {
        "business_stopped",
        "data_corruption",
        "mail_queue",
        "many_users",
        "critical_operations",
        "imminent_stop",
        "major_loss",
    }
)
# An out-of-scope reading needs this much probability before a customer is redirected.
MIN_REDIRECT = 0.55
MIN_REDIRECT_WITH_RULES = 0.30

# Why, when no single cue phrase decided (the reader weighed the whole message).
LEVEL_LABELS: Mapping[Severity, str] = {
    "A": "業務の停止や多くの方への影響",
    "B": "業務は続けられる範囲の部分的な影響",
    "C": "業務への影響がほとんどないご質問・事象",
}
MAX_QUOTE = 40


@dataclass(frozen=True)
class ModelReading:
    """What the trained reader predicted for one message."""

    impact: Impact
    impact_confidence: float
    scope: Scope
    scope_confidence: float
    impact_probs: Mapping[str, float] = field(default_factory=dict)
    scope_probs: Mapping[str, float] = field(default_factory=dict)
    # (start, end) in the message text of the clause that weighed most for ``impact``
    evidence: tuple[int, int] | None = None

    def p(self, level: str) -> float:
        return float(self.impact_probs.get(level, 1.0 if level == self.impact else 0.0))

    def as_parse(self) -> dict[str, dict[str, Any]]:
        """The parse-result keys the NLU component writes (see :meth:`from_parse`)."""
        return {
            "impact_reading": {
                "name": self.impact,
                "confidence": self.impact_confidence,
                "ranking": dict(self.impact_probs),
                "evidence": list(self.evidence) if self.evidence else None,
            },
            "scope_reading": {
                "name": self.scope,
                "confidence": self.scope_confidence,
                "ranking": dict(self.scope_probs),
            },
        }

    @classmethod
    def from_parse(cls, data: Mapping[str, Any] | None) -> ModelReading | None:
        """Read the reader's output from an NLU parse result (``None`` when absent)."""
        if not data:
            return None
        impact, scope = data.get("impact_reading"), data.get("scope_reading")
        if not isinstance(impact, Mapping) or not isinstance(scope, Mapping):
            return None
        if impact.get("name") not in IMPACTS or scope.get("name") not in SCOPES:
            return None
        span = impact.get("evidence")
        evidence = (int(span[0]), int(span[1])) if isinstance(span, (list, tuple)) and len(span) == 2 else None
        return cls(
            impact=impact["name"],
            impact_confidence=float(impact.get("confidence") or 0.0),
            scope=scope["name"],
            scope_confidence=float(scope.get("confidence") or 0.0),
            impact_probs=dict(impact.get("ranking") or {}),
            scope_probs=dict(scope.get("ranking") or {}),
            evidence=evidence,
        )


@dataclass(frozen=True)
class Reading:
    """The decision about one message's impact and scope."""

    severity: Severity | None
    # The message reports a problem or asks a product question (a severity applies).
    # False for a pure request for out-of-scope work or a message with no inquiry.
    problem: bool
    scope: Scope
    source: Source
    confidence: float | None = None  # of the severity, when the reader decided it
    scope_confidence: float | None = None
    label: str | None = None  # why, as a noun phrase
    quote: str | None = None  # the customer's own words that decided it
    capped: bool = False  # an A capped at B (test/verification environment)
    # the message asks for the cause too: point that part to Premier (POLICY §5)
    cause_to_premier: bool = False

    @property
    def reason_label(self) -> str | None:
        """``label：「quote」`` — the category and the customer's words."""
        if self.label is None:
            return None
        return f"{self.label}：「{self.quote}」" if self.quote else self.label


def business_stop(text: str, assessment: Assessment) -> bool:
    """The rules' A speaks of the business: a business cue (a stop of work, many users,
    corruption, mail stuck …), or a system down that the text places in production
    (「本番サーバーが停止」). A product or server down alone is not (POLICY §2.1)."""
    if any(h.cue.id in STRONG_A_CUES for h in assessment.hits):
        return True
    return any(h.cue.id == "system_down" for h in assessment.hits) and names_production(text)


def cue_features(text: str) -> dict[str, float]:
    """The cue rules as features for the reader (names are stable feature keys)."""
    assessment = assess(text)
    feats: dict[str, float] = {}
    for hit in assessment.hits:
        feats[f"cue:{hit.cue.id}"] = 1.0
        feats[f"level:{hit.cue.level}"] = feats.get(f"level:{hit.cue.level}", 0.0) + 1.0
    feats[f"rules:{assessment.severity or 'none'}"] = 1.0
    if assessment.capped:
        feats["rules:capped"] = 1.0
    for scope in detect_scopes(text):
        feats[f"scope:{scope}"] = 1.0
    folded = normalize_text(text)
    if re.search(r"[?？]|(?:ますか|ですか|でしょうか|ません?か)(?:[。.!！]|$)", folded):
        feats["question"] = 1.0
    feats["len:short"] = 1.0 if len(folded) < 40 else 0.0
    feats["len:long"] = 1.0 if len(folded) > 200 else 0.0
    return feats


_CLAUSE_END = re.compile(r"[。．!！?？\n]")


def quote_around(text: str, start: int, end: int, limit: int = MAX_QUOTE) -> str:
    """The clause of ``text`` that holds ``[start, end)``, cut to ``limit`` characters."""
    left = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    right_match = _CLAUSE_END.search(text, end)
    right = right_match.start() if right_match else len(text)
    clause = text[left:right].strip(" 　、,")
    if len(clause) <= limit:
        return clause
    # keep the span itself and as much as fits around it, marked with …
    inner_start = max(start - left, 0)
    half = max((limit - (end - start)) // 2, 0)
    a = max(0, inner_start - half)
    piece = text[left + a : left + a + limit]
    return ("…" if a > 0 else "") + piece.strip() + ("…" if left + a + limit < right else "")


def _rule_quote(text: str, assessment: Assessment, level: Severity) -> tuple[str, str] | None:
    """The first cue hit of ``level``: its label and the customer's words around it."""
    for hit in assessment.hits:
        if hit.cue.level == level and hit.cue.id != "non_production":
            return hit.cue.label, quote_around(text, hit.source_start, hit.source_end)
    return None


def _quote_text(text: str) -> str:
    """Quotes are taken from the text the NLU pipeline saw (NFKC), like the cue offsets."""
    import unicodedata

    return unicodedata.normalize("NFKC", text)


def combine(
    text: str,
    model: ModelReading | None,
    assessment: Assessment,
    override: Severity | None = None,
    rules_scope: Scope | None = None,
) -> Reading:
    """Decide impact and scope from the reader, the cue rules and the customer's choice."""
    source_text = _quote_text(text)
    scope, scope_conf = _decide_scope(model, rules_scope)
    cause_to_premier = scope == "in_scope" and "root_cause" in detect_scopes(text)
    non_production = assessment.capped or (
        any(h.cue.id == "non_production" for h in assessment.hits) and assessment.severity != "A"
    )

    if override is not None:
        return Reading(
            override,
            True,
            scope,
            "choice",
            None,
            scope_conf,
            CHOICE_LABELS[override],
            cause_to_premier=cause_to_premier,
        )

    if model is None:
        if assessment.severity == "A" and not business_stop(text, assessment):
            # Only a product or server said to be down: not by itself a business stop
            # (POLICY §2.1). Without the reader to weigh the rest, the desk asks.
            return Reading(None, True, scope, "rules", None, scope_conf, cause_to_premier=cause_to_premier)
        found = (
            _rule_quote(source_text, assessment, "A" if assessment.capped else assessment.severity)
            if assessment.severity
            else None
        )
        return Reading(
            assessment.severity,
            assessment.severity is not None or scope == "in_scope",
            scope,
            "rules",
            None,
            scope_conf,
            assessment.reason_label,
            found[1] if found else None,
            assessment.capped,
            cause_to_premier,
        )

    top, conf = model.impact, model.impact_confidence
    rules = assessment.severity
    problem = top != "none" or rules in ("A", "B")
    p_a = model.p("A")
    # The rules' A counts as support only when a cue speaks of the business (a stop of
    # work, many users, corruption, mail stuck …): a product or server being down is
    # not by itself a business stop (POLICY §2.1).
    strong_a = rules == "A" and business_stop(text, assessment)
    severity: Severity | None = None
    if p_a >= MIN_A or (strong_a and p_a >= MIN_A_WITH_RULES):
        severity = "A"
    elif top in ("B", "C"):
        level: Severity = top  # type: ignore[assignment]
        if conf >= MIN_CONFIDENCE or rules == level:
            severity = level
    elif top == "none" and rules == "B" and model.p("B") >= MIN_A_WITH_RULES:
        severity = "B"
    # top "A" below the bar, or "unknown": left open — the desk asks.
    capped = False
    if severity == "A" and non_production:
        severity, capped = "B", True
    if severity is None:
        return Reading(None, problem, scope, "reader", conf, scope_conf, cause_to_premier=cause_to_premier)

    # Why: the rule cue of the decided level when there is one (its label names the
    # category), else the clause the reader weighed most.
    found = _rule_quote(source_text, assessment, "A" if capped else severity)
    quote: str | None
    if found is not None:
        label, quote = found
    else:
        label = LEVEL_LABELS[severity]
        quote = quote_around(source_text, *model.evidence) if model.evidence else None
    if capped:
        label += "（検証・テスト環境での事象）"
    return Reading(
        severity,
        True,
        scope,
        "reader",
        model.p(severity if not capped else "A"),
        scope_conf,
        label,
        quote or None,
        capped,
        cause_to_premier,
    )


def _decide_scope(model: ModelReading | None, rules_scope: Scope | None) -> tuple[Scope, float | None]:
    if model is None:
        return (rules_scope or "in_scope"), None
    if model.scope == "in_scope":
        return "in_scope", model.scope_confidence
    agreed = rules_scope == model.scope
    if model.scope_confidence >= MIN_REDIRECT or (agreed and model.scope_confidence >= MIN_REDIRECT_WITH_RULES):
        return model.scope, model.scope_confidence
    return "in_scope", float(model.scope_probs.get("in_scope", 1.0 - model.scope_confidence))


def read(text: str, parse: Mapping[str, Any] | None = None, override: Severity | None = None) -> Reading:
    """Convenience: rules + the reader's output found in an NLU parse result."""
    return combine(text, ModelReading.from_parse(parse), assess(text), override, detect_scope(text))
