"""decide(): one triage decision from everything known about an inquiry."""

from __future__ import annotations

import pytest

from support_rules.calendar import BusinessCalendar
from support_rules.triage import TriageInput, decide, decision_as_dict
from tests.unit.helpers import jst

INSIDE = jst(2026, 11, 24, 10, 0)
OUTSIDE = jst(2026, 11, 24, 20, 0)
NEXT_OPENING = jst(2026, 11, 25, 9, 0)

SERVER_DOWN = "本番のサーバーがダウンしています。"
SOME_USERS = "一部のユーザーがログインできません。"
HOW_TO = "パスワードの変更方法を教えてください。"
UNKNOWN_IMPACT = "エラー0x80070005が出ます。"


def run(calendar: BusinessCalendar, text: str, **kwargs):
    kwargs.setdefault("received_at", INSIDE)
    kwargs.setdefault("intent", "report_problem")
    return decide(TriageInput(text=text, **kwargs), calendar)


def test_a_inside_hours_with_contract_is_complete(calendar: BusinessCalendar):
    d = run(calendar, SERVER_DOWN, contract="on_demand")
    assert d.is_problem
    assert d.severity == d.initial_severity == "A"
    assert d.reception is not None
    assert (d.reception.route, d.reception.when) == ("phone", "now")
    assert d.scope == "in_scope"
    assert d.redirect is None
    assert d.contract_ok is True
    assert d.missing == []
    assert d.downgraded is False
    assert d.reason_label and "停止" in d.reason_label


def test_missing_contract(calendar: BusinessCalendar):
    d = run(calendar, SOME_USERS)
    assert d.severity == "B"
    assert d.contract_ok is None
    assert d.missing == ["contract"]


def test_missing_impact_and_contract_when_impact_unknown(calendar: BusinessCalendar):
    d = run(calendar, UNKNOWN_IMPACT)
    assert d.severity is None
    assert d.initial_severity is None
    assert d.reception is None
    assert d.missing == ["impact", "contract"]
    assert d.reason_label is None


def test_missing_impact_only_when_contract_known(calendar: BusinessCalendar):
    d = run(calendar, UNKNOWN_IMPACT, contract="pack5")
    assert d.missing == ["impact"]
    assert d.contract_ok is True  # an unknown severity is not held against a contract


def test_a_outside_hours_reachability_unknown_asks_for_it(calendar: BusinessCalendar):
    d = run(calendar, SERVER_DOWN, received_at=OUTSIDE, contract="on_demand")
    assert d.severity == "A"
    assert d.reception is not None and d.reception.route == "phone"
    assert d.missing == ["phone_reachable"]


def test_a_outside_hours_reachability_and_contract_unknown(calendar: BusinessCalendar):
    d = run(calendar, SERVER_DOWN, received_at=OUTSIDE)
    assert d.missing == ["contract", "phone_reachable"]


def test_a_outside_hours_reachable(calendar: BusinessCalendar):
    d = run(calendar, SERVER_DOWN, received_at=OUTSIDE, contract="pack5", phone_reachable=True)
    assert d.severity == "A"
    assert d.downgraded is False
    assert d.reception is not None and d.reception.when == "now"
    assert d.missing == []


def test_a_outside_hours_not_reachable_is_downgraded(calendar: BusinessCalendar):
    d = run(calendar, SERVER_DOWN, received_at=OUTSIDE, contract="on_demand", phone_reachable=False)
    assert d.initial_severity == "A"
    assert d.severity == "B"
    assert d.downgraded is True
    assert d.reception is not None
    assert (d.reception.route, d.reception.when) == ("online", "next_business_day")
    assert d.reception.starts_at == NEXT_OPENING
    assert d.missing == []


def test_legacy_pack_refused_for_a(calendar: BusinessCalendar):
    d = run(calendar, SERVER_DOWN, contract="pack5_legacy")
    assert d.severity == "A"
    assert d.contract_ok is False


def test_legacy_pack_accepted_for_b(calendar: BusinessCalendar):
    d = run(calendar, SOME_USERS, contract="pack5_legacy")
    assert d.severity == "B"
    assert d.contract_ok is True


def test_legacy_pack_accepted_after_downgrade_to_b(calendar: BusinessCalendar):
    d = run(calendar, SERVER_DOWN, received_at=OUTSIDE, contract="pack5_legacy", phone_reachable=False)
    assert d.severity == "B"
    assert d.contract_ok is True


@pytest.mark.parametrize("text", [SERVER_DOWN, SOME_USERS, HOW_TO])
def test_no_contract_is_never_ok(calendar: BusinessCalendar, text: str):
    assert run(calendar, text, contract="none").contract_ok is False


