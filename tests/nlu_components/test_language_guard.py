"""The non-Japanese guard sends foreign-language sentences to the fallback."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from ja_nlu.language_guard import NonJapaneseGuard
from support_rules.normalize import is_foreign


@pytest.mark.parametrize(
    ("text", "foreign"),
    [
        ("How much does the support cost?", True),
        ("Lorem ipsum dolor sit amet", True),
        ("My SQL Server is down", True),
        ("OK", False),
        ("SQL Server", False),
        ("Excelが開きません", False),
        ('/inform_contract{"contract": "pack5"}', False),
        ("", False),
        ("😀😀", False),
    ],
)
def test_is_foreign(text: str, foreign: bool) -> None:
    assert is_foreign(text) is foreign


def test_guard_overrides_the_intent_only_for_foreign_text() -> None:
    guard = NonJapaneseGuard(NonJapaneseGuard.get_default_config())
    english = Message(
        data={"text": "Please help, our server is down", "intent": {"name": "report_problem", "confidence": 0.97}}
    )
    japanese = Message(data={"text": "サーバーが落ちました", "intent": {"name": "report_problem", "confidence": 0.97}})
    guard.process([english, japanese])
    assert english.get("intent") == {"name": "nlu_fallback", "confidence": 1.0}
    assert japanese.get("intent")["name"] == "report_problem"
