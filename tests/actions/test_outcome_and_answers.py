"""Outcome, FAQ, out-of-scope, handoff and fallback actions."""

from __future__ import annotations

from actions.fallback import ActionDefaultAskAffirmation, ActionDefaultFallback
from actions.faq import FAQ_RESPONSES, ActionAnswerFaq
from actions.handoff import ActionRequestHuman
from actions.out_of_scope import ActionHandleOutOfScope
from actions.outcome import TRIAGE_INPUT_SLOTS, ActionResetTriage, ActionTriageOutcome
from tests.actions.conftest import (
    HOLIDAY,
    INSIDE_HOURS,
    SATURDAY_NIGHT,
    WEEKDAY_EVENING,
    YEAR_END,
    responses,
    slot_events,
)

OUTCOME = ActionTriageOutcome()


def triage_slots(**overrides):
    base = {
        "problem_description": "一部の部署だけファイルサーバーにアクセスできません",
        "severity": "B",
        "severity_reason": "一部の利用者や部署への影響",
        "severity_confirmed": True,
        "contract": "on_demand",
    }
    return {**base, **overrides}


async def test_b_inside_hours_is_taken_now(at, make_tracker, dispatcher, domain):
    at(INSIDE_HOURS)
    events = await OUTCOME.run(dispatcher, make_tracker(slots=triage_slots()), domain)
    assert responses(dispatcher) == ["utter_outcome_now", "utter_contract_ok_on_demand", "utter_ticket_created"]
    assert dispatcher.messages[0]["severity"] == "B"
    slots = slot_events(events)
    assert slots["reception_route"] == "phone_or_online"
    assert slots["reception_starts_at"] is None
    assert slots["contract_ok"] is True
    assert slots["downgraded"] is False
    for name in TRIAGE_INPUT_SLOTS:  # ready for the next problem; the contract is kept
        assert slots[name] is None
    assert "contract" not in slots


async def test_c_on_saturday_night_starts_monday_morning(at, make_tracker, dispatcher, domain):
    at(SATURDAY_NIGHT)
    events = await OUTCOME.run(dispatcher, make_tracker(slots=triage_slots(severity="C")), domain)
    assert responses(dispatcher)[0] == "utter_outcome_next_day_weekend"
    assert dispatcher.messages[0]["start"] == "11月30日（月）9:00"
    assert slot_events(events)["reception_starts_at"] == "2026-11-30T09:00:00+09:00"


async def test_national_holiday_is_named(at, make_tracker, dispatcher, domain):
    at(HOLIDAY)
    await OUTCOME.run(dispatcher, make_tracker(slots=triage_slots()), domain)
    assert responses(dispatcher)[0] == "utter_outcome_next_day_holiday"
    assert dispatcher.messages[0]["holiday"] == "勤労感謝の日"
    assert dispatcher.messages[0]["start"] == "11月24日（火）9:00"


async def test_year_end_closing_resumes_in_january(at, make_tracker, dispatcher, domain):
    at(YEAR_END)
    await OUTCOME.run(dispatcher, make_tracker(slots=triage_slots()), domain)
    assert responses(dispatcher)[0] == "utter_outcome_next_day_closing_day"
    assert dispatcher.messages[0]["start"] == "2027年1月4日（月）9:00"


async def test_weekday_evening(at, make_tracker, dispatcher, domain):
    at(WEEKDAY_EVENING)
    await OUTCOME.run(dispatcher, make_tracker(slots=triage_slots()), domain)
    assert responses(dispatcher)[0] == "utter_outcome_next_day_after_hours"
    assert dispatcher.messages[0]["start"] == "11月26日（木）9:00"


async def test_a_after_hours_reachable_is_phone_now(at, make_tracker, dispatcher, domain):
    at(SATURDAY_NIGHT)
    slots = triage_slots(severity="A", phone_reachable=True, contract="pack5")
    events = await OUTCOME.run(dispatcher, make_tracker(slots=slots), domain)
    assert responses(dispatcher)[:2] == ["utter_outcome_a_after_hours", "utter_contract_ok_pack5"]
    assert slot_events(events)["reception_route"] == "phone"


