"""The numbered failures of issue 11, each as its own conversation."""

from __future__ import annotations

import pytest

from tests.conversations import facts as F
from tests.conversations.harness import Conversation, asks_something, finish
from tests.conversations.steps import ASK_COMPANY, ASK_CONTRACT, ASK_NAME, ASK_PHONE, ASK_SEVERITY, HANDOFF_OPEN

SURVEY_QUESTIONS = ("utter_ask_survey_rating", "utter_ask_survey_rating_again", "utter_ask_survey_comment")
FALLBACKS = ("utter_ask_rephrase", "utter_default", "utter_please_type_japanese", "utter_default_to_handoff")


# ------------------------------------------------------------------ 1. an A can be corrected
@pytest.mark.parametrize(
    ("clock", "correction"),
    [
        ("tuesday", "すみません、落ちたのは検証用のサーバーで、本番の業務には影響ありません"),
        ("tuesday", "深刻度Aじゃなくて大丈夫です"),
        ("saturday", "深刻度Aじゃなくて大丈夫です"),
    ],
    ids=["tue-test-server", "tue-not-a", "sat-not-a"],
)
def test_1_an_a_can_be_corrected(talk, clock: str, correction: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk(clock)
    first = conv.say(F.A_SERVER_DOWN)
    conv.check(F.A_PHONE in first.text, f"setup: 「{F.A_SERVER_DOWN}」 is read as A (the A number is given)")
    turn = conv.say(correction)
    conv.check("utter_ask_contract_again" not in turn.names, "a severity correction is not an unreadable contract")
    conv.check(
        conv.slot("severity") != "A", f"「{correction}」 must take the A back, severity is {conv.slot('severity')!r}"
    )
    conv.check_not_stored(correction)
    finish(conv)
    ticket = conv.ticket()
    conv.check(ticket is None or ticket.severity != "A", "the corrected case must not be recorded as A")


# ------------------------------------------------------------------ 2. A after the automatic handoff
@pytest.mark.parametrize("then", [F.A_MAIN, "電話したほうがいいですか？"], ids=["a-statement", "should-i-call"])
def test_2_an_a_is_not_lost_after_the_automatic_handoff(talk, then: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    conv.say(F.NOT_UNDERSTOOD[0])
    handed = conv.say(F.NOT_UNDERSTOOD[1])
    conv.check(HANDOFF_OPEN & set(handed.names), "setup: two misunderstandings go to a person")
    if then != F.A_MAIN:
        conv.check_a_number(conv.say(F.A_MAIN), "an A statement during the handoff")
    turn = conv.say(then)
    if then == F.A_MAIN:
        conv.check_a_number(turn, "an A statement during the handoff")
    else:
        conv.check_calling_now(turn)


# ------------------------------------------------------------------ 3. the contact step swallows nothing
def _to_company(conv: Conversation) -> None:
    last = conv.say_all([F.B_DESC, "はい", "オンデマンドです"])
    assert last is not None
    conv.check(ASK_COMPANY & set(last.names), "setup: the company is asked")


def test_3_a_survey_question_at_the_name_step(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    _to_company(conv)
    conv.say(F.CONTACT["contact_company"])
    turn = conv.say("アンケートってありますか？")
    conv.check("utter_faq_survey" in turn.names, "a survey question gets the survey answer")
    conv.check("utter_faq_flow" not in turn.names, "... not the service flow")
    conv.check(ASK_NAME & set(turn.names), "the name is asked again")
    conv.check_not_stored("アンケートってありますか？")


def test_3_a_question_at_the_phone_step(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    _to_company(conv)
    conv.say_all([F.CONTACT["contact_company"], F.CONTACT["contact_name"]])
    turn = conv.say("受付時間は何時までですか？")
    conv.check(F.CLOSES in turn.text, "the hours question is answered")
    conv.check(
        not any(n.startswith("utter_invalid_contact_phone") for n in turn.names), "a question is not a bad phone number"
    )
    conv.check(ASK_PHONE & set(turn.names), "the phone number is asked again")


def test_3_a_contract_correction_at_the_company_step_shifts_nothing(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    _to_company(conv)
    conv.say("あ、契約は旧価格の5インシデントパックでした")
    conv.check(conv.slot("contract") == "pack5_legacy", "the contract is corrected")
    finish(conv)
    ticket = conv.ticket()
    conv.check(ticket is not None, "a ticket is recorded")
    assert ticket is not None
    got = (ticket.contract, ticket.company, ticket.contact_name, ticket.phone, ticket.email)
    want = ("pack5_legacy", *F.CONTACT.values())
    conv.check(got == want, f"every answer in its own field: got {got}, want {want}")


def test_3_a_company_called_reset_does_not_restart(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    _to_company(conv)
    turn = conv.say("株式会社リセット")
    conv.check(not conv.restarted_in(turn), "「株式会社リセット」 is a company, not a restart")
    conv.check(ASK_NAME & set(turn.names), "the name comes next")
    finish(conv)
    ticket = conv.ticket()
    conv.check(ticket is not None and ticket.company == "株式会社リセット", "the company is recorded")


# ------------------------------------------------------------------ 4. an A customer is not kept typing
def test_4_calling_now_gets_the_number_not_the_contract_question(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    conv.say(F.A_MAIN)
    turn = conv.say("今から電話します！")
    conv.check_calling_now(turn)
    conv.check(not (ASK_CONTRACT & set(turn.names)), "no contract question for a customer who is calling")


def test_4_by_phone_is_a_fine_answer_on_the_a_path(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    conv.say(F.A_LOGIN)
    turn = conv.say("お電話で伺います")
    conv.check(
        not any(n.startswith("utter_ask_") for n in turn.names), "「お電話で伺います」 ends the questions on the A path"
    )
    ticket = conv.ticket()
    conv.check(ticket is not None and ticket.severity == "A", "the A case is recorded")


def test_4_a_full_a_conversation_has_no_survey(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    conv.say(F.A_MAIN)
    finish(conv)
    survey = [n for t in conv.turns for n in t.names if n in SURVEY_QUESTIONS]
    conv.check(not survey, f"no satisfaction survey in the middle of an outage: {survey}")
    contact = [n for t in conv.turns for n in t.names if n.startswith("utter_ask_contact_")]
    conv.check(len(contact) <= 4, "the contact details are asked at most once each")


# ------------------------------------------------------------------ 5. no contradiction after 「いいえ」
@pytest.mark.parametrize("clock", ["saturday", "closing"])
def test_5_no_call_us_after_cannot_stay_reachable(talk, clock: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk(clock)
    conv.say(F.A_FACTORY)
    reply = conv.say("いいえ、難しいです")
    date = F.NEXT_BUSINESS_DAY[clock]
    conv.check(date.search(reply.text) and conv.slot("downgraded") is True, "the downgrade and its date come at once")
    index = len(conv.turns) - 1
    finish(conv)
    for turn in conv.turns[index:]:
        for phrase in ("お電話と並行して", "お急ぎの場合は、先にお電話ください", "先にお電話"):
            conv.check(phrase not in turn.text, f"「{phrase}」 contradicts the downgrade (reply to 「{turn.message}」)")


# ------------------------------------------------------------------ 6. smaller ones
def test_6_dont_know_follow_ups_vary_and_stop(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    conv.say(F.UNKNOWN_DESC)
    for _ in range(F.MAX_IMPACT_FOLLOW_UPS + 1):
        conv.say("わからない")
    asked = [t.text for t in conv.turns if ASK_SEVERITY & set(t.names)]
    conv.check(len(asked) == len(set(asked)), "a follow-up question is never repeated word for word")
    follow_ups = sum(1 for t in conv.turns[1:] if ASK_SEVERITY & set(t.names))
    conv.check(follow_ups <= F.MAX_IMPACT_FOLLOW_UPS, f"at most {F.MAX_IMPACT_FOLLOW_UPS} follow-ups, got {follow_ups}")
    conv.check(conv.slot("severity") == "undetermined", "after the limit the severity is left to an engineer")
    conv.check(conv.slot("severity") != "A", "「わからない」 is never A")


def test_6_premier_contact_is_about_premier(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    turn = conv.say("プレミアの連絡先は？")
    premier = F.REDIRECT_NAMES["premier"]
    conv.check(premier in turn.text, f"the answer must be about {premier}")
    conv.check("契約" in turn.text, "Premier is a separate contract: the answer says so")
    conv.check(turn.names != ["utter_faq_contact"], "not just the contract center's contact card")


@pytest.mark.parametrize(
    ("request_", "follow_up"),
    [
        ("Excelのマクロを新しく作ってほしいです", "では、どこに相談すればいいですか？"),
        ("先週のサーバー停止の原因を詳しく調査してほしいです", "わかりました。それでも原因を調べてほしいのですが"),
    ],
    ids=["development", "root-cause"],
)
def test_6_a_follow_up_after_out_of_scope_opens_no_second_ticket(talk, request_: str, follow_up: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    conv.say(request_)
    conv.say(follow_up)
    finish(conv)
    descriptions = [t.description for t in conv.tickets()]
    conv.check(descriptions.count(request_) <= 1, f"one ticket per problem, got {descriptions}")


@pytest.mark.parametrize(
    "message",
    ["データは確実に戻せますか", "ファイルサーバーのディスクが壊れました。データは確実に戻せますか"],
    ids=["question", "inside-a-report"],
)
def test_6_data_recovery_is_never_promised(talk, message: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    turn = conv.say(message)
    notes = {"utter_faq_data_recovery", "utter_data_recovery_note"}
    conv.check(
        notes & set(turn.names) or "お約束するものではありません" in turn.text, "recovery is not guaranteed: say so"
    )


@pytest.mark.parametrize(
    "message",
    [
        "富士通のPRIMERGYにプリインストールされていたメーカー独自イメージのWindows Serverが起動しません",
        "NECのExpress5800のファームウェアとドライバーを更新したらエラーが出るようになりました",
        "HPEのストレージアプライアンスの管理画面にログインできません",
        "Lenovoのサーバーのメーカー製ドライバーを入れてからブルースクリーンになります",
    ],
    ids=["fujitsu-primergy", "nec-express5800", "hpe-storage-appliance", "lenovo-driver"],
)
def test_6_named_oem_makers_are_recognised(talk, message: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    turn = conv.say(message)
    name = F.REDIRECT_NAMES["oem_vendor"]
    conv.check(name in turn.text or conv.slot("scope") == "oem_vendor", f"a named OEM maker's hardware goes to {name}")


def test_6_contact_details_in_a_signature_are_not_asked_again(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    c = F.CONTACT
    signature = (
        f"{F.B_DESC}\n\n--\n{c['contact_company']}\n情報システム部 {c['contact_name']}\n"
        f"TEL: {c['contact_phone']}\nMail: {c['contact_email']}"
    )
    conv.say(signature)
    for _ in range(8):
        names = conv.turns[-1].names
        if any(n.startswith("utter_ask_survey") for n in names) or not asks_something(conv.turns[-1]):
            break
        conv.say("はい" if not any(n.startswith("utter_ask_contract") for n in names) else "オンデマンドです")
    asked = [n for t in conv.turns for n in t.names if n.startswith("utter_ask_contact_")]
    conv.check(not asked, f"contact details given in the signature must not be asked again: {asked}")
    shown = [t for t in conv.turns if c["contact_company"] in t.text and c["contact_phone"] in t.text]
    conv.check(shown, "the values taken from the signature are shown for confirmation")
    ticket = conv.ticket()
    conv.check(ticket is not None, "a ticket is recorded")
    assert ticket is not None
    got = (ticket.company, ticket.contact_name, ticket.phone, ticket.email)
    conv.check(got == tuple(c.values()), f"the ticket carries the signature's contact details, got {got}")


@pytest.mark.parametrize(
    ("clock", "statement"),
    [("tuesday", F.A_KANSAI), ("tuesday", F.A_HIRAGANA), ("saturday", F.A_KANSAI)],
    ids=["tue-kansai", "tue-hiragana", "sat-kansai"],
)
def test_6_dialect_and_hiragana_a_statements(talk, clock: str, statement: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk(clock)
    conv.check_a_number(conv.say(statement), "an A statement in dialect or hiragana")


def test_6_a_vague_opener_is_understood(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    turn = conv.say("ちょっと聞きたいことが…")
    conv.check(not (set(FALLBACKS) & set(turn.names)), "「ちょっと聞きたいことが…」 is understood, not a fallback")
    conv.check(not any(n.startswith("utter_ask_affirmation") for n in turn.names), "... and not a did-you-mean")


@pytest.mark.parametrize("clock", ["tuesday", "saturday"])
def test_6_is_the_phone_answered_at_night(talk, clock: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk(clock)
    turn = conv.say("夜でも電話つながりますか？")
    conv.check("24時間" in turn.text and F.A_PHONE in turn.text, "the 24-hour A line and its number")
