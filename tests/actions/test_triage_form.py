"""The triage form's extraction: only what is missing is asked, nothing is guessed."""

from __future__ import annotations

from actions.triage_form import ActionAskContract, ActionAskPhoneReachable, ActionAskSeverity, ValidateTriageForm
from tests.actions.conftest import INSIDE_HOURS, SATURDAY_NIGHT, responses, slot_events

FORM = ValidateTriageForm()


async def run_form(dispatcher, tracker, domain):
    slots = slot_events(await FORM.run(dispatcher, tracker, domain))
    slots.pop("asked_before", None)  # which wording the next question takes (domain variants)
    return slots


async def test_partial_impact_in_first_message_asks_for_confirmation(at, make_tracker, dispatcher, domain):
    text = "営業部だけファイルサーバーにアクセスできません"
    slots = await run_form(dispatcher, make_tracker(text, "report_problem", active_loop="triage_form"), domain)
    assert slots["problem_description"] == text
    assert slots["severity"] == "B"
    # the category and the customer's own words that decided it
    assert slots["severity_reason"] == f"一部の利用者や部署への影響：「{text}」"
    assert slots["scope"] == "in_scope"
    assert slots["requested_slot"] == "severity_confirmed"
    assert dispatcher.messages == []


async def test_critical_impact_gives_the_phone_number_at_once(at, make_tracker, dispatcher, domain):
    tracker = make_tracker("本番のSQL Serverが停止して業務が止まっています", "report_problem")
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["severity"] == "A"
    assert slots["severity_confirmed"] is True
    assert slots["requested_slot"] == "contract"  # inside hours: no phone condition
    assert responses(dispatcher) == ["utter_severity_a_call_now"]
    assert dispatcher.messages[0]["phone"] == "0120-17-0196"
    assert dispatcher.messages[0]["reason"].startswith("サーバーやシステムの停止")


async def test_critical_impact_after_hours_asks_whether_phone_is_reachable(at, make_tracker, dispatcher, domain):
    at(SATURDAY_NIGHT)
    tracker = make_tracker("基幹システムがダウンして出荷業務ができません", "report_problem")
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["severity"] == "A"
    assert slots["requested_slot"] == "phone_reachable"
    assert responses(dispatcher) == ["utter_severity_a_call_now_after_hours"]


