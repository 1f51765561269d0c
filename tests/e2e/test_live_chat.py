"""Whole conversations through the REST channel against the running servers."""

from __future__ import annotations

import re

from tests.live import Desk, http

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def test_partial_impact_with_a_price_question_in_the_middle(inside: Desk) -> None:
    sender = inside.new_sender()
    first = inside.say(sender, "営業部だけ、ファイルサーバーに繋がらなくなりました。ほかの部署は使えています。")
    assert "深刻度B" in texts(first)
    assert first[-1]["buttons"][0]["payload"] == "/affirm"
    inside.say(sender, "はい、合ってます")
    price = inside.say(sender, "ちなみに料金っていくらですか？")
    assert "54,890円" in texts(price) and "219,890円" in texts(price)
    inside.say(sender, '/inform_contract{"contract": "pack5"}')
    assert inside.responses_after(sender) == [
        "utter_ask_severity_confirmed",
        "utter_ask_contract",
        "utter_faq_price",
        "utter_ask_contract",
        "utter_outcome_now",
        "utter_contract_ok_pack5",
        "utter_anything_else",
    ]
    slots = inside.tracker(sender)["slots"]
    assert slots["reception_route"] == "phone_or_online"
    assert slots["contract"] == "pack5"
    assert slots["problem_description"] is None  # ready for the next problem


def test_critical_outage_gets_the_phone_number_in_the_first_reply(inside: Desk) -> None:
    sender = inside.new_sender()
    replies = inside.say(sender, "本番のＳＱＬ　Ｓｅｒｖｅｒが落ちて、全社の受注業務が止まっています！")
    assert "0120-17-0196" in replies[0]["text"]
    assert "深刻度A" in replies[0]["text"]
    inside.say(sender, "旧価格の5インシデントパックです")
    assert inside.responses_after(sender) == [
        "utter_severity_a_call_now",
        "utter_ask_contract_for_a",
        "utter_outcome_a",
        "utter_contract_legacy_for_a",
        "utter_anything_else",
    ]


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
    outcome = saturday.say(sender, "オンデマンドです")
    assert "11月30日（月）9:00" in texts(outcome)
    assert saturday.responses_after(sender)[:3] == [
        "utter_severity_a_call_now_after_hours",
        "utter_ask_phone_reachable",
        "utter_ask_contract_for_a",
    ]
    assert "utter_outcome_downgraded" in saturday.responses_after(sender)
    assert saturday.tracker(sender)["slots"]["downgraded"] is True


def test_saturday_minor_question_is_taken_on_monday(saturday: Desk) -> None:
    sender = saturday.new_sender()
    saturday.say(sender, "Teamsで会議の背景をぼかす設定方法を教えてください。業務への影響はありません")
    saturday.say(sender, "はい")
    outcome = saturday.say(sender, "まだ契約していません")
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


def test_repeated_misunderstanding_ends_with_the_contract_center(inside: Desk) -> None:
    sender = inside.new_sender()
    first = inside.say(sender, "Is anybody there to help me?")
    assert "日本語" in texts(first)
    last = inside.say(sender, "I really need some help please")  # two misunderstandings in a row: give up
    assert "0120-17-0196" in texts(last)
    assert "9:00" in texts(last) and "17:30" in texts(last)
    assert "utter_default" in inside.responses_after(sender)
