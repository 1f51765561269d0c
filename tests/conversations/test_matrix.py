"""The digression matrix of issue 11: at every step that asks something, each kind of
message that is not the answer — and what must happen (see digressions.py, steps.py).

Rules checked in every cell:
- the reply handles the digression (FAQ facts, the right desk for out-of-scope, the A
  number after an A statement, the number and no question for 「今から電話します」,
  a person or the opening hours for a person request);
- nothing from the message is stored in a slot unless it is an answer;
- a form step resumes: its question comes again, the answer then lands in its slot and
  the next question follows; questions already answered are never asked again;
- no restart unless the customer asked for one; no survey after an A statement.
"""

from __future__ import annotations

import pytest

from tests.conversations import facts as F
from tests.conversations.digressions import KINDS, Digression, digression
from tests.conversations.harness import Conversation, Turn, same
from tests.conversations.steps import FALLBACK, HANDOFF_OPEN, INVALID_CONTACT, STEPS, Step

CASES = [
    pytest.param(step, kind, digression(index, step.id, kind), id=f"{step.id}-{kind}")
    for index, step in enumerate(STEPS)
    for kind in KINDS
]
SURVEY_QUESTIONS = ("utter_ask_survey_rating", "utter_ask_survey_rating_again", "utter_ask_survey_comment")


def reach(conv: Conversation, step: Step) -> None:
    turn = conv.say_all(step.reach)
    assert turn is not None
    conv.check(
        step.ask & set(turn.names),
        f"setup: step {step.id} not reached — expected one of {sorted(step.ask)} after {list(step.reach)}",
    )


def asked(turn: Turn, questions: frozenset[str]) -> bool:
    return bool(questions & set(turn.names))


def check_answered(conv: Conversation, turn: Turn, d: Digression) -> None:
    missing = [fact for fact in d.facts if fact not in turn.text]
    if d.names and not (d.names & set(turn.names)) and (missing or not d.facts):
        conv.fail(f"「{d.message}」 must be answered (one of {sorted(d.names)})")
    conv.check(not missing, f"「{d.message}」 must be answered: the reply lacks {missing}")


def check_resumes(conv: Conversation, step: Step, turn: Turn, questions: frozenset[str] | None = None) -> None:
    wanted = step.ask if questions is None else questions
    conv.check(
        asked(turn, wanted),
        f"after 「{turn.message}」 the step {step.id} must resume: expected one of {sorted(wanted)} in the reply",
    )


def answer_step(conv: Conversation, step: Step) -> None:
    assert step.answer is not None and step.slot is not None
    turn = conv.say(step.answer)
    conv.check(
        same(conv.slot(step.slot), step.value),
        f"the answer 「{step.answer}」 must be stored as {step.slot}={step.value!r}, got {conv.slot(step.slot)!r}",
    )
    if step.next_ask:
        conv.check(
            asked(turn, step.next_ask),
            f"after the answer to {step.id} the next question must be one of {sorted(step.next_ask)}",
        )


def check_expectations(conv: Conversation, d: Digression) -> None:
    for slot, value in d.expect.items():
        conv.check(same(conv.slot(slot), value), f"「{d.message}」 must set {slot}={value!r}, got {conv.slot(slot)!r}")
    for slot, values in d.expect_one_of.items():
        conv.check(
            any(same(conv.slot(slot), v) for v in values),
            f"「{d.message}」 must set {slot} to one of {values}, got {conv.slot(slot)!r}",
        )


def check_ticket(conv: Conversation, d: Digression) -> None:
    if not d.expect_ticket:
        return
    ticket = conv.ticket()
    conv.check(ticket is not None, "a ticket must exist")
    assert ticket is not None
    for name, value in d.expect_ticket.items():
        conv.check(
            getattr(ticket, name) == value,
            f"「{d.message}」 must update the ticket's {name} to {value!r}, got {getattr(ticket, name)!r}",
        )


def check_nothing_asked_again(conv: Conversation, step: Step, index: int, d: Digression) -> None:
    again = (step.before - d.reopens) & set(conv.names_after(index - 1))
    conv.check(not again, f"questions already answered were asked again after 「{d.message}」: {sorted(again)}")


