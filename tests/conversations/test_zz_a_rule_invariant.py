"""The A rule across the whole suite: no customer message that states A-level impact is
ever followed by a reply without the A phone number.

Runs last (conftest.py moves it to the end of the session) over every turn recorded by
the conversation tests and — when they run in the same session — the other live tests
(tests/e2e). Which messages state A-level impact comes from the tests' own marked list
(facts.A_STATEMENTS), never from the bot's classifier.
"""

from __future__ import annotations

import unicodedata

import pytest

from tests.conversations.facts import A_PHONE, A_STATEMENTS
from tests.conversations.harness import RECORD


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


MARKED = {_key(statement) for statement in A_STATEMENTS}


def test_no_a_statement_is_ever_answered_without_the_number(request: pytest.FixtureRequest) -> None:
    ours = [
        item for item in request.session.items if "tests/conversations/" in item.nodeid and item is not request.node
    ]
    if not ours:
        pytest.skip("run together with the conversation tests: it checks what they recorded")
    a_turns = [turn for turn in RECORD if _key(turn.message) in MARKED]
    assert a_turns, f"no marked A statement was sent in {len(RECORD)} recorded turns: the invariant checked nothing"
    broken = [turn for turn in a_turns if A_PHONE not in turn.reply]
    lines = [
        f"- {turn.test}\n    客  > {turn.message}\n    ボット> " + turn.reply.replace("\n", "\n           ")
        for turn in broken
    ]
    assert not broken, f"{len(broken)} of {len(a_turns)} A statements were answered without {A_PHONE}:\n" + "\n".join(
        lines
    )
