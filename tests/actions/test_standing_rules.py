"""The rules that hold at every step (issue 11): A statements, calling now, corrections,
questions, restart look-alikes, values given earlier, the short A path, one ticket per problem."""

from __future__ import annotations

from typing import Any

from actions import tickets
from actions.calling import ActionCallingNow
from actions.contact import ActionAskContactCompany
from actions.fallback import ActionDefaultAskAffirmation
from actions.faq import ActionAnswerFaq
from actions.handoff import ActionRequestHuman, ValidateHandoffForm
from actions.out_of_scope import ActionHandleOutOfScope
from actions.outcome import ActionTriageOutcome
from actions.restart import ActionStartOver
from actions.triage_form import ActionAskContract, ActionAskSeverity, ValidateTriageForm
from tests.actions.conftest import SATURDAY_NIGHT, responses, slot_events

FORM = ValidateTriageForm()
A_TEXT = "本番のファイルサーバーが落ちて全社の業務が止まっています"
A_SLOTS = {
    "problem_description": "サーバーが落ちました！！",
    "severity": "A",
    "severity_reason": "サーバーやシステムの停止",
    "severity_confirmed": True,
}
B_SLOTS = {
    "problem_description": "営業部だけファイルサーバーに繋がりません",
    "severity": "B",
    "severity_reason": "一部の利用者や部署への影響",
    "severity_confirmed": True,
    "contract": "pack5",
}


async def run_form(dispatcher: Any, tracker: Any, domain: Any) -> dict[str, Any]:
    return slot_events(await FORM.run(dispatcher, tracker, domain))


# ---------------------------------------------------------------- corrections of the severity
async def test_a_corrected_to_a_test_server_at_the_contract_step(at, make_tracker, dispatcher, domain):
    text = "すみません、落ちたのは検証用のサーバーで、本番の業務には影響ありません"
    tracker = make_tracker(text, "inform_contract", slots={**A_SLOTS, "requested_slot": "contract"})
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["severity"] == "C"  # a test system, no business impact (POLICY §2.1)
    assert slots["requested_slot"] == "severity_confirmed"
    assert "contract" not in slots
    assert responses(dispatcher)[0] == "utter_severity_withdrawn"


