"""A recorded live conversation over the REST channel, and the checks the matrix uses.

Every turn is kept; a failing check raises with the whole transcript (messages, replies,
response names, slots) and every turn is recorded in ``RECORD`` for the A-rule invariant. Names
come from the tracker's bot events (``metadata.utter_action``), fetched with
``include_events=ALL`` so that a restart does not hide earlier turns.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from tests.conversations.facts import A_PHONE, DESK_PHONES
from tests.live import Desk, http
from tickets.store import TicketStore, TicketView


@dataclass
class Recorded:
    test: str
    sender: str
    message: str
    reply: str


# Every turn of every conversation run in this session (ours and, through the patched
# Desk.say in conftest.py, the other live tests').
RECORD: list[Recorded] = []


def record(sender: str, message: str, replies: list[dict[str, Any]]) -> None:
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
    RECORD.append(Recorded(test, sender, message, joined(replies)))


def joined(replies: Iterable[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


@dataclass
class Turn:
    message: str
    replies: list[dict[str, Any]]
    names: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return joined(self.replies)


# A reply that asks the customer for something.
_ASKING_TEXT = re.compile(
    r"(教えてください|ご入力ください|お聞かせください|お選びください|選んでください|選び直してください"
    r"|お答えください|お書きください|ますか[。？?]|ですか[。？?]|でしょうか[。？?]|[？?]\s*$)",
    re.M,
)


def asks_something(turn: Turn) -> bool:
    return any(n.startswith("utter_ask_") for n in turn.names) or bool(_ASKING_TEXT.search(turn.text))


class Conversation:
    """One customer talking to one desk."""

    def __init__(self, desk: Desk, clock: str) -> None:
        self.desk = desk
        self.clock = clock
        self.sender = desk.new_sender()
        self.turns: list[Turn] = []
        self.tracker: dict[str, Any] = {}

    # ---------------------------------------------------------------- talking
    def say(self, message: str) -> Turn:
        try:
            replies = self.desk.say(self.sender, message)  # recorded by the patched Desk.say
        except AssertionError as exc:
            raise AssertionError(f"「{message}」: the server failed ({exc})\n\n{self.transcript()}") from exc
        turn = Turn(message, replies)
        self.turns.append(turn)
        self._refresh()
        return turn

    def say_all(self, messages: Iterable[str]) -> Turn | None:
        last = None
        for message in messages:
            last = self.say(message)
        return last

    def _refresh(self) -> None:
        status, tracker = http("GET", f"{self.desk.url}/conversations/{self.sender}/tracker?include_events=ALL")
        assert status == 200, tracker
        self.tracker = tracker
        per_turn: list[tuple[list[str], list[dict[str, Any]]]] = []
        last_id: object = object()
        for event in tracker.get("events") or []:
            if event.get("event") == "user":
                # The two-stage fallback re-adds a clarified message with the same message_id.
                message_id = event.get("message_id")
                if message_id is None or message_id != last_id:
                    per_turn.append(([], []))
                last_id = message_id
                continue
            if not per_turn:
                continue
            per_turn[-1][1].append(event)
            if event.get("event") == "bot":
                per_turn[-1][0].append((event.get("metadata") or {}).get("utter_action") or "?")
        if len(per_turn) == len(self.turns):
            for turn, (names, events) in zip(self.turns, per_turn, strict=True):
                turn.names, turn.events = names, events

    # ---------------------------------------------------------------- state
    @property
    def slots(self) -> dict[str, Any]:
        return dict(self.tracker.get("slots") or {})

    def slot(self, name: str) -> Any:
        return self.slots.get(name)

    @property
    def active_loop(self) -> str | None:
        loop = self.tracker.get("active_loop") or {}
        return loop.get("name") if isinstance(loop, dict) else None

    def tickets(self) -> list[TicketView]:
        store = TicketStore(f"sqlite:///{self.desk.tmp / 'desk.db'}")
        try:
            found = [t for t in store.list_tickets(limit=100_000) if t.conversation_id == self.sender]
        finally:
            store.dispose()
        return sorted(found, key=lambda t: t.id)

    def ticket(self) -> TicketView | None:
        """The conversation's newest ticket."""
        found = self.tickets()
        return found[-1] if found else None

    def names_after(self, index: int) -> list[str]:
        """Response names of every turn after turn ``index`` (0-based)."""
        return [n for turn in self.turns[index + 1 :] for n in turn.names]

    def restarted_in(self, turn: Turn) -> bool:
        return any(
            e.get("event") == "restart" or (e.get("event") == "action" and e.get("name") == "action_restart")
            for e in turn.events
        )

    # ---------------------------------------------------------------- failing readably
    def fail(self, rule: str) -> None:
        raise AssertionError(f"{rule}\n\n{self.transcript()}")

    def check(self, condition: object, rule: str) -> None:
        if not condition:
            self.fail(rule)

    def transcript(self) -> str:
        lines = [f"--- transcript {self.sender} ({self.clock}, {self.desk.now}) ---"]
        for number, turn in enumerate(self.turns, 1):
            lines.append(f"{number:2d} 客  > {turn.message}")
            for reply in turn.replies:
                lines.append(f"   ボット> {reply.get('text') or ''}")
            lines.append(f"         [{', '.join(turn.names)}]")
        interesting = {k: v for k, v in self.slots.items() if v not in (None, [], 0, 0.0, False)}
        lines.append(f"slots: {interesting}")
        lines.append(f"active loop: {self.active_loop}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- shared rules
    def check_a_number(self, turn: Turn, why: str) -> None:
        self.check(A_PHONE in turn.text, f"{why}: the very next reply must give the A number {A_PHONE}")

    def check_calling_now(self, turn: Turn) -> None:
        self.check(
            any(phone in turn.text for phone in DESK_PHONES),
            f"「{turn.message}」: the reply must confirm the number to call ({' / '.join(sorted(DESK_PHONES))})",
        )
        self.check(not asks_something(turn), f"「{turn.message}」: a customer who is calling gets no further question")

    def check_not_stored(self, message: str, allowed: Iterable[str] = ()) -> None:
        """No slot holds the message (or its whole text) as a value. The severity's reason
        quotes the customer's own words by design (docs/reader.md): it is not a stored answer."""
        skip = {"requested_slot", "handoff_note", "handoff_messages", "severity_reason", *allowed}
        wanted = message.strip()
        for name, value in self.slots.items():
            if name in skip or not isinstance(value, str):
                continue
            self.check(
                value.strip() != wanted and wanted not in value,
                f"「{message}」 is not an answer to the question asked, but it was stored in the slot {name!r}",
            )


def same(actual: Any, expected: Any) -> bool:
    """Slot values compared loosely (4 == 4.0 == "4")."""
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return float(actual) == float(expected)
        except (TypeError, ValueError):
            return False
    return bool(actual == expected)


def finish(conv: Conversation, limit: int = 10) -> None:
    """Answers whatever the bot still asks, plainly, until it asks nothing more."""
    from tests.conversations.steps import plain_answer

    for _ in range(limit):
        answer = plain_answer(conv.turns[-1].names) if conv.turns else None
        if answer is None:
            return
        conv.say(answer)
    conv.fail(f"the conversation still asks questions after {limit} plain answers")