@pytest.mark.parametrize(("step", "kind", "d"), CASES)
def test_digression(talk, step: Step, kind: str, d: Digression) -> None:  # type: ignore[no-untyped-def]
    conv: Conversation = talk(step.clock)
    reach(conv, step)
    index = len(conv.turns)
    turn = conv.say(d.message)
    conv.check(turn.replies, f"「{d.message}」 got no reply at all")
    conv.check(not conv.restarted_in(turn), f"「{d.message}」 is not a restart command, but the conversation restarted")

    if kind in ("faq", "out_of_scope"):
        check_answered(conv, turn, d)
        conv.check(
            not any(n.startswith(INVALID_CONTACT) for n in turn.names),
            f"「{d.message}」 is a question, not a wrong contact value",
        )
        conv.check_not_stored(d.message, d.allowed)
        if step.kind == "handoff":
            conv.check(conv.active_loop == "handoff_form", "the handoff must go on after the answer")
        if step.resumes:
            check_resumes(conv, step, turn)
            answer_step(conv, step)
        if step.id == "tue-after-redirect":
            descriptions = [t.description for t in conv.tickets() if t.description]
            conv.check(len(descriptions) == len(set(descriptions)), "one ticket per problem: a ticket was repeated")

    elif kind == "correction":
        if d.facts:
            check_answered(conv, turn, d)
        check_expectations(conv, d)
        conv.check_not_stored(d.message, d.allowed)
        if step.kind == "handoff":
            conv.check(conv.active_loop == "handoff_form", "the handoff must go on")
        if step.id.endswith("phone-reachable"):
            conv.check(
                "utter_ask_phone_reachable" not in conv.names_after(index - 1)
                and "utter_ask_phone_reachable_again" not in conv.names_after(index - 1),
                "a case that is no longer A outside hours must not be asked to stay reachable by phone",
            )
        if step.resumes and d.resume is None:
            check_resumes(conv, step, turn)
        elif d.resume:
            check_resumes(conv, step, turn, d.resume)
        if step.resumes and d.then_answer:
            answer_step(conv, step)
            check_expectations(conv, d)  # the correction is kept after the answer
        check_ticket(conv, d)

    elif kind == "a_statement":
        conv.check_a_number(turn, f"「{d.message}」 states A-level impact")
        if step.kind != "handoff":
            conv.check(conv.slot("severity") == "A", f"「{d.message}」 must make the case severity A")
        conv.check_not_stored(d.message, d.allowed)
        if not step.id.endswith("phone-reachable"):
            after = conv.say("お電話で伺います")
            conv.check(
                not any(n.startswith("utter_ask_") for n in after.names),
                "the A path is short: 「お電話で伺います」 is a fine answer, no further question",
            )
        survey = [n for n in conv.names_after(index - 1) if n in SURVEY_QUESTIONS]
        conv.check(not survey, f"no satisfaction survey in the middle of an outage: {survey}")

    elif kind == "restart_lookalike":
        check_expectations(conv, d)
        check_ticket(conv, d)
        if d.resume:
            check_resumes(conv, step, turn, d.resume)
        if step.kind == "handoff":
            conv.check(conv.active_loop == "handoff_form", "the handoff must go on (no restart)")
            conv.check(conv.slot("ticket_no"), "the handoff's ticket must be kept (no restart)")
        if step.kind == "survey":
            conv.check(conv.slot("ticket_no"), "the finished triage's ticket must be kept (no restart)")

    elif kind == "person":
        conv.check_not_stored(d.message, d.allowed)
        if step.clock == "tuesday":
            if step.kind == "handoff":
                conv.check(conv.active_loop == "handoff_form", "a second request for a person keeps the handoff")
                handoffs = [t for t in conv.tickets() if t.handoff_state]
                conv.check(len(handoffs) == 1, f"one handoff, not {len(handoffs)}")
            else:
                conv.check(asked(turn, HANDOFF_OPEN), "inside business hours a person must be called")
                if step.triage and conv.turns[0].message != "/report_problem":
                    ticket = conv.ticket()
                    conv.check(
                        ticket is not None and ticket.description == conv.turns[0].message,
                        "the handoff ticket must carry the problem the customer described",
                    )
                if step.resumes:
                    back = conv.say("キャンセル")
                    conv.check("utter_handoff_cancelled" in back.names, "「キャンセル」 must cancel the handoff")
                    check_resumes(conv, step, back)
                    answer_step(conv, step)
        else:
            pattern = F.NEXT_BUSINESS_DAY[step.clock]
            conv.check(
                pattern.search(turn.text),
                f"outside hours the reply must say when a person is there ({pattern.pattern})",
            )
            if step.id.endswith("phone-reachable"):
                conv.check_a_number(turn, "a severity-A customer asking for a person outside hours")
            if step.resumes:
                check_resumes(conv, step, turn)
                answer_step(conv, step)

    elif kind == "gibberish":
        conv.check_not_stored(
            d.message, frozenset({"survey_comment"}) if step.id == "tue-survey-comment" else d.allowed
        )
        if step.kind == "handoff":
            conv.check(conv.active_loop == "handoff_form", "the handoff must go on")
        elif step.kind == "open" and step.id == "tue-after-fallback":
            conv.check(
                asked(turn, HANDOFF_OPEN) or "utter_default_to_handoff" in turn.names,
                "a second misunderstanding in a row goes to a person",
            )
        elif step.kind == "open":
            polite = FALLBACK | {"utter_chitchat"}
            conv.check(
                asked(turn, polite) or any(n.startswith("utter_ask_affirmation") for n in turn.names),
                "a message that is not understood gets a request to rephrase (or a polite decline)",
            )
            conv.check(len(conv.tickets()) <= 1, "gibberish opens no ticket")
        elif step.id == "tue-survey-rating":
            ticket = conv.ticket()
            conv.check(ticket is not None and ticket.survey_rating is None, "gibberish is not a rating")
        if step.resumes:
            retry = step.ask | FALLBACK | frozenset(n for n in turn.names if n.startswith(INVALID_CONTACT))
            check_resumes(conv, step, turn, retry)
            answer_step(conv, step)

    elif kind == "calling_now":
        conv.check_calling_now(turn)
        conv.check_not_stored(d.message, d.allowed)
        survey = [n for n in conv.names_after(index - 1) if n in SURVEY_QUESTIONS]
        conv.check(not survey, f"a customer who is calling gets no survey: {survey}")

    if step.resumes and kind not in ("a_statement", "calling_now"):
        check_nothing_asked_again(conv, step, index, d)
