"""Fixtures for action tests: a tracker factory, a dispatcher and the real domain."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import tickets
from support_rules.domain_texts import load_domain

ROOT = Path(__file__).resolve().parents[2]

INSIDE_HOURS = "2026-11-25T10:00:00+09:00"  # Wednesday
SATURDAY_NIGHT = "2026-11-28T22:00:00+09:00"
HOLIDAY = "2026-11-23T11:00:00+09:00"  # 勤労感謝の日 (Monday)
YEAR_END = "2026-12-30T10:00:00+09:00"  # company closing day
WEEKDAY_EVENING = "2026-11-25T18:00:00+09:00"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The domain's files (domain/) merged as Rasa merges them."""
    return load_domain(ROOT / "domain")


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Freeze the desk clock: ``at(INSIDE_HOURS)``."""

    def freeze(moment: str) -> None:
        monkeypatch.setenv("DESK_NOW", moment)

    freeze(INSIDE_HOURS)
    return freeze


@pytest.fixture
def make_tracker(domain: dict[str, Any]) -> Callable[..., Tracker]:
    def build(
        text: str = "",
        intent: str | None = None,
        confidence: float = 0.99,
        entities: list[dict[str, Any]] | None = None,
        slots: dict[str, Any] | None = None,
        active_loop: str | None = None,
        ranking: list[dict[str, Any]] | None = None,
        events: list[dict[str, Any]] | None = None,
        sender_id: str = "test-user",
        channel: str = "rest",
        latest_action: str = "action_listen",
    ) -> Tracker:
        all_slots: dict[str, Any] = {name: spec.get("initial_value") for name, spec in domain["slots"].items()}
        all_slots["requested_slot"] = None
        all_slots.update(slots or {})
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence} if intent else {},
            "entities": entities or [],
            "intent_ranking": ranking or ([{"name": intent, "confidence": confidence}] if intent else []),
        }
        if events is None:
            events = [{"event": "user", "timestamp": 1764032400.0, "text": text, "input_channel": channel}]
        return Tracker(
            sender_id=sender_id,
            slots=all_slots,
            latest_message=latest,
            events=events,
            paused=False,
            followup_action=None,
            active_loop={"name": active_loop} if active_loop else {},
            latest_action_name=latest_action,
        )

    return build


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slots an action set, last value wins."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AGENT_WEBHOOK_URL", "http://127.0.0.1:9/agent")  # queued only: nothing listens
    monkeypatch.setenv("AGENT_WEBHOOK_SECRET", "test-secret")
    monkeypatch.delenv("TICKET_WEBHOOK_URL", raising=False)
    tickets.reset_for_tests()
    yield url
    tickets.reset_for_tests()