async def test_not_a_said_in_words(at, make_tracker, dispatcher, domain):
    tracker = make_tracker(
        "深刻度Aじゃなくて大丈夫です",
        "choose_severity",
        entities=[{"entity": "severity", "value": "A"}],
        slots={**A_SLOTS, "requested_slot": "contract"},
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["severity"] is None
    assert slots["requested_slot"] == "severity"
    await ActionAskSeverity().run(dispatcher, make_tracker(slots={**slots, "impact_attempts": 1}), domain)
    assert responses(dispatcher)[-1] == "utter_ask_severity_reselect"  # its variant without A first


async def test_a_statement_at_a_contact_step_upgrades_and_gives_the_number(at, make_tracker, dispatcher, domain):
    tracker = make_tracker(A_TEXT, "report_problem", slots={**B_SLOTS, "requested_slot": "contact_name"})
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["severity"] == "A"
    assert "contact_name" not in slots
    assert responses(dispatcher)[0] == "utter_severity_a_call_now"
    assert dispatcher.messages[0]["phone"] == "0120-17-0196"


async def test_a_statement_again_gets_the_number_again(at, make_tracker, dispatcher, domain):
    tracker = make_tracker(A_TEXT, "report_problem", slots={**A_SLOTS, "requested_slot": "contract"})
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["last_reading"] == "a_statement"
    assert responses(dispatcher) == ["utter_severity_a_reminder"]


async def test_thats_not_what_i_meant_undoes_the_severity(at, make_tracker, dispatcher, domain):
    tracker = make_tracker(
        "そういう意味じゃない", "deny", slots={**B_SLOTS, "last_decided": "severity", "requested_slot": "contract"}
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["severity"] is None
    assert slots["requested_slot"] == "severity"
    assert responses(dispatcher) == ["utter_correction_severity"]


# ---------------------------------------------------------------- calling now, the short A path
async def test_calling_now_ends_the_questions(at, make_tracker, dispatcher, domain):
    tracker = make_tracker("今から電話します！", "calling_now", slots={**A_SLOTS, "requested_slot": "contract"})
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["requested_slot"] is None
    assert slots["calling_now"] is True
    assert slots["contract"] == "unknown"
    assert responses(dispatcher) == ["utter_calling_now_a"]


async def test_calling_now_outside_a_form(at, make_tracker, dispatcher, domain):
    await ActionCallingNow().run(dispatcher, make_tracker("電話したほうがいいですか？", "calling_now"), domain)
    at(SATURDAY_NIGHT)
    await ActionCallingNow().run(dispatcher, make_tracker("電話したほうがいいですか？", "calling_now"), domain)
    await ActionCallingNow().run(dispatcher, make_tracker("電話します", "calling_now", slots={"severity": "A"}), domain)
    assert responses(dispatcher) == ["utter_calling_now", "utter_calling_now_closed", "utter_calling_now_a"]


async def test_on_the_a_path_phone_is_a_fine_answer_for_the_contract(at, make_tracker, dispatcher, domain):
    tracker = make_tracker("お電話で伺います", "inform_contract", slots={**A_SLOTS, "requested_slot": "contract"})
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["contract"] == "unknown"
    assert slots["contact_company"] == tickets.DECLINED
    assert slots["requested_slot"] is None


async def test_on_the_a_path_contacts_are_asked_once_together(at, make_tracker, dispatcher, domain):
    await ActionAskContactCompany().run(dispatcher, make_tracker(slots=A_SLOTS), domain)
    assert responses(dispatcher) == ["utter_ask_contact_company_for_a"]
    tracker = make_tracker(
        "株式会社サンプルの山田です。03-1234-5678",
        "inform_contract",
        slots={**A_SLOTS, "contract": "pack5", "requested_slot": "contact_company"},
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["contact_company"] == "株式会社サンプル"
    assert slots["contact_name"] == "山田"
    assert slots["contact_phone"] == "03-1234-5678"
    assert slots["contact_email"] == tickets.DECLINED
    assert slots["requested_slot"] is None


async def test_no_survey_after_an_a_outcome(at, make_tracker, dispatcher, domain):
    events = await ActionTriageOutcome().run(dispatcher, make_tracker(slots={**A_SLOTS, "contract": "pack5"}), domain)
    assert slot_events(events)["survey_due"] is False
    events = await ActionTriageOutcome().run(dispatcher, make_tracker(slots=B_SLOTS), domain)
    assert slot_events(events)["survey_due"] is True


# ---------------------------------------------------------------- downgrade in the reply to いいえ
async def test_downgrade_is_said_in_the_reply_to_no(at, make_tracker, dispatcher, domain):
    at(SATURDAY_NIGHT)
    tracker = make_tracker("いいえ、難しいです", "deny", slots={**A_SLOTS, "requested_slot": "phone_reachable"})
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["phone_reachable"] is False
    assert responses(dispatcher) == ["utter_downgraded_now"]
    assert dispatcher.messages[0]["start"] == "11月30日（月）9:00"
    await ActionAskContract().run(dispatcher, make_tracker(slots={**A_SLOTS, "phone_reachable": False}), domain)
    await ActionAskContactCompany().run(dispatcher, make_tracker(slots={**A_SLOTS, "phone_reachable": False}), domain)
    assert responses(dispatcher)[1:] == ["utter_ask_contract", "utter_ask_contact_company"]


# ---------------------------------------------------------------- the contact step
async def test_contract_correction_at_the_company_step_is_not_the_company(at, make_tracker, dispatcher, domain):
    tracker = make_tracker(
        "あ、契約は旧価格の5インシデントパックでした",
        "inform_contract",
        slots={**B_SLOTS, "requested_slot": "contact_company"},
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["contract"] == "pack5_legacy"
    assert "contact_company" not in slots
    assert slots["requested_slot"] == "contact_company"
    assert responses(dispatcher) == ["utter_contract_noted_pack5_legacy"]


async def test_restart_look_alike_company_is_stored(at, make_tracker, dispatcher, domain):
    tracker = make_tracker("株式会社リセット", "start_over", slots={**B_SLOTS, "requested_slot": "contact_company"})
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["contact_company"] == "株式会社リセット"
    assert slots["requested_slot"] == "contact_name"


async def test_restart_only_on_a_command(at, make_tracker, dispatcher, domain):
    ranking = [{"name": "start_over", "confidence": 0.8}, {"name": "inform_contract", "confidence": 0.1}]
    events = await ActionStartOver().run(
        dispatcher, make_tracker("パスワードのリセット方法", "start_over", ranking=ranking), domain
    )
    assert [e["event"] for e in events] == ["rewind", "user"]
    assert events[1]["parse_data"]["intent"]["name"] == "inform_contract"
    assert await ActionStartOver().run(dispatcher, make_tracker("最初から", "start_over"), domain) == []


async def test_a_question_at_the_phone_step_is_not_stored(at, make_tracker, dispatcher, domain):
    ranking = [{"name": "inform_contract", "confidence": 0.5}, {"name": "ask_survey", "confidence": 0.3}]
    tracker = make_tracker(
        "アンケートって何ですか？",
        "inform_contract",
        ranking=ranking,
        slots={
            **B_SLOTS,
            "contact_company": "株式会社サンプル",
            "contact_name": "山田",
            "requested_slot": "contact_phone",
        },
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert "contact_phone" not in slots and "contact_error" not in slots
    assert slots["requested_slot"] == "contact_phone"
    assert responses(dispatcher) == ["utter_faq_survey"]


async def test_signature_block_is_used_and_confirmed_not_asked(at, make_tracker, dispatcher, domain):
    text = (
        "お世話になっております。営業部だけファイルサーバーに繋がりません。\n--\n"
        "株式会社サンプル商事 情報システム部\n山田 太郎\nTEL: 03-1234-5678\nMail: taro.yamada@example.co.jp"
    )
    slots = await run_form(dispatcher, make_tracker(text, "report_problem"), domain)
    assert slots["contact_company"] == "株式会社サンプル商事"
    assert slots["contact_name"] == "山田 太郎"
    assert slots["contact_email"] == "taro.yamada@example.co.jp"
    assert slots["contact_prefilled"] is True
    later = {**slots, "severity_confirmed": True, "contract": "pack5", "requested_slot": "contract"}
    required = await FORM.required_slots([], dispatcher, make_tracker(slots=later), domain)
    assert required[-1] == "contact_confirmed"
    confirmed = await run_form(
        dispatcher, make_tracker("はい", "affirm", slots={**later, "requested_slot": "contact_confirmed"}), domain
    )
    assert confirmed["contact_confirmed"] is True
    assert confirmed["requested_slot"] is None


async def test_recovery_question_at_any_step_gets_the_note(at, make_tracker, dispatcher, domain):
    tracker = make_tracker(
        "ちなみにデータは確実に戻せますか", "inform_contract", slots={**B_SLOTS, "requested_slot": "contact_company"}
    )
    await run_form(dispatcher, tracker, domain)
    assert "utter_faq_data_recovery" in responses(dispatcher) or "utter_data_recovery_note" in responses(dispatcher)


# ---------------------------------------------------------------- everywhere else
async def test_a_statement_during_a_handoff_gets_the_number(at, make_tracker, dispatcher, domain):
    events = await ActionRequestHuman().run(
        CollectingDispatcherFactory(), make_tracker("人と話したい", "request_human"), domain
    )
    number = slot_events(events)["ticket_no"]
    tracker = make_tracker(
        A_TEXT,
        "report_problem",
        active_loop="handoff_form",
        slots={"ticket_no": number, "requested_slot": "handoff_note"},
    )
    await ValidateHandoffForm().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_severity_a_call_now"]
    calling = make_tracker(
        "電話したほうがいいですか？",
        "calling_now",
        active_loop="handoff_form",
        slots={"ticket_no": number, "requested_slot": "handoff_note"},
    )
    await ValidateHandoffForm().run(dispatcher, calling, domain)
    assert responses(dispatcher)[1:] == ["utter_calling_now", "utter_ticket_for_the_call"]


async def test_a_statement_not_understood_still_gets_the_number(at, make_tracker, dispatcher, domain):
    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "chitchat", "confidence": 0.3}]
    await ActionDefaultAskAffirmation().run(dispatcher, make_tracker(A_TEXT, "nlu_fallback", ranking=ranking), domain)
    assert responses(dispatcher)[0] == "utter_severity_a_call_now"


async def test_premier_contact_is_about_premier(at, make_tracker, dispatcher, domain):
    await ActionAnswerFaq().run(dispatcher, make_tracker("プレミアの連絡先は？", "ask_contact"), domain)
    assert responses(dispatcher) == ["utter_faq_premier"]
    assert dispatcher.messages[0]["premier_ask_via"]


async def test_one_ticket_per_problem_after_an_out_of_scope_answer(at, make_tracker, dispatcher, domain):
    first = await ActionHandleOutOfScope().run(
        dispatcher, make_tracker("自作アプリのデバッグをお願いしたい", "request_debugging"), domain
    )
    slots = slot_events(first)
    again = make_tracker(
        "自作アプリのデバッグをお願いしたい",
        "request_debugging",
        slots={"ticket_no": slots["ticket_no"], "ticket_problem": slots["ticket_problem"], "scope": "debugging"},
        events=[{"event": "user", "timestamp": 1764032500.0, "text": "x", "input_channel": "rest"}],
    )
    second = await ActionHandleOutOfScope().run(dispatcher, again, domain)
    assert slot_events(second)["ticket_no"] == slots["ticket_no"]
    assert "utter_ticket_already_recorded" in responses(dispatcher)
    assert len(tickets.store().list_tickets()) == 1


async def test_follow_ups_never_repeat_word_for_word(domain):
    """Asked again, a question comes in other words: conditional variants of its response."""
    for name, slot in [
        ("utter_ask_severity_followup", "impact_attempts"),
        ("utter_ask_contract", "asked_before"),
        ("utter_ask_contact_name", "asked_before"),
        ("utter_ask_phone_reachable_again", "form_retries"),
    ]:
        variants = domain["responses"][name]
        assert len({v["text"] for v in variants}) == len(variants) >= 2
        assert any(c["name"] == slot for v in variants for c in v.get("condition", []))


def CollectingDispatcherFactory() -> Any:
    from rasa_sdk.executor import CollectingDispatcher

    return CollectingDispatcher()


async def test_standing_rules_read_the_message_once_as_rasa_calls_the_form(at, make_tracker, dispatcher, domain):
    """Rasa sends the form's validation a tracker whose latest action is the form itself;
    after an interruption rule the same message must not be read again."""
    user = {"event": "user", "timestamp": 1764032400.0, "text": "今から電話します！", "input_channel": "rest"}
    form = {"event": "action", "name": "triage_form"}
    first = make_tracker(
        "今から電話します！",
        "calling_now",
        slots={**A_SLOTS, "requested_slot": "contract"},
        events=[user, form],
        latest_action="triage_form",
    )
    assert (await run_form(dispatcher, first, domain))["calling_now"] is True
    again = make_tracker(
        "今から電話します！",
        "calling_now",
        slots={**A_SLOTS, "requested_slot": "contract"},
        events=[user, {"event": "action", "name": "action_calling_now"}, form],
        latest_action="triage_form",
    )
    assert "calling_now" not in await run_form(CollectingDispatcherFactory(), again, domain)


async def test_by_phone_answers_the_reachability_question(at, make_tracker, dispatcher, domain):
    at(SATURDAY_NIGHT)
    tracker = make_tracker(
        "お電話で伺います", "inform_contract", slots={**A_SLOTS, "requested_slot": "phone_reachable"}
    )
    slots = await run_form(dispatcher, tracker, domain)
    assert slots["phone_reachable"] is True
