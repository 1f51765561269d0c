"""Whole conversations through the REST channel against the running servers."""

from __future__ import annotations

import hashlib
import hmac
import json
import re

from tests.live import Desk, WebhookReceiver, http
from tickets.store import TicketStore

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


CONTACT = ["株式会社サンプル商事", "山田 太郎", "03-1234-5678", "taro.yamada@example.co.jp"]
CONTACT_QUESTIONS = [
    "utter_ask_contact_company",
    "utter_ask_contact_name",
    "utter_ask_contact_phone",
    "utter_ask_contact_email",
]


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def give_contact(desk: Desk, sender: str) -> list[dict]:
    """Answers the four contact questions; returns the replies to the last one (the outcome)."""
    replies: list[dict] = []
    for answer in CONTACT:
        replies = desk.say(sender, answer)
    return replies


def ticket_store(desk: Desk) -> TicketStore:
    return TicketStore(f"sqlite:///{desk.tmp / 'desk.db'}")


def test_partial_impact_with_a_price_question_in_the_middle(inside: Desk, webhooks: WebhookReceiver) -> None:
    sender = inside.new_sender()
    first = inside.say(sender, "営業部だけ、ファイルサーバーに繋がらなくなりました。ほかの部署は使えています。")
    assert "深刻度B" in texts(first)
    assert first[-1]["buttons"][0]["payload"] == "/affirm"
    inside.say(sender, "はい、合ってます")
    price = inside.say(sender, "ちなみに料金っていくらですか？")
    assert "54,890円" in texts(price) and "219,890円" in texts(price)
    inside.say(sender, '/inform_contract{"contract": "pack5"}')
    outcome = give_contact(inside, sender)
    assert inside.responses_after(sender) == [
        "utter_ask_severity_confirmed",
        "utter_ask_contract",
        "utter_faq_price",
        "utter_ask_contract",
        *CONTACT_QUESTIONS,
        "utter_outcome_now",
        "utter_contract_ok_pack5",
        "utter_ticket_created",
        "utter_ask_survey_rating",
    ]
    assert [b["payload"] for b in outcome[-1]["buttons"]] == ["5", "4", "3", "2", "1", "回答しない"]
    slots = inside.tracker(sender)["slots"]
    assert slots["reception_route"] == "phone_or_online"
    assert slots["contract"] == "pack5"
    assert slots["problem_description"] is None  # ready for the next problem
    number = slots["ticket_no"]
    assert re.fullmatch(r"PS-20261125-\d{4}", number) and number in texts(outcome)

    created = webhooks.wait_for("ticket.created", number)
    stamp = created["headers"]["X-PS-Timestamp"]
    signature = hmac.new(b"e2e-ticket-secret", f"{stamp}.".encode() + created["body"], hashlib.sha256).hexdigest()
    assert created["headers"]["X-PS-Signature"] == f"sha256={signature}"
    assert json.loads(created["body"])["ticket"]["email"] == CONTACT[3]

    inside.say(sender, "４")
    inside.say(sender, "料金の説明が分かりやすかったです")
    webhooks.wait_for("survey.recorded", number)
    ticket = ticket_store(inside).get(number)
    assert ticket is not None
    assert (ticket.severity, ticket.contract, ticket.contract_ok, ticket.channel) == ("B", "pack5", True, "rest")
    assert (ticket.company, ticket.contact_name, ticket.phone, ticket.email) == tuple(CONTACT)
    assert (ticket.survey_rating, ticket.survey_comment) == (4, "料金の説明が分かりやすかったです")
    assert ticket.description == "営業部だけ、ファイルサーバーに繋がらなくなりました。ほかの部署は使えています。"
    assert inside.responses_after(sender)[-3:] == [
        "utter_ask_survey_comment",
        "utter_survey_thanks",
        "utter_anything_else",
    ]


def test_critical_outage_gets_the_phone_number_in_the_first_reply(inside: Desk) -> None:
    sender = inside.new_sender()
    replies = inside.say(sender, "本番のＳＱＬ　Ｓｅｒｖｅｒが落ちて、全社の受注業務が止まっています！")
    assert "0120-17-0196" in replies[0]["text"]
    assert "深刻度A" in replies[0]["text"]
    inside.say(sender, "旧価格の5インシデントパックです")
    # The A path is short: the contact details are asked once, all together, and there
    # is no satisfaction survey in the middle of an outage (issue 11).
    inside.say(sender, "株式会社サンプル商事の山田です。03-1234-5678")
    assert inside.responses_after(sender) == [
        "utter_severity_a_call_now",
        "utter_ask_contract_for_a",
        "utter_ask_contact_company_for_a",
        "utter_outcome_a",
        "utter_contract_legacy_for_a",
        "utter_ticket_created",
    ]
    ticket = ticket_store(inside).get(inside.tracker(sender)["slots"]["ticket_no"])
    assert ticket is not None and ticket.severity == "A" and ticket.contract_ok is False
    assert (ticket.company, ticket.contact_name, ticket.phone) == ("株式会社サンプル商事", "山田", "03-1234-5678")


