"""Intake tickets, contact details, survey and handoff as the action server runs them.

Each test gets its own SQLite database (``DATABASE_URL``) and checks both the events
and the responses an action sends, and what ended up in the ticket store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import tickets
from actions.contact import ActionAskContactPhone
from actions.fallback import ActionDefaultFallback
from actions.handoff import ActionEndHandoff, ActionRequestHuman, ValidateHandoffForm
from actions.out_of_scope import ActionHandleOutOfScope
from actions.outcome import ActionTriageOutcome
from actions.survey import ActionSaveSurvey, ValidateSurveyForm, parse_rating
from actions.triage_form import ValidateTriageForm
from tests.actions.conftest import SATURDAY_NIGHT, responses, slot_events
from tickets.contact import validate_email, validate_phone

TRIAGED = {
    "problem_description": "営業部だけファイルサーバーに繋がりません",
    "product": "Windows Server",
    "severity": "B",
    "severity_reason": "一部の利用者・部署に影響",
    "severity_confirmed": True,
    "contract": "pack5",
    "contact_company": "株式会社サンプル",
    "contact_name": "山田 太郎",
    "contact_phone": "03-1234-5678",
    "contact_email": "taro@example.co.jp",
}


async def run(
    action: Any, tracker: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return events, dispatcher


def followups(events: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


# ---------------------------------------------------------------- contact details


async def test_contact_phone_accepted_in_full_width(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker(
        "０９０－１２３４－５６７８",
        "inform_contract",
        slots={**TRIAGED, "contact_phone": None, "contact_email": None, "requested_slot": "contact_phone"},
    )
    events, _ = await run(ValidateTriageForm(), tracker, domain)
    slots = slot_events(events)
    assert slots["contact_phone"] == "090-1234-5678"
    assert slots["requested_slot"] == "contact_email"


async def test_contact_phone_with_a_wrong_length_is_asked_again_with_the_reason(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker(
        "03-1234-567",
        "chitchat",
        slots={**TRIAGED, "contact_phone": None, "contact_email": None, "requested_slot": "contact_phone"},
    )
    events, _ = await run(ValidateTriageForm(), tracker, domain)
    slots = slot_events(events)
    assert slots.get("contact_phone") is None
    assert slots["contact_error"] == "contact_phone:length"
    assert slots["requested_slot"] == "contact_phone"
    _asked, dispatcher = await run(
        ActionAskContactPhone(), make_tracker(slots={"contact_error": "contact_phone:length"}), domain
    )
    assert responses(dispatcher) == ["utter_invalid_contact_phone_length"]


async def test_contact_phone_left_empty_after_three_bad_answers(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker(
        "12345678",
        "chitchat",
        slots={
            **TRIAGED,
            "contact_phone": None,
            "contact_email": None,
            "requested_slot": "contact_phone",
            "contact_attempts": 2.0,
        },
    )
    events, dispatcher = await run(ValidateTriageForm(), tracker, domain)
    assert slot_events(events)["contact_phone"] == tickets.DECLINED
    assert "utter_contact_skipped" in responses(dispatcher)


async def test_contact_email_can_be_declined(make_tracker: Callable[..., Tracker], domain: dict, at: Any) -> None:
    tracker = make_tracker("なし", "deny", slots={**TRIAGED, "contact_email": None, "requested_slot": "contact_email"})
    events, _ = await run(ValidateTriageForm(), tracker, domain)
    slots = slot_events(events)
    assert slots["contact_email"] == tickets.DECLINED
    assert slots["requested_slot"] is None


@pytest.mark.parametrize(
    ("text", "error"),
    [("taro.example.co.jp", "no_at"), ("taro@example", "domain"), ("taro @example.co.jp", "spaces")],
)
async def test_bad_email_gives_its_reason(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any, text: str, error: str
) -> None:
    tracker = make_tracker(
        text, "chitchat", slots={**TRIAGED, "contact_email": None, "requested_slot": "contact_email"}
    )
    events, _ = await run(ValidateTriageForm(), tracker, domain)
    assert slot_events(events)["contact_error"] == f"contact_email:{error}"


async def test_a_question_instead_of_the_company_is_left_to_the_rules(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker(
        "料金はいくらですか？",
        "ask_price",
        slots={**TRIAGED, "contact_company": None, "requested_slot": "contact_company"},
    )
    events, _ = await run(ValidateTriageForm(), tracker, domain)
    assert "contact_company" not in slot_events(events)


async def test_a_company_name_that_looks_like_a_topic_is_still_a_company(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker(
        "富士通ソリューションズ株式会社",
        "ask_oem_product",
        slots={**TRIAGED, "contact_company": None, "contact_name": None, "requested_slot": "contact_company"},
    )
    events, _ = await run(ValidateTriageForm(), tracker, domain)
    slots = slot_events(events)
    assert slots["contact_company"] == "富士通ソリューションズ株式会社"
    assert slots["requested_slot"] == "contact_name"


async def test_contact_questions_come_after_the_contract(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker(
        "オンデマンドです",
        "inform_contract",
        slots={
            **TRIAGED,
            "contract": None,
            "contact_company": None,
            "contact_name": None,
            "requested_slot": "contract",
        },
    )
    events, _ = await run(ValidateTriageForm(), tracker, domain)
    slots = slot_events(events)
    assert slots["contract"] == "on_demand"
    assert slots["requested_slot"] == "contact_company"


# ---------------------------------------------------------------- ticket at the outcome


async def test_outcome_records_one_ticket_even_when_the_action_is_retried(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker("taro@example.co.jp", slots=TRIAGED, channel="line", sender_id="U-line-1")
    events, dispatcher = await run(ActionTriageOutcome(), tracker, domain)
    number = slot_events(events)["ticket_no"]
    assert number.startswith("PS-20261125-")
    assert "utter_ticket_created" in responses(dispatcher)
    created = next(m for m in dispatcher.messages if m["response"] == "utter_ticket_created")
    assert created["ticket_no"] == number

    again, _ = await run(ActionTriageOutcome(), tracker, domain)
    assert slot_events(again)["ticket_no"] == number

    stored = tickets.store().get(number)
    assert stored is not None
    assert (stored.channel, stored.conversation_id) == ("line", "U-line-1")
    assert (stored.severity, stored.severity_reason, stored.contract, stored.contract_ok) == (
        "B",
        "一部の利用者・部署に影響",
        "pack5",
        True,
    )
    assert (stored.company, stored.contact_name, stored.phone, stored.email) == (
        "株式会社サンプル",
        "山田 太郎",
        "03-1234-5678",
        "taro@example.co.jp",
    )
    assert stored.description == TRIAGED["problem_description"]
    assert stored.reception_route == "phone_or_online" and stored.outcome == "triage"
    assert len(tickets.store().list_tickets()) == 1


async def test_declined_contact_details_are_stored_empty(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    slots = {**TRIAGED, "contact_email": tickets.DECLINED, "contact_phone": tickets.DECLINED}
    events, _ = await run(ActionTriageOutcome(), make_tracker("なし", slots=slots), domain)
    stored = tickets.store().get(slot_events(events)["ticket_no"])
    assert stored is not None and stored.phone is None and stored.email is None


async def test_a_broken_database_still_gives_the_outcome(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://desk:secret@127.0.0.1:1/desk")  # nothing listens on port 1
    tickets.reset_for_tests()
    events, dispatcher = await run(ActionTriageOutcome(), make_tracker("はい", slots=TRIAGED), domain)
    sent = responses(dispatcher)
    assert sent[0] == "utter_outcome_now"
    assert "utter_ticket_unavailable" in sent
    assert slot_events(events)["ticket_no"] is None


async def test_a_redirect_outside_the_triage_is_recorded(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker("在庫管理の仕組みをゼロから設計してほしい", "request_consulting")
    events, dispatcher = await run(ActionHandleOutOfScope(), tracker, domain)
    number = slot_events(events)["ticket_no"]
    assert responses(dispatcher) == [
        "utter_redirect_consulting",
        "utter_ticket_recorded_redirect",
        "utter_anything_else",
    ]
    stored = tickets.store().get(number)
    assert stored is not None
    assert (stored.scope, stored.redirect, stored.outcome) == ("consulting", "consulting", "redirect")
    assert stored.description == "在庫管理の仕組みをゼロから設計してほしい"


async def test_a_premier_note_inside_the_triage_creates_no_extra_ticket(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker(
        "原因も調べてほしい", "request_root_cause", active_loop="triage_form", slots={"problem_description": "x"}
    )
    events, _ = await run(ActionHandleOutOfScope(), tracker, domain)
    assert "ticket_no" not in slot_events(events)
    assert tickets.store().list_tickets() == []


# ---------------------------------------------------------------- survey


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("5", 5),
        ("５", 5),
        ("4点", 4),
        ("3です", 3),
        ("★★", 2),
        ("とても満足", 5),
        ("不満", 2),
        ("普通", 3),
        ("ふつうかな", 3),
    ],
)
def test_ratings_are_read(text: str, rating: int) -> None:
    assert parse_rating(text) == rating


@pytest.mark.parametrize("text", ["", "6", "0", "よくわからない", "12"])
def test_unclear_ratings_are_not_guessed(text: str) -> None:
    assert parse_rating(text) is None


async def test_rating_then_comment_then_saved(make_tracker: Callable[..., Tracker], domain: dict, at: Any) -> None:
    outcome_events, _ = await run(ActionTriageOutcome(), make_tracker("はい", slots=TRIAGED), domain)
    number = slot_events(outcome_events)["ticket_no"]

    rated, _ = await run(
        ValidateSurveyForm(),
        make_tracker("4", "chitchat", slots={"ticket_no": number, "requested_slot": "survey_rating"}),
        domain,
    )
    assert slot_events(rated) == {"survey_rating": "4", "survey_attempts": 0.0, "requested_slot": "survey_comment"}

    commented, _ = await run(
        ValidateSurveyForm(),
        make_tracker(
            "説明がわかりやすかったです",
            "thank_you_not_a_real_intent",
            slots={"ticket_no": number, "survey_rating": "4", "requested_slot": "survey_comment"},
        ),
        domain,
    )
    assert slot_events(commented)["survey_comment"] == "説明がわかりやすかったです"
    assert slot_events(commented)["requested_slot"] is None

    saved, dispatcher = await run(
        ActionSaveSurvey(),
        make_tracker(slots={"ticket_no": number, "survey_rating": "4", "survey_comment": "説明がわかりやすかったです"}),
        domain,
    )
    assert responses(dispatcher) == ["utter_survey_thanks", "utter_anything_else"]
    assert followups(saved) == []
    stored = tickets.store().get(number)
    assert stored is not None
    assert (stored.survey_rating, stored.survey_comment, stored.survey_skipped) == (
        4,
        "説明がわかりやすかったです",
        False,
    )


async def test_survey_can_be_skipped(make_tracker: Callable[..., Tracker], domain: dict, at: Any) -> None:
    events, _ = await run(
        ValidateSurveyForm(), make_tracker("回答しない", "deny", slots={"requested_slot": "survey_rating"}), domain
    )
    assert slot_events(events)["survey_rating"] == "skipped"
    assert slot_events(events)["requested_slot"] is None
    outcome_events, _ = await run(ActionTriageOutcome(), make_tracker("はい", slots=TRIAGED), domain)
    number = slot_events(outcome_events)["ticket_no"]
    _, dispatcher = await run(
        ActionSaveSurvey(),
        make_tracker(slots={"ticket_no": number, "survey_rating": "skipped", "survey_comment": "none"}),
        domain,
    )
    assert responses(dispatcher) == ["utter_survey_skipped", "utter_anything_else"]
    stored = tickets.store().get(number)
    assert stored is not None and stored.survey_skipped and stored.survey_rating is None


async def test_an_unclear_rating_is_asked_once_more_then_dropped(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    first, _ = await run(
        ValidateSurveyForm(), make_tracker("うーん", "chitchat", slots={"requested_slot": "survey_rating"}), domain
    )
    assert slot_events(first) == {"survey_attempts": 1.0, "requested_slot": "survey_rating"}
    second, _ = await run(
        ValidateSurveyForm(),
        make_tracker("うーん", "chitchat", slots={"requested_slot": "survey_rating", "survey_attempts": 1.0}),
        domain,
    )
    assert slot_events(second)["survey_rating"] == "skipped"


@pytest.mark.parametrize(
    ("text", "intent", "handler", "sent", "followup"),
    [
        ("受付時間は何時までですか", "ask_hours", "action_answer_faq", ["utter_faq_hours", "utter_hours_open_now"], []),
        ("サンプルコードを書いてもらえますか", "request_development", "action_handle_out_of_scope", None, []),
        ("別件でExchangeが落ちて全社でメールが止まっています", "report_problem", "triage_form", [], ["triage_form"]),
        ("担当者と話したい", "request_human", "action_request_human", [], ["action_request_human"]),
        ("さようなら", "goodbye", "utter_goodbye", ["utter_goodbye"], []),
        ("ありがとうございました", "thank", "utter_thank", ["utter_thank"], []),
    ],
)
async def test_a_new_request_ends_the_survey_and_is_handled(
    make_tracker: Callable[..., Tracker],
    domain: dict,
    at: Any,
    text: str,
    intent: str,
    handler: str,
    sent: list[str] | None,
    followup: list[str],
) -> None:
    events, _ = await run(
        ValidateSurveyForm(), make_tracker(text, intent, slots={"requested_slot": "survey_rating"}), domain
    )
    slots = slot_events(events)
    assert slots["requested_slot"] is None and slots["survey_followup"] == handler
    saved, dispatcher = await run(
        ActionSaveSurvey(),
        make_tracker(text, intent, slots={"survey_rating": "skipped", "survey_followup": handler}),
        domain,
    )
    assert followups(saved) == followup
    if sent is None:  # a redirect: its answer and the ticket that records it
        assert responses(dispatcher)[:2] == ["utter_redirect_development", "utter_ticket_recorded_redirect"]
    else:
        assert responses(dispatcher) == sent


# ---------------------------------------------------------------- handoff


async def test_handoff_inside_hours_notifies_the_agents_and_pauses(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    history = [
        {"event": "user", "timestamp": 1764032400.0, "text": "Excelが開けません", "input_channel": "rest"},
        {"event": "bot", "timestamp": 1764032401.0, "text": "影響の範囲を教えてください。"},
        {"event": "user", "timestamp": 1764032460.0, "text": "担当者と話したい", "input_channel": "rest"},
    ]
    tracker = make_tracker(
        "担当者と話したい", "request_human", events=history, slots={"problem_description": "Excelが開けません"}
    )
    events, dispatcher = await run(ActionRequestHuman(), tracker, domain)
    slots = slot_events(events)
    assert slots["handoff_state"] == "requested"
    assert followups(events) == []  # the rule starts handoff_form
    assert responses(dispatcher) == ["utter_handoff_open"]
    number = slots["ticket_no"]
    stored = tickets.store().get(number)
    assert stored is not None and stored.handoff_state == "requested" and stored.outcome == "handoff"
    assert stored.description == "Excelが開けません"
    pending = tickets.store().outbox()
    agent = [row for row in pending if row.target == "agent"]
    assert [row.event for row in agent] == ["handoff.requested"]
    assert "Excelが開けません" in agent[0].payload and "影響の範囲を教えてください。" in agent[0].payload


async def test_handoff_during_the_triage_leaves_deactivation_to_the_rules(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker(
        "人と話したい", "request_human", active_loop="triage_form", slots={"problem_description": "x"}
    )
    events, _ = await run(ActionRequestHuman(), tracker, domain)
    assert followups(events) == []


async def test_handoff_after_hours_records_and_gives_the_a_line(
    make_tracker: Callable[..., Tracker], domain: dict, at: Callable[[str], None]
) -> None:
    at(SATURDAY_NIGHT)
    tracker = make_tracker(
        "人と話したい", "request_human", slots={"problem_description": "基幹システムが全停止", "severity": "A"}
    )
    events, dispatcher = await run(ActionRequestHuman(), tracker, domain)
    assert slot_events(events)["handoff_state"] == "after_hours"
    assert responses(dispatcher) == ["utter_handoff_closed", "utter_handoff_closed_severity_a"]
    assert "0120-17-0196" in str(dispatcher.messages[1])
    stored = tickets.store().get(slot_events(events)["ticket_no"])
    assert stored is not None and stored.handoff_state == "after_hours"
    assert stored.description == "基幹システムが全停止"


async def test_after_hours_without_an_a_mentions_the_a_line_generally(
    make_tracker: Callable[..., Tracker], domain: dict, at: Callable[[str], None]
) -> None:
    at(SATURDAY_NIGHT)
    _, dispatcher = await run(ActionRequestHuman(), make_tracker("人と話したい", "request_human"), domain)
    assert responses(dispatcher) == ["utter_handoff_closed", "utter_handoff_closed_a_line"]


async def test_messages_during_the_handoff_are_relayed(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    events, _ = await run(ActionRequestHuman(), make_tracker("人と話したい", "request_human"), domain)
    number = slot_events(events)["ticket_no"]
    relayed, _ = await run(
        ValidateHandoffForm(),
        make_tracker(
            "エラーコードは0x80070005です",
            "report_problem",
            active_loop="handoff_form",
            slots={"ticket_no": number, "requested_slot": "handoff_note"},
        ),
        domain,
    )
    assert slot_events(relayed) == {"handoff_messages": 1.0, "handoff_note": None, "requested_slot": "handoff_note"}
    agent_events = [row.event for row in tickets.store().outbox() if row.target == "agent"]
    assert agent_events == ["handoff.requested", "handoff.message"]


async def test_the_customer_can_cancel_the_handoff(make_tracker: Callable[..., Tracker], domain: dict, at: Any) -> None:
    events, _ = await run(ActionRequestHuman(), make_tracker("人と話したい", "request_human"), domain)
    number = slot_events(events)["ticket_no"]
    cancelled, _ = await run(
        ValidateHandoffForm(),
        make_tracker(
            "やっぱりキャンセルで",
            "deny",
            active_loop="handoff_form",
            slots={"ticket_no": number, "requested_slot": "handoff_note"},
        ),
        domain,
    )
    assert slot_events(cancelled) == {"handoff_state": "cancelled", "requested_slot": None}
    _, dispatcher = await run(
        ActionEndHandoff(), make_tracker(slots={"ticket_no": number, "handoff_state": "cancelled"}), domain
    )
    assert responses(dispatcher) == ["utter_handoff_cancelled", "utter_anything_else"]
    stored = tickets.store().get(number)
    assert stored is not None and stored.handoff_state == "cancelled"


async def test_repeated_misunderstanding_leads_to_a_person(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker("ぬるぽ", "nlu_fallback", active_loop="action_two_stage_fallback")
    events, dispatcher = await run(ActionDefaultFallback(), tracker, domain)
    assert responses(dispatcher) == ["utter_default_to_handoff"]
    assert followups(events) == ["action_request_human"]


def test_every_contact_error_has_a_response(domain: dict) -> None:
    from actions.contact import INVALID_RESPONSES

    assert set(INVALID_RESPONSES.values()) <= set(domain["responses"])
    produced = {
        f"contact_phone:{validate_phone(t).error}" for t in ["", "abc", "03-1234", "1234567890", "+1 555 0100"]
    } | {
        f"contact_email:{validate_email(t).error}"
        for t in ["", "a b@x.jp", "ab.jp", "a@b", "@x.jp", "a" * 300 + "@x.jp"]
    }
    assert produced <= set(INVALID_RESPONSES), produced - set(INVALID_RESPONSES)


async def test_the_handoff_form_relays_nothing_when_it_starts(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    events, _ = await run(ActionRequestHuman(), make_tracker("人と話したい", "request_human"), domain)
    number = slot_events(events)["ticket_no"]
    started, _ = await run(
        ValidateHandoffForm(),
        make_tracker("人と話したい", "request_human", active_loop="handoff_form", slots={"ticket_no": number}),
        domain,
    )
    assert slot_events(started) == {"requested_slot": "handoff_note"}
    assert [row.event for row in tickets.store().outbox() if row.target == "agent"] == ["handoff.requested"]


@pytest.mark.parametrize(
    ("moment", "followup"), [("2026-11-25T10:00:00+09:00", "handoff_form"), (SATURDAY_NIGHT, "action_listen")]
)
async def test_a_handoff_reached_from_another_action_says_what_comes_next(
    make_tracker: Callable[..., Tracker], domain: dict, at: Callable[[str], None], moment: str, followup: str
) -> None:
    at(moment)
    tracker = make_tracker("ぬるぽ", "nlu_fallback", latest_action="action_two_stage_fallback")
    events, _ = await run(ActionRequestHuman(), tracker, domain)
    assert followups(events) == [followup]


async def test_a_handoff_without_a_triage_records_what_the_customer_wrote(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    history = [
        {"event": "user", "timestamp": 1764032400.0, "text": "請求書の宛名を変えたいのですが", "input_channel": "rest"},
        {"event": "bot", "timestamp": 1764032401.0, "text": "申し訳ございません、うまく理解できませんでした。"},
        {"event": "user", "timestamp": 1764032460.0, "text": "/request_human", "input_channel": "rest"},
    ]
    events, _ = await run(ActionRequestHuman(), make_tracker("/request_human", "request_human", events=history), domain)
    stored = tickets.store().get(slot_events(events)["ticket_no"])
    assert stored is not None and stored.description == "請求書の宛名を変えたいのですが"


# ---------------------------------------------------------------- issue 11: open items
async def test_cancelling_a_handoff_at_the_description_question_asks_it_again(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    tracker = make_tracker(
        "担当者と話したいです",
        "request_human",
        active_loop="triage_form",
        slots={"requested_slot": "problem_description"},
    )
    events, _ = await run(ActionRequestHuman(), tracker, domain)
    slots = slot_events(events)
    assert slots["triage_paused"] is True
    ended, dispatcher = await run(
        ActionEndHandoff(),
        make_tracker(slots={"ticket_no": slots["ticket_no"], "handoff_state": "cancelled", "triage_paused": True}),
        domain,
    )
    assert responses(dispatcher) == ["utter_handoff_cancelled"]
    assert followups(ended) == ["triage_form"]  # the description is asked again
    assert slot_events(ended)["triage_paused"] is None


async def test_a_handoff_then_the_triage_leave_one_ticket(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    described = {"problem_description": TRIAGED["problem_description"], "requested_slot": "severity"}
    tracker = make_tracker("人と話したいです", "request_human", active_loop="triage_form", slots=described)
    events, _ = await run(ActionRequestHuman(), tracker, domain)
    handoff = slot_events(events)
    assert handoff["ticket_problem"] == TRIAGED["problem_description"]
    history = [{"event": "user", "timestamp": 1764032999.0, "text": "taro@example.co.jp", "input_channel": "rest"}]
    slots = {**TRIAGED, "ticket_no": handoff["ticket_no"], "ticket_problem": handoff["ticket_problem"]}
    done, _ = await run(ActionTriageOutcome(), make_tracker("taro@example.co.jp", events=history, slots=slots), domain)
    assert slot_events(done)["ticket_no"] == handoff["ticket_no"]
    stored = tickets.store().list_tickets()
    assert len(stored) == 1
    assert (stored[0].severity, stored[0].contract, stored[0].outcome) == ("B", "pack5", "triage")
    assert stored[0].email == "taro@example.co.jp"


async def test_calling_now_before_any_description_stores_nothing(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    history = [
        {"event": "user", "timestamp": 1764032400.0, "text": "/report_problem", "input_channel": "rest"},
        {"event": "user", "timestamp": 1764032460.0, "text": "今から電話します", "input_channel": "rest"},
    ]
    tracker = make_tracker(
        "今から電話します",
        "calling_now",
        events=history,
        active_loop="triage_form",
        slots={"requested_slot": "problem_description"},
    )
    events, dispatcher = await run(ValidateTriageForm(), tracker, domain)
    slots = slot_events(events)
    assert responses(dispatcher) == ["utter_calling_now"]
    assert "problem_description" not in slots and slots["calling_now"] is True
    assert slots["requested_slot"] is None  # nothing more is asked
    done, _ = await run(ActionTriageOutcome(), make_tracker("今から電話します", slots=slots), domain)
    assert slot_events(done)["ticket_problem"] is None


async def _survey_after_a_triage(make_tracker: Callable[..., Tracker], domain: dict) -> str:
    done, _ = await run(ActionTriageOutcome(), make_tracker("taro@example.co.jp", slots=TRIAGED), domain)
    return str(slot_events(done)["ticket_no"])


async def test_a_contract_correction_during_the_survey_updates_the_ticket(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    number = await _survey_after_a_triage(make_tracker, domain)
    tracker = make_tracker(
        "あ、契約は旧価格の5インシデントパックでした",
        "inform_contract",
        slots={"ticket_no": number, "requested_slot": "survey_rating"},
    )
    events, dispatcher = await run(ValidateSurveyForm(), tracker, domain)
    assert slot_events(events) == {"contract": "pack5_legacy", "requested_slot": "survey_rating"}
    assert responses(dispatcher) == ["utter_contract_noted_pack5_legacy"]
    stored = tickets.store().get(number)
    assert stored is not None and (stored.contract, stored.contract_ok) == ("pack5_legacy", True)


async def test_an_a_statement_during_the_survey_makes_the_case_a(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    number = await _survey_after_a_triage(make_tracker, domain)
    tracker = make_tracker(
        "本番のファイルサーバーが落ちて全社の業務が止まっています",
        "report_problem",
        slots={"ticket_no": number, "requested_slot": "survey_comment", "survey_rating": "4"},
    )
    events, dispatcher = await run(ValidateSurveyForm(), tracker, domain)
    slots = slot_events(events)
    assert slots["severity"] == "A" and slots["requested_slot"] is None
    assert slots["survey_followup"] == "severity_a"
    assert responses(dispatcher) == ["utter_severity_a_call_now", "utter_ticket_for_the_call"]
    assert dispatcher.messages[0]["phone"] == "0120-17-0196"
    stored = tickets.store().get(number)
    assert stored is not None and stored.severity == "A"
    assert len(tickets.store().list_tickets()) == 1  # the same case, not a new triage
    saved, said = await run(ActionSaveSurvey(), make_tracker(slots={"ticket_no": number, **slots}), domain)
    assert responses(said) == [] and followups(saved) == []  # no thanks, no "anything else" in an outage


async def test_the_triage_resumed_after_a_cancelled_handoff_reads_nothing_from_the_cancel(
    make_tracker: Callable[..., Tracker], domain: dict, at: Any
) -> None:
    history = [
        {"event": "user", "timestamp": 1764032460.0, "text": "キャンセル", "input_channel": "rest"},
        {"event": "action", "name": "handoff_form"},
        {"event": "active_loop", "name": None},
        {"event": "action", "name": "action_end_handoff"},
        {"event": "action", "name": "triage_form"},
    ]
    tracker = make_tracker("キャンセル", "report_problem", events=history, latest_action="triage_form")
    events, dispatcher = await run(ValidateTriageForm(), tracker, domain)
    slots = slot_events(events)
    assert "problem_description" not in slots
    assert slots["requested_slot"] == "problem_description"
    assert responses(dispatcher) == []