async def test_a_after_hours_unreachable_is_downgraded(at, make_tracker, dispatcher, domain):
    at(SATURDAY_NIGHT)
    slots = triage_slots(severity="A", phone_reachable=False)
    events = await OUTCOME.run(dispatcher, make_tracker(slots=slots), domain)
    assert responses(dispatcher)[0] == "utter_outcome_downgraded"
    assert dispatcher.messages[0]["start"] == "11月30日（月）9:00"
    assert slot_events(events)["downgraded"] is True
    assert slot_events(events)["reception_route"] == "online"


async def test_legacy_pack_cannot_be_used_for_a(at, make_tracker, dispatcher, domain):
    events = await OUTCOME.run(
        dispatcher, make_tracker(slots=triage_slots(severity="A", contract="pack5_legacy")), domain
    )
    assert responses(dispatcher)[:2] == ["utter_outcome_a", "utter_contract_legacy_for_a"]
    assert dispatcher.messages[1]["on_demand_tax"] == "54,890"
    assert slot_events(events)["contract_ok"] is False


async def test_no_contract_gets_prices_with_and_without_tax(at, make_tracker, dispatcher, domain):
    events = await OUTCOME.run(dispatcher, make_tracker(slots=triage_slots(contract="none")), domain)
    assert responses(dispatcher)[1] == "utter_contract_none"
    message = dispatcher.messages[1]
    assert (message["on_demand"], message["on_demand_tax"]) == ("49,900", "54,890")
    assert (message["pack5"], message["pack5_tax"]) == ("199,900", "219,890")
    assert slot_events(events)["contract_ok"] is False


async def test_undetermined_severity_is_routed_like_b_c(at, make_tracker, dispatcher, domain):
    await OUTCOME.run(dispatcher, make_tracker(slots=triage_slots(severity="undetermined", contract="unknown")), domain)
    assert responses(dispatcher)[:2] == ["utter_outcome_now_undetermined", "utter_contract_unknown"]


async def test_root_cause_and_recovery_notes(at, make_tracker, dispatcher, domain):
    text = "データベースが破損しました。データを復旧したいのと、原因を調査してほしいです"
    await OUTCOME.run(dispatcher, make_tracker(slots=triage_slots(problem_description=text, severity="A")), domain)
    names = responses(dispatcher)
    assert "utter_scope_note_root_cause" in names
    assert "utter_data_recovery_note" in names
    assert names[-1] == "utter_ticket_created"  # the survey follows (rules), not "anything else"


async def test_reset_triage_clears_inputs(make_tracker, dispatcher, domain):
    slots = slot_events(await ActionResetTriage().run(dispatcher, make_tracker(slots=triage_slots()), domain))
    assert all(slots[name] is None for name in TRIAGE_INPUT_SLOTS)
    assert slots["requested_slot"] is None


async def test_every_faq_intent_has_a_response_in_the_domain(domain):
    assert set(FAQ_RESPONSES.values()) <= set(domain["responses"])


async def test_price_answer_is_computed_from_config(at, make_tracker, dispatcher, domain):
    await ActionAnswerFaq().run(dispatcher, make_tracker("料金は？", "ask_price"), domain)
    assert responses(dispatcher) == ["utter_faq_price"]
    assert dispatcher.messages[0]["tax_percent"] == "10"
    assert dispatcher.messages[0]["pack5_tax"] == "219,890"


async def test_hours_answer_says_whether_open_now(at, make_tracker, dispatcher, domain):
    await ActionAnswerFaq().run(dispatcher, make_tracker("今やってる？", "ask_hours"), domain)
    at(SATURDAY_NIGHT)
    await ActionAnswerFaq().run(dispatcher, make_tracker("今やってる？", "ask_hours"), domain)
    assert responses(dispatcher) == [
        "utter_faq_hours",
        "utter_hours_open_now",
        "utter_faq_hours",
        "utter_hours_closed_now",
    ]
    assert dispatcher.messages[0]["closing_days"] == "12月29日〜1月3日"
    assert dispatcher.messages[3]["next_open"] == "11月30日（月）9:00"