def test_unknown_impact_is_asked_and_never_guessed(inside: Desk) -> None:
    sender = inside.new_sender()
    inside.say(sender, "Outlookで0x800CCC0Eというエラーが出ます")
    inside.say(sender, "ちょっとわからないです")
    inside.say(sender, "把握していません")
    last = inside.say(sender, "わかりません")
    names = inside.responses_after(sender)
    assert names[:4] == [
        "utter_ask_severity",
        "utter_ask_severity_followup",
        "utter_ask_severity_followup",
        "utter_severity_undetermined",
    ]
    assert inside.tracker(sender)["slots"]["severity"] == "undetermined"
    assert "ご契約" in texts(last)


def test_consulting_request_during_triage_ends_it(inside: Desk) -> None:
    sender = inside.new_sender()
    inside.say(sender, "Exchangeのメールが一部のユーザーに届きません")
    replies = inside.say(sender, "それと、来年のExchange Onlineへの移行計画も手伝ってほしいです")
    assert "コンサルティング" in texts(replies)
    tracker = inside.tracker(sender)
    assert tracker["active_loop"] in ({}, None) or not tracker["active_loop"].get("name")
    assert tracker["slots"]["redirect"] == "consulting"


def test_saturday_night_critical_and_not_reachable_is_downgraded(saturday: Desk) -> None:
    sender = saturday.new_sender()
    first = saturday.say(sender, "基幹システムのサーバーがダウンして、工場の生産ラインが止まっています")
    assert "0120-17-0196" in texts(first) and "営業時間外" in texts(first)
    saturday.say(sender, "いいえ、ずっと電話に出るのは難しいです")
    saturday.say(sender, "オンデマンドです")
    outcome = give_contact(saturday, sender)
    assert "11月30日（月）9:00" in texts(outcome)
    # The downgrade and its date come in the reply to 「いいえ」; after it the contract
    # question is the ordinary one, with no "please call" (issue 11).
    assert saturday.responses_after(sender)[:4] == [
        "utter_severity_a_call_now_after_hours",
        "utter_ask_phone_reachable",
        "utter_downgraded_now",
        "utter_ask_contract",
    ]
    assert "utter_outcome_downgraded" in saturday.responses_after(sender)
    assert saturday.tracker(sender)["slots"]["downgraded"] is True


def test_saturday_minor_question_is_taken_on_monday(saturday: Desk) -> None:
    sender = saturday.new_sender()
    saturday.say(sender, "Teamsで会議の背景をぼかす設定方法を教えてください。業務への影響はありません")
    saturday.say(sender, "はい")
    saturday.say(sender, "まだ契約していません")
    outcome = give_contact(saturday, sender)
    joined = texts(outcome)
    assert "土日" in joined and "11月30日（月）9:00" in joined
    assert "49,900円" in joined and "54,890円" in joined  # how to buy, with and without tax


def test_greeting_and_faq_outside_the_triage(inside: Desk) -> None:
    sender = inside.new_sender()
    greeting = inside.say(sender, "こんにちは")
    assert len(greeting[0]["buttons"]) == 4
    hours = inside.say(sender, "受付時間は何時から何時までですか")
    assert "9:00〜17:30" in texts(hours) and "12月29日〜1月3日" in texts(hours)
    assert "受付時間内" in texts(hours)


def test_bad_input_always_gets_a_polite_japanese_reply(inside: Desk) -> None:
    sender = inside.new_sender()
    for message in [
        "",
        "   ",
        "あ" * 10_000,
        "😀😀😀🙏",
        "My server is down, can you help?",
        "<script>alert(1)</script>",
    ]:
        replies = inside.say(sender, message)
        assert replies, f"no reply to {message[:20]!r}"
        assert all(JAPANESE.search(r.get("text") or "") for r in replies if r.get("text")), replies
    # the conversation still works afterwards
    assert inside.say(sender, "こんにちは")


def test_malformed_requests_get_4xx_not_500(inside: Desk) -> None:
    url = f"{inside.url}/webhooks/rest/webhook"
    bad = [
        b"{not json",
        b"\xff\xfe\x00binary",
        b"[]",
        b'"text"',
        b'{"message": 5}',
        b'{"sender": ["x"], "message": "a"}',
    ]
    for raw in bad:
        status, _ = http("POST", url, raw=raw)
        assert status == 400, (raw, status)
    assert http("POST", url, raw=b'{"sender": "x", "message": "' + b"a" * 70_000 + b'"}')[0] == 413
    assert http("POST", url, raw=b"[" * 50_000 + b"]" * 50_000)[0] in (400, 413)
    assert inside.say(inside.new_sender(), "こんにちは")  # still serving


def test_restart_in_the_middle_of_a_triage_forgets_it(inside: Desk) -> None:
    sender = inside.new_sender()
    inside.say(sender, "SharePointのサイトが一部の部署で開けません")
    inside.say(sender, "/restart")
    tracker = inside.tracker(sender)
    assert not (tracker.get("active_loop") or {}).get("name")
    assert tracker["slots"]["problem_description"] is None
    again = inside.say(sender, "最初からやり直したいです")
    assert isinstance(again, list)
    assert inside.say(sender, "こんにちは")[0]["buttons"]