async def test_phone_unreachable_is_recorded(at, make_tracker, dispatcher, domain):
    at(SATURDAY_NIGHT)
    tracker = make_tracker(
        "いいえ、難しいです",
        "deny",
        slots={
            "problem_description": "x",
            "severity": "A",
            "severity_confirmed": True,
            "requested_slot": "phone_reachable",
        },
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["phone_reachable"] is False
    assert slots["requested_slot"] == "contract"


async def test_unclear_phone_answer_is_asked_again(at, make_tracker, dispatcher, domain):
    at(SATURDAY_NIGHT)
    tracker = make_tracker(
        "うーん",
        "chitchat_unknown",
        slots={
            "problem_description": "x",
            "severity": "A",
            "severity_confirmed": True,
            "requested_slot": "phone_reachable",
        },
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert "phone_reachable" not in slots
    assert slots["form_retries"] == 1.0


async def test_unknown_impact_is_asked_not_guessed(at, make_tracker, dispatcher, domain):
    slots = await run_form(dispatcher, make_tracker("Outlookでエラー0x800CCC0Eが出ます", "report_problem"), domain)
    assert "severity" not in slots or slots["severity"] is None
    assert slots["requested_slot"] == "severity"


async def test_dont_know_never_becomes_a_and_ends_undetermined(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "Outlookでエラーが出ます", "requested_slot": "severity"}
    first = await run_form(
        dispatcher, make_tracker("わかりません", "dont_know", slots={**base, "impact_attempts": 0}), domain
    )
    assert first == {"impact_attempts": 1.0, "requested_slot": "severity"}
    second = await run_form(
        dispatcher, make_tracker("不明です", "dont_know", slots={**base, "impact_attempts": 1}), domain
    )
    assert second["impact_attempts"] == 2.0
    assert "severity" not in second
    third = await run_form(
        dispatcher, make_tracker("わからない", "dont_know", slots={**base, "impact_attempts": 2}), domain
    )
    assert third["severity"] == "undetermined"
    assert third["requested_slot"] == "contract"
    assert responses(dispatcher) == ["utter_severity_undetermined"]


async def test_short_answer_about_extent_sets_severity(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "Outlookでエラーが出ます", "requested_slot": "severity"}
    slots = await run_form(dispatcher, make_tracker("一部の部署だけです", "report_problem", slots=base), domain)
    assert slots["severity"] == "B"
    assert slots["requested_slot"] == "severity_confirmed"


async def test_button_choice_sets_severity_with_the_customers_reason(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "Outlookでエラーが出ます", "requested_slot": "severity"}
    tracker = make_tracker(
        '/choose_severity{"severity": "C"}',
        "choose_severity",
        entities=[{"entity": "severity", "value": "C"}],
        slots=base,
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["severity"] == "C"
    assert "お申し出" in slots["severity_reason"]
    # picked by the customer: not asked back for confirmation
    assert slots["severity_confirmed"] is True
    assert slots["requested_slot"] == "contract"


async def test_confirmation_yes(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "x", "severity": "B", "severity_reason": "r", "requested_slot": "severity_confirmed"}
    slots = await run_form(dispatcher, make_tracker("はい", "affirm", slots=base), domain)
    assert slots["severity_confirmed"] is True
    assert slots["requested_slot"] == "contract"


async def test_confirmation_no_asks_severity_again(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "x", "severity": "B", "severity_reason": "r", "requested_slot": "severity_confirmed"}
    slots = await run_form(dispatcher, make_tracker("違います", "deny", slots=base), domain)
    assert slots["severity"] is None
    assert slots["requested_slot"] == "severity"


async def test_confirmation_corrected_to_a_by_button(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "x", "severity": "B", "severity_reason": "r", "requested_slot": "severity_confirmed"}
    tracker = make_tracker(
        '/choose_severity{"severity": "A"}',
        "choose_severity",
        entities=[{"entity": "severity", "value": "A"}],
        slots=base,
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["severity"] == "A"
    assert slots["severity_confirmed"] is True
    assert responses(dispatcher) == ["utter_severity_a_call_now"]


async def test_faq_during_a_question_fills_nothing(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "x", "severity": "B", "severity_confirmed": True, "requested_slot": "contract"}
    slots = await run_form(dispatcher, make_tracker("料金はいくらですか", "ask_price", slots=base), domain)
    assert set(slots) == {"requested_slot"}  # nothing extracted: the form rejects, the FAQ rule answers


async def test_contract_from_entity_text_and_legacy_precedence(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "x", "severity": "B", "severity_confirmed": True, "requested_slot": "contract"}
    tracker = make_tracker(
        "旧価格で買った5インシデントパックです",
        "inform_contract",
        entities=[{"entity": "contract", "value": "pack5"}, {"entity": "contract", "value": "pack5_legacy"}],
        slots=base,
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["contract"] == "pack5_legacy"
    assert slots["requested_slot"] == "contact_company"  # the contact details come next


async def test_contract_in_words_without_entities(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "x", "severity": "C", "severity_confirmed": True, "requested_slot": "contract"}
    slots = await run_form(dispatcher, make_tracker("契約はまだしていないです", "inform_contract", slots=base), domain)
    assert slots["contract"] == "none"


async def test_contract_dont_know_and_repeated_unclear_answers(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "x", "severity": "C", "severity_confirmed": True, "requested_slot": "contract"}
    slots = await run_form(dispatcher, make_tracker("わかりません", "dont_know", slots=base), domain)
    assert slots["contract"] == "unknown"
    unclear = await run_form(
        dispatcher, make_tracker("えーと", "affirm", slots={**base, "contract_attempts": 2}), domain
    )
    assert unclear["contract"] == "unknown"
    once = await run_form(dispatcher, make_tracker("えーと", "affirm", slots=base), domain)
    assert once == {"contract_attempts": 1.0, "requested_slot": "contract"}


async def test_contract_said_up_front_is_not_asked(at, make_tracker, dispatcher, domain):
    tracker = make_tracker(
        "オンデマンドで契約済みです。Teamsで一部のユーザーだけ会議に参加できません",
        "report_problem",
        entities=[{"entity": "contract", "value": "on_demand"}],
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["contract"] == "on_demand"
    assert slots["severity"] == "B"
    assert slots["requested_slot"] == "severity_confirmed"


async def test_button_payload_is_not_taken_as_the_description(at, make_tracker, dispatcher, domain):
    slots = await run_form(dispatcher, make_tracker("/report_problem", "report_problem"), domain)
    assert "problem_description" not in slots
    assert slots["requested_slot"] == "problem_description"


async def test_out_of_scope_request_in_description_is_noted(at, make_tracker, dispatcher, domain):
    tracker = make_tracker("サーバーが落ちた原因を調査して報告してほしいです。今は復旧しています", "report_problem")
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["scope"] == "root_cause"


async def test_ask_severity_variants(at, make_tracker, dispatcher, domain):
    action = ActionAskSeverity()
    await action.run(dispatcher, make_tracker("x", "report_problem", slots={"impact_attempts": 0}), domain)
    await action.run(dispatcher, make_tracker("x", "dont_know", slots={"impact_attempts": 1}), domain)
    await action.run(
        dispatcher, make_tracker("x", "deny", slots={"impact_attempts": 1, "requested_slot": "severity"}), domain
    )
    assert responses(dispatcher) == ["utter_ask_severity", "utter_ask_severity_followup", "utter_ask_severity_reselect"]


async def test_ask_contract_and_phone_variants(at, make_tracker, dispatcher, domain):
    await ActionAskContract().run(dispatcher, make_tracker(slots={"severity": "B"}), domain)
    await ActionAskContract().run(dispatcher, make_tracker(slots={"severity": "A"}), domain)
    await ActionAskContract().run(dispatcher, make_tracker(slots={"contract_attempts": 1}), domain)
    await ActionAskPhoneReachable().run(dispatcher, make_tracker(slots={"form_retries": 0}), domain)
    await ActionAskPhoneReachable().run(dispatcher, make_tracker(slots={"form_retries": 1}), domain)
    assert responses(dispatcher) == [
        "utter_ask_contract",
        "utter_ask_contract_for_a",
        "utter_ask_contract_again",
        "utter_ask_phone_reachable",
        "utter_ask_phone_reachable_again",
    ]


def test_inside_hours_constant_is_a_business_day():
    assert INSIDE_HOURS.startswith("2026-11-25")


async def test_question_naming_a_contract_is_not_the_answer(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "x", "severity": "B", "severity_confirmed": True, "requested_slot": "contract"}
    tracker = make_tracker(
        "5インシデントパックっていくらでしたっけ",
        "ask_price",
        entities=[{"entity": "contract", "value": "pack5"}],
        slots=base,
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert set(slots) == {"requested_slot"}  # rejected: the FAQ rule answers, then the contract is asked again


async def test_contract_said_during_confirmation_is_kept(at, make_tracker, dispatcher, domain):
    base = {"problem_description": "x", "severity": "B", "severity_reason": "r", "requested_slot": "severity_confirmed"}
    tracker = make_tracker(
        "オンデマンドで契約してます",
        "inform_contract",
        entities=[{"entity": "contract", "value": "on_demand"}],
        slots=base,
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["contract"] == "on_demand"
    assert slots["requested_slot"] == "severity_confirmed"


async def test_severity_named_in_the_first_message_is_kept(at, make_tracker, dispatcher, domain):
    tracker = make_tracker(
        "深刻度Bで問い合わせしたいです", "choose_severity", entities=[{"entity": "severity", "value": "B"}]
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["severity"] == "B"
    assert slots["requested_slot"] == "problem_description"