def test_b_outside_hours_goes_online_next_business_day(calendar: BusinessCalendar):
    d = run(calendar, SOME_USERS, received_at=OUTSIDE, contract="pack5")
    assert d.reception is not None
    assert d.reception.as_dict() == {
        "route": "online",
        "when": "next_business_day",
        "starts_at": "2026-11-25T09:00:00+09:00",
    }


def test_how_to_inside_hours(calendar: BusinessCalendar):
    d = run(calendar, HOW_TO, contract="on_demand")
    assert d.severity == "C"
    assert d.reception is not None and d.reception.route == "phone_or_online"


@pytest.mark.parametrize("intent", ["ask_price", "greet", "ask_contact"])
def test_non_problem_intent_has_no_severity_or_reception(calendar: BusinessCalendar, intent: str):
    d = run(calendar, "料金を教えてください。", intent=intent)
    assert d.is_problem is False
    assert d.severity is None
    assert d.initial_severity is None
    assert d.reception is None
    assert d.contract_ok is None
    assert d.missing == []
    assert d.scope == "in_scope"


def test_no_intent_is_treated_as_a_problem(calendar: BusinessCalendar):
    d = run(calendar, SOME_USERS, intent=None)
    assert d.is_problem is True
    assert d.severity == "B"


def test_out_of_scope_is_redirected_without_asking_for_contract(calendar: BusinessCalendar):
    d = run(calendar, "障害の原因を調査してほしい。", intent="request_root_cause")
    assert d.scope == "root_cause"
    assert d.redirect == "premier"
    assert d.missing == []


def test_out_of_scope_still_routes_a_stated_a_to_phone(calendar: BusinessCalendar):
    d = run(calendar, "他社製のアドインが原因で本番サーバーが停止しています。", intent=None, received_at=OUTSIDE)
    assert d.scope == "third_party"
    assert d.redirect == "premier"
    assert d.severity == "A"
    assert d.reception is not None and d.reception.route == "phone"
    # The investigation goes to Premier, but restoring the service is still taken
    # here, so the contract is still needed (a product decision; POLICY is silent).
    assert "contract" in d.missing
    assert "impact" not in d.missing


def test_low_confidence_intent_uses_the_text(calendar: BusinessCalendar):
    d = run(calendar, SERVER_DOWN, intent="request_consulting", confidence=0.2)
    assert d.scope == "in_scope"
    assert d.redirect is None


def test_severity_override_replaces_the_assessment(calendar: BusinessCalendar):
    d = run(calendar, SERVER_DOWN, severity_override="C", contract="pack5_legacy")
    assert d.assessment.severity == "A"
    assert d.severity == d.initial_severity == "C"
    assert d.reception is not None and d.reception.route == "phone_or_online"
    assert d.contract_ok is True


def test_severity_override_fills_unknown_impact(calendar: BusinessCalendar):
    d = run(calendar, UNKNOWN_IMPACT, severity_override="A", received_at=OUTSIDE, contract="on_demand")
    assert d.severity == "A"
    assert "impact" not in d.missing
    assert d.missing == ["phone_reachable"]


def test_data_recovery_flag(calendar: BusinessCalendar):
    d = run(calendar, "削除したメールを復元したい。", intent="ask_data_recovery")
    assert d.data_recovery is True
    assert d.scope == "in_scope"
    assert run(calendar, SOME_USERS).data_recovery is False


def test_decision_as_dict(calendar: BusinessCalendar):
    d = run(calendar, SERVER_DOWN, received_at=OUTSIDE, contract="pack5_legacy", phone_reachable=False)
    assert decision_as_dict(d) == {
        "severity": "B",
        "downgraded": True,
        "scope": "in_scope",
        "redirect": None,
        "reception": {
            "route": "online",
            "when": "next_business_day",
            "starts_at": "2026-11-25T09:00:00+09:00",
        },
        "contract_ok": True,
        "missing": [],
        "confidence": {},  # rules only: no calibrated probabilities
    }


def test_decision_as_dict_without_reception(calendar: BusinessCalendar):
    out = decision_as_dict(run(calendar, UNKNOWN_IMPACT))
    assert out["reception"] is None
    assert out["severity"] is None
    assert out["missing"] == ["impact", "contract"]


def test_unsure_intent_with_a_stated_impact_is_a_problem(calendar: BusinessCalendar):
    # The classifier has no real opinion (0.3 for small talk), the text states impact.
    d = run(calendar, "在庫照会の画面が最近重いです。作業は続けられています。", intent="chitchat", confidence=0.3)
    assert d.is_problem is True
    assert d.severity == "B"


def test_unsure_intent_without_impact_stays_what_it_is(calendar: BusinessCalendar):
    d = run(calendar, "料金を教えてください。", intent="ask_price", confidence=0.3)
    assert d.is_problem is False
    assert d.severity is None