def test_fallback_then_a_successful_rephrase(inside: Desk) -> None:
    sender = inside.new_sender()
    first = inside.say(sender, "How much does the support cost?")
    assert "日本語" in texts(first)
    answer = inside.say(sender, "サポートの料金を教えてください")
    assert "54,890円" in texts(answer)


def test_repeated_misunderstanding_hands_over_to_a_person(inside: Desk, webhooks: WebhookReceiver) -> None:
    sender = inside.new_sender()
    first = inside.say(sender, "Is anybody there to help me?")
    assert "日本語" in texts(first)
    last = inside.say(sender, "I really need some help please")  # two misunderstandings in a row: give up
    assert inside.responses_after(sender)[-2:] == ["utter_default_to_handoff", "utter_handoff_open"]
    number = inside.tracker(sender)["slots"]["ticket_no"]
    assert number in texts(last)
    assert inside.tracker(sender)["active_loop"]["name"] == "handoff_form"
    webhooks.wait_for("handoff.requested", number)


def test_a_bad_phone_number_is_asked_again_with_the_reason(inside: Desk) -> None:
    sender = inside.new_sender()
    inside.say(sender, "Teamsの通知が自分だけ届きません。ほかの人は問題ないです")
    inside.say(sender, "はい")
    inside.say(sender, "オンデマンドです")
    inside.say(sender, "サンプル株式会社")
    inside.say(sender, "佐藤 花子")
    bad = inside.say(sender, "03-1234-567")
    assert "桁数" in texts(bad)
    letters = inside.say(sender, "でんわばんごう")
    assert "数字" in texts(letters)
    inside.say(sender, "０９０－９８７６－５４３２")
    email = inside.say(sender, "hanako.example.co.jp")
    assert "@" in texts(email)
    outcome = inside.say(sender, "なし")
    assert "【受付番号】" in texts(outcome)
    ticket = ticket_store(inside).get(inside.tracker(sender)["slots"]["ticket_no"])
    assert ticket is not None
    assert (ticket.phone, ticket.email, ticket.severity) == ("090-9876-5432", None, "C")


def test_a_question_instead_of_a_rating_is_answered(inside: Desk) -> None:
    sender = inside.new_sender()
    inside.say(sender, "Teamsの通知が自分だけ届きません。ほかの人は問題ないです")
    inside.say(sender, "はい")
    inside.say(sender, "オンデマンドです")
    give_contact(inside, sender)
    answer = inside.say(sender, "ところで受付時間は何時までですか？")
    assert "9:00〜17:30" in texts(answer)
    assert not (inside.tracker(sender).get("active_loop") or {}).get("name")
    ticket = ticket_store(inside).get(inside.tracker(sender)["slots"]["ticket_no"])
    assert ticket is not None and ticket.survey_skipped and ticket.survey_rating is None


def test_handoff_inside_hours_notifies_relays_and_can_be_cancelled(inside: Desk, webhooks: WebhookReceiver) -> None:
    sender = inside.new_sender()
    inside.say(sender, "Excelのファイルが開けなくて困っています")
    opened = inside.say(sender, "オペレーターと話したいです")
    assert "キャンセル" in texts(opened)
    number = inside.tracker(sender)["slots"]["ticket_no"]
    assert number and number in texts(opened)
    request = webhooks.wait_for("handoff.requested", number)
    body = request["body"]
    timestamp = request["headers"]["X-PS-Timestamp"]
    expected = hmac.new(b"e2e-agent-secret", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert request["headers"]["X-PS-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert any("Excelのファイルが開けなくて" in turn["text"] for turn in payload["transcript"])

    relayed = inside.say(sender, "ファイルはSharePoint上にあります。料金はいくらですか")
    assert inside.responses_after(sender)[-1] == "utter_handoff_relayed"
    assert "54,890" in texts(relayed)  # a question while waiting is answered too (issue 11)
    webhooks.wait_for("handoff.message", number)

    back = inside.say(sender, "やっぱりキャンセルします")
    # The triage that was waiting for the person resumes where it stopped.
    assert "utter_handoff_cancelled" in inside.responses_after(sender)[-2:]
    assert "取り消しました" in texts(back)
    assert (inside.tracker(sender).get("active_loop") or {}).get("name") == "triage_form"
    ticket = ticket_store(inside).get(number)
    assert ticket is not None and ticket.handoff_state == "cancelled"
    assert "54,890円" in texts(inside.say(sender, "料金はいくらですか"))  # the bot answers again


def test_handoff_outside_hours_records_and_gives_the_phone_line(saturday: Desk) -> None:
    sender = saturday.new_sender()
    replies = saturday.say(sender, "担当者と話したい")
    joined = texts(replies)
    assert "受付時間外" in joined and "0120-17-0196" in joined and "11月30日（月）9:00" in joined
    number = saturday.tracker(sender)["slots"]["ticket_no"]
    ticket = ticket_store(saturday).get(number)
    assert ticket is not None and ticket.handoff_state == "after_hours"
    assert not (saturday.tracker(sender).get("active_loop") or {}).get("name")