async def test_out_of_scope_outside_triage(at, make_tracker, dispatcher, domain):
    events = await ActionHandleOutOfScope().run(
        dispatcher, make_tracker("サンプルコードを書いて", "request_development"), domain
    )
    assert responses(dispatcher) == [
        "utter_redirect_development",
        "utter_ticket_recorded_redirect",
        "utter_anything_else",
    ]
    assert dispatcher.messages[0]["premier"] == "プレミア サポート"
    slots = slot_events(events)
    assert (slots["scope"], slots["redirect"]) == ("development", "premier")
    assert slots["ticket_no"].startswith("PS-")


async def test_root_cause_during_triage_lets_the_triage_continue(at, make_tracker, dispatcher, domain):
    tracker = make_tracker("原因も調べてほしい", "request_root_cause", active_loop="triage_form")
    await ActionHandleOutOfScope().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_redirect_root_cause", "utter_redirect_triage_continues"]


async def test_consumer_product_during_triage(at, make_tracker, dispatcher, domain):
    tracker = make_tracker("自宅のPCです", "ask_consumer_product", active_loop="triage_form")
    events = await ActionHandleOutOfScope().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_redirect_consumer_product", "utter_ticket_recorded_redirect"]
    assert slot_events(events)["redirect"] == "consumer_support"


async def test_request_human_inside_and_outside_hours(at, make_tracker, dispatcher, domain):
    await ActionRequestHuman().run(dispatcher, make_tracker("人と話したい", "request_human"), domain)
    at(SATURDAY_NIGHT)
    await ActionRequestHuman().run(dispatcher, make_tracker("人と話したい", "request_human"), domain)
    assert responses(dispatcher) == ["utter_handoff_open", "utter_handoff_closed", "utter_handoff_closed_a_line"]
    assert dispatcher.messages[1]["next_open"] == "11月30日（月）9:00"


async def test_affirmation_for_known_topic(make_tracker, dispatcher, domain):
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "ask_price", "confidence": 0.35}]
    await ActionDefaultAskAffirmation().run(dispatcher, make_tracker("おかね", "nlu_fallback", ranking=ranking), domain)
    assert responses(dispatcher) == ["utter_ask_affirmation_ask_price"]


async def test_affirmation_falls_back_to_rephrase(make_tracker, dispatcher, domain):
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "thank", "confidence": 0.3}]
    await ActionDefaultAskAffirmation().run(dispatcher, make_tracker("ふむ", "nlu_fallback", ranking=ranking), domain)
    assert responses(dispatcher) == ["utter_ask_rephrase"]


async def test_bad_input_gets_a_polite_japanese_reply(make_tracker, dispatcher, domain):
    action = ActionDefaultAskAffirmation()
    await action.run(dispatcher, make_tracker("", "nlu_fallback"), domain)
    await action.run(dispatcher, make_tracker("My server is down, please help", "nlu_fallback"), domain)
    await action.run(dispatcher, make_tracker("😀😀😀", "nlu_fallback"), domain)
    assert responses(dispatcher) == ["utter_empty_message", "utter_please_type_japanese", "utter_ask_rephrase"]


async def test_final_fallback_gives_contact_and_forgets_the_message(at, make_tracker, dispatcher, domain):
    events = await ActionDefaultFallback().run(dispatcher, make_tracker("???", "nlu_fallback"), domain)
    assert responses(dispatcher) == ["utter_default"]
    assert dispatcher.messages[0]["phone"] == "0120-17-0196"
    assert events == [{"event": "rewind", "timestamp": None}]


async def test_an_undetermined_impact_is_never_routed_as_a(at, make_tracker, dispatcher, domain):
    # The customer could not say the impact; the description names only a symptom, which
    # the rules alone would read as a stop. POLICY §2.1: no A unless the customer says so.
    slots = triage_slots(
        problem_description="サーバーが落ちました！！", severity="undetermined", contract="pack5_legacy"
    )
    events = await OUTCOME.run(dispatcher, make_tracker("なし", slots=slots), domain)
    sent = responses(dispatcher)
    assert "utter_outcome_a" not in sent and "utter_outcome_now_undetermined" in sent
    set_ = slot_events(events)
    assert set_["reception_route"] != "phone" and set_["contract_ok"] is True and set_["survey_due"] is True
