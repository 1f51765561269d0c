"""Rules of issue 11 that are not a single cell of the matrix: the downgrade outside hours
said in the reply to 「いいえ」, the short A path, calling now, A statements in the first
message at every clock, and restart only on the explicit command (the positive control of
the restart look-alikes)."""

from __future__ import annotations

import pytest

from tests.conversations import facts as F
from tests.conversations.harness import Conversation, finish
from tests.conversations.steps import ASK_REACHABLE, STEP_BY_ID

A_BY_CLOCK = {"saturday": F.A_FACTORY, "closing": F.A_MAIL, "tuesday": F.A_MAIN}
# What a reply must no longer say once the case was downgraded (issue 11 #5).
PLEASE_CALL = ("お電話ください", "先にお電話", "お電話と並行して", "お電話の準備と並行して")
SURVEY_QUESTIONS = ("utter_ask_survey_rating", "utter_ask_survey_rating_again", "utter_ask_survey_comment")


@pytest.mark.parametrize("clock", ["saturday", "closing"])
@pytest.mark.parametrize(
    "no",
    ["いいえ", "いいえ、難しいです", "無理です、ずっと電話に出ているのは難しいです", "/deny"],
    ids=["iie", "iie-muzukashii", "muri", "deny-button"],
)
def test_cannot_stay_reachable_is_downgraded_in_that_reply(talk, clock: str, no: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk(clock)
    first = conv.say(A_BY_CLOCK[clock])
    conv.check_a_number(first, "an A statement outside hours")
    conv.check(ASK_REACHABLE & set(first.names), "setup: outside hours an A case is asked to stay reachable")
    reply = conv.say(no)
    date = F.NEXT_BUSINESS_DAY[clock]
    conv.check(conv.slot("downgraded") is True, f"「{no}」 must downgrade the case (slot downgraded)")
    conv.check("B" in reply.text, f"the reply to 「{no}」 must say the case is now B")
    conv.check(date.search(reply.text), f"the reply to 「{no}」 must give the next business day ({date.pattern})")
    index = len(conv.turns) - 1
    finish(conv)
    for turn in conv.turns[index:]:
        said = [p for p in PLEASE_CALL if p in turn.text]
        conv.check(
            not said, f"after the downgrade no reply may ask the customer to call: {said} in 「{turn.message}」's reply"
        )
    ticket = conv.ticket()
    conv.check(ticket is not None and ticket.severity == "B" and ticket.downgraded, "the ticket must be B, downgraded")


@pytest.mark.parametrize("clock", ["saturday", "closing"])
def test_reachable_a_case_outside_hours_stays_a_and_short(talk, clock: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk(clock)
    conv.say(A_BY_CLOCK[clock])
    conv.say("はい、ずっと電話に出られます")
    conv.check(conv.slot("phone_reachable") is True, "「はい」 means reachable")
    conv.check(conv.slot("severity") == "A" and not conv.slot("downgraded"), "a reachable A case stays A")
    finish(conv)
    survey = [n for t in conv.turns for n in t.names if n in SURVEY_QUESTIONS]
    conv.check(not survey, f"no satisfaction survey in the middle of an outage: {survey}")


@pytest.mark.parametrize(
    ("clock", "call"),
    [
        ("tuesday", "今から電話します！"),
        ("tuesday", "電話したほうがいいですか？"),
        ("tuesday", "わかりました、すぐ電話します"),
        ("saturday", "電話したほうがいいですか？"),
        ("closing", "今から電話します！"),
    ],
    ids=["tue-calling", "tue-should-i-call", "tue-will-call", "sat-should-i-call", "dec30-calling"],
)
def test_calling_after_an_a_statement_gets_the_number_and_no_question(talk, clock: str, call: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk(clock)
    conv.check_a_number(conv.say(A_BY_CLOCK[clock]), "an A statement")
    turn = conv.say(call)
    conv.check_calling_now(turn)
    conv.check_not_stored(call)


@pytest.mark.parametrize("clock", ["tuesday", "saturday", "closing"])
@pytest.mark.parametrize(
    "statement", [F.A_MAIL, F.A_LOGIN, F.A_FACTORY], ids=["mail-stuck", "nobody-can-log-in", "factory-line"]
)
def test_an_a_statement_first_gets_the_number_at_once(talk, clock: str, statement: str) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk(clock)
    conv.check_a_number(conv.say(statement), "an A statement as the first message")
    conv.check(conv.slot("severity") == "A", "the case is A")


@pytest.mark.parametrize(
    ("step_id", "command"),
    [
        ("tue-impact", "最初からやり直したいです"),
        ("tue-company", "最初からやり直したい"),
        ("tue-name", "/restart"),
        ("sat-phone-reachable", "最初から"),
    ],
    ids=["tue-impact-yarinaoshitai-desu", "tue-company-yarinaoshitai", "tue-name-button", "sat-reachable-saisho-kara"],
)
def test_the_explicit_restart_command_restarts(talk, step_id: str, command: str) -> None:  # type: ignore[no-untyped-def]
    step = STEP_BY_ID[step_id]
    conv: Conversation = talk(step.clock)
    last = conv.say_all(step.reach)
    assert last is not None
    conv.check(step.ask & set(last.names), f"setup: step {step_id} not reached")
    conv.say(command)
    conv.check(conv.slot("problem_description") is None, f"「{command}」 is a restart command: the triage is forgotten")
    conv.check(not conv.active_loop, f"「{command}」: no question of the old triage stays open")
    again = conv.say(F.B_DESC)
    conv.check("utter_ask_severity_confirmed" in again.names, "after the restart a new triage starts from scratch")


def test_restart_button_outside_the_triage_is_harmless(talk) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk("tuesday")
    conv.say("/restart")
    turn = conv.say("受付時間は何時から何時までですか？")
    conv.check(F.OPENS in turn.text and F.CLOSES in turn.text, "after a restart the bot answers as usual")
