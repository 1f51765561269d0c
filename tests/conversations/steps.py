"""The steps of a conversation that ask the customer something, and how to reach each.

A step is reached by sending ``reach``; the last reply must contain one of ``ask``
(the step's question). ``answer`` is a correct answer to it, which must land in
``slot`` as ``value`` and lead to one of ``next_ask``. ``before`` are questions already
answered on the way: they must never be asked again after a digression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.conversations.facts import A_FACTORY, A_MAIL, B_DESC, C_DESC, CONTACT, NOT_UNDERSTOOD, UNKNOWN_DESC

ASK_DESC = frozenset({"utter_ask_problem_description"})
ASK_SEVERITY = frozenset({"utter_ask_severity", "utter_ask_severity_followup", "utter_ask_severity_reselect"})
ASK_CONFIRM = frozenset({"utter_ask_severity_confirmed"})
ASK_REACHABLE = frozenset({"utter_ask_phone_reachable", "utter_ask_phone_reachable_again"})
ASK_CONTRACT = frozenset({"utter_ask_contract", "utter_ask_contract_again", "utter_ask_contract_for_a"})
ASK_COMPANY = frozenset({"utter_ask_contact_company", "utter_ask_contact_company_for_a"})
ASK_NAME = frozenset({"utter_ask_contact_name"})
ASK_PHONE = frozenset({"utter_ask_contact_phone"})
ASK_EMAIL = frozenset({"utter_ask_contact_email"})
ASK_RATING = frozenset({"utter_ask_survey_rating", "utter_ask_survey_rating_again"})
ASK_COMMENT = frozenset({"utter_ask_survey_comment"})
HANDOFF_OPEN = frozenset({"utter_handoff_open", "utter_handoff_open_no_ticket"})
FALLBACK = frozenset({"utter_ask_rephrase", "utter_please_type_japanese"})
INVALID_CONTACT = "utter_invalid_contact_"


@dataclass(frozen=True)
class Step:
    id: str
    clock: str
    reach: tuple[str, ...]
    ask: frozenset[str]
    slot: str | None = None
    answer: str | None = None
    value: Any = None
    next_ask: frozenset[str] = frozenset()
    before: frozenset[str] = frozenset()
    # "form": a question of the triage form (resumes); "survey": may resume or end;
    # "handoff": a person is being called; "open": nothing pending (after a fallback/redirect).
    kind: str = "form"
    contact: bool = False
    triage: bool = True  # a problem is being triaged at this step

    @property
    def resumes(self) -> bool:
        return self.kind == "form"

    def __str__(self) -> str:
        return self.id


_B_TO_CONTRACT = (B_DESC, "はい")
_B_TO_COMPANY = (*_B_TO_CONTRACT, "オンデマンドです")
_B_TO_NAME = (*_B_TO_COMPANY, CONTACT["contact_company"])
_B_TO_PHONE = (*_B_TO_NAME, CONTACT["contact_name"])
_B_TO_EMAIL = (*_B_TO_PHONE, CONTACT["contact_phone"])
_B_TO_RATING = (*_B_TO_EMAIL, CONTACT["contact_email"])
_B_TO_COMMENT = (*_B_TO_RATING, "4")
_ANSWERED_B = ASK_DESC | ASK_SEVERITY | ASK_CONFIRM

STEPS: tuple[Step, ...] = (
    Step(
        "tue-description",
        "tuesday",
        ("/report_problem",),
        ASK_DESC,
        "problem_description",
        UNKNOWN_DESC,
        UNKNOWN_DESC,
        ASK_SEVERITY,
    ),
    Step(
        "tue-impact",
        "tuesday",
        (UNKNOWN_DESC,),
        ASK_SEVERITY,
        "severity",
        "営業部だけで起きていて、ほかの部署は普通に使えています",
        "B",
        ASK_CONFIRM | ASK_CONTRACT,
        ASK_DESC,
    ),
    Step(
        "tue-severity-confirm",
        "tuesday",
        (B_DESC,),
        ASK_CONFIRM,
        "severity_confirmed",
        "はい",
        True,
        ASK_CONTRACT,
        ASK_DESC | ASK_SEVERITY,
    ),
    Step(
        "tue-contract",
        "tuesday",
        _B_TO_CONTRACT,
        ASK_CONTRACT,
        "contract",
        "オンデマンドです",
        "on_demand",
        ASK_COMPANY,
        _ANSWERED_B,
    ),
    Step(
        "tue-company",
        "tuesday",
        _B_TO_COMPANY,
        ASK_COMPANY,
        "contact_company",
        CONTACT["contact_company"],
        CONTACT["contact_company"],
        ASK_NAME,
        _ANSWERED_B | ASK_CONTRACT,
        contact=True,
    ),
    Step(
        "tue-name",
        "tuesday",
        _B_TO_NAME,
        ASK_NAME,
        "contact_name",
        CONTACT["contact_name"],
        CONTACT["contact_name"],
        ASK_PHONE,
        _ANSWERED_B | ASK_CONTRACT | ASK_COMPANY,
        contact=True,
    ),
    Step(
        "tue-phone",
        "tuesday",
        _B_TO_PHONE,
        ASK_PHONE,
        "contact_phone",
        CONTACT["contact_phone"],
        CONTACT["contact_phone"],
        ASK_EMAIL,
        _ANSWERED_B | ASK_CONTRACT | ASK_COMPANY | ASK_NAME,
        contact=True,
    ),
    Step(
        "tue-email",
        "tuesday",
        _B_TO_EMAIL,
        ASK_EMAIL,
        "contact_email",
        CONTACT["contact_email"],
        CONTACT["contact_email"],
        ASK_RATING,
        _ANSWERED_B | ASK_CONTRACT | ASK_COMPANY | ASK_NAME | ASK_PHONE,
        contact=True,
    ),
    Step(
        "tue-survey-rating",
        "tuesday",
        _B_TO_RATING,
        ASK_RATING,
        kind="survey",
        triage=False,
        before=_ANSWERED_B | ASK_CONTRACT | ASK_COMPANY | ASK_NAME | ASK_PHONE | ASK_EMAIL,
    ),
    Step(
        "tue-survey-comment",
        "tuesday",
        _B_TO_COMMENT,
        ASK_COMMENT,
        kind="survey",
        triage=False,
        before=_ANSWERED_B | ASK_CONTRACT | ASK_COMPANY | ASK_NAME | ASK_PHONE | ASK_EMAIL | ASK_RATING,
    ),
    Step(
        "tue-handoff",
        "tuesday",
        ("Excelのファイルが開けなくて困っています", "オペレーターと話したいです"),
        HANDOFF_OPEN,
        kind="handoff",
        triage=False,
    ),
    Step("tue-after-fallback", "tuesday", (NOT_UNDERSTOOD[0],), FALLBACK, kind="open", triage=False),
    Step(
        "tue-after-redirect",
        "tuesday",
        ("Excelのマクロを新しく作ってほしいです",),
        frozenset({"utter_redirect_development"}),
        kind="open",
        triage=False,
    ),
    Step(
        "sat-phone-reachable",
        "saturday",
        (A_FACTORY,),
        ASK_REACHABLE,
        "phone_reachable",
        "はい、出られます",
        True,
        frozenset(),
        ASK_DESC | ASK_SEVERITY,
    ),
    Step(
        "sat-impact",
        "saturday",
        (UNKNOWN_DESC,),
        ASK_SEVERITY,
        "severity",
        "営業部だけで起きていて、ほかの部署は普通に使えています",
        "B",
        ASK_CONFIRM | ASK_CONTRACT,
        ASK_DESC,
    ),
    Step(
        "sat-contract",
        "saturday",
        _B_TO_CONTRACT,
        ASK_CONTRACT,
        "contract",
        "5インシデントパックです",
        "pack5",
        ASK_COMPANY,
        _ANSWERED_B,
    ),
    Step(
        "dec30-phone-reachable",
        "closing",
        (A_MAIL,),
        ASK_REACHABLE,
        "phone_reachable",
        "はい、出られます",
        True,
        frozenset(),
        ASK_DESC | ASK_SEVERITY,
    ),
    Step(
        "dec30-severity-confirm",
        "closing",
        (C_DESC,),
        ASK_CONFIRM,
        "severity_confirmed",
        "はい",
        True,
        ASK_CONTRACT,
        ASK_DESC | ASK_SEVERITY,
    ),
    Step(
        "dec30-company",
        "closing",
        (C_DESC, "はい", "オンデマンドです"),
        ASK_COMPANY,
        "contact_company",
        CONTACT["contact_company"],
        CONTACT["contact_company"],
        ASK_NAME,
        _ANSWERED_B | ASK_CONTRACT,
        contact=True,
    ),
)
STEP_BY_ID = {step.id: step for step in STEPS}


# A plain answer to each question, to carry a conversation to its end.
PLAIN_ANSWERS: tuple[tuple[frozenset[str], str], ...] = (
    (ASK_DESC, UNKNOWN_DESC),
    (ASK_SEVERITY, "営業部だけで起きていて、ほかの部署は普通に使えています"),
    (ASK_CONFIRM, "はい"),
    (ASK_REACHABLE, "はい"),
    (ASK_CONTRACT, "オンデマンドです"),
    (ASK_COMPANY, CONTACT["contact_company"]),
    (ASK_NAME, CONTACT["contact_name"]),
    (ASK_PHONE, CONTACT["contact_phone"]),
    (ASK_EMAIL, CONTACT["contact_email"]),
    (ASK_RATING, "回答しない"),
    (ASK_COMMENT, "なし"),
)


def plain_answer(names: list[str]) -> str | None:
    """The answer to the last question among ``names`` (None when nothing is asked)."""
    for name in reversed(names):
        for questions, answer in PLAIN_ANSWERS:
            if name in questions:
                return answer
    return None
