"""Live desks for the conversation matrix: one server pair per frozen clock for the whole
folder (package scope: they stop before the other live tests start theirs).

Importing this file also records every turn sent through ``tests.live.Desk.say`` (ours
and the other live tests', when they run in the same session) for the A-rule invariant,
and moves that invariant test to the very end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conversations import harness
from tests.conversations.facts import CLOCKS
from tests.live import Desk, running

_original_say = Desk.say


def _recording_say(self: Desk, sender: str, message: str) -> list[dict[str, Any]]:
    replies = _original_say(self, sender, message)
    harness.record(sender, message, replies)
    return replies


if not getattr(Desk.say, "_records_turns", False):
    _recording_say._records_turns = True  # type: ignore[attr-defined]
    Desk.say = _recording_say  # type: ignore[method-assign]

INVARIANT = "test_zz_a_rule_invariant.py"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The invariant reads what every other test recorded: run it last."""
    last = [item for item in items if INVARIANT in item.nodeid]
    if last:
        items[:] = [item for item in items if INVARIANT not in item.nodeid] + last


@pytest.fixture(scope="package")
def clock_desks(model_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Desk]]:
    started = {name: Desk(now, tmp_path_factory.mktemp(f"conv-{name}")) for name, now in CLOCKS.items()}
    with running(started, model_path):
        yield started


@pytest.fixture
def talk(clock_desks: dict[str, Desk]) -> Any:
    """``talk("saturday")`` → a new conversation with the desk frozen at that clock."""

    def start(clock: str) -> harness.Conversation:
        return harness.Conversation(clock_desks[clock], clock)

    return start
