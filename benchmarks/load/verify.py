"""After a load run: did every conversation come out whole and on its own?

For each simulated customer the verifier compares what was sent with what the tracker
store recorded, and the intake tickets with the finished conversations. Violation kinds:

- ``lost``: a message that was sent (and answered) is missing from the tracker;
- ``duplicated``: a message is in the tracker more often than it was sent;
- ``reordered``: the customer's own messages are all there, but not in the order sent;
- ``unanswered``: a user message with no bot utterance before the next user message;
- ``interleaved``: an event of another conversation in this tracker — a user message this
  customer never sent, or a text carrying another customer's contact details — or a bot
  reply naming a ticket number that is not this conversation's;
- ``missing_tracker``: no events at all for a customer that sent something;
- ``missing_ticket`` / ``duplicate_ticket``: a finished conversation without exactly one
  intake ticket (``conversation_id`` = sender); ``orphan_ticket``: a ticket of this run
  whose conversation is not one of the customers.

The checks work on plain event dicts (``{"event": "user"|"bot"|…, "text": …}``, as in
Rasa's tracker JSON), so they are tested on synthetic lists; :func:`load_from_database`
reads the real ones from the SQL tracker store and the tickets table.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

VIOLATION_KINDS: tuple[str, ...] = (
    "lost",
    "duplicated",
    "reordered",
    "unanswered",
    "interleaved",
    "missing_tracker",
    "missing_ticket",
    "duplicate_ticket",
    "orphan_ticket",
)
TICKET_NO = re.compile(r"PS-\d{8}-\d{4}")


@dataclass(frozen=True)
class Expected:
    """What one customer did: its messages in the order sent, its unique texts, whether it finished."""

    sender: str
    sent: tuple[str, ...]
    tokens: tuple[str, ...] = ()
    finished: bool = True


@dataclass
class Report:
    conversations: int = 0
    checked_events: int = 0
    tickets: int = 0
    violations: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def add(self, kind: str, sender: str, detail: str, count: int = 1) -> None:
        assert kind in VIOLATION_KINDS, kind
        self.violations[kind] += count
        if len(self.examples) < 20:
            self.examples.append(f"{kind}: {sender}: {detail}")

    @property
    def total(self) -> int:
        return sum(self.violations.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "checked_events": self.checked_events,
            "tickets": self.tickets,
            "violations": {kind: self.violations.get(kind, 0) for kind in VIOLATION_KINDS},
            "total_violations": self.total,
            "examples": list(self.examples),
        }


def _texts(events: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    return [(str(e.get("event")), str(e.get("text") or "")) for e in events if e.get("event") in ("user", "bot")]


def check_conversation(
    expected: Expected,
    events: Sequence[Mapping[str, Any]],
    foreign_tokens: Mapping[str, str],
    ticket_numbers: Iterable[str],
    report: Report,
) -> None:
    """Check one tracker against what its customer sent. ``foreign_tokens`` maps every
    customer's unique texts to their sender; ``ticket_numbers`` are this conversation's."""
    sender = expected.sender
    report.conversations += 1
    report.checked_events += len(events)
    if not events:
        if expected.sent:
            report.add("missing_tracker", sender, f"{len(expected.sent)} messages sent, no events")
        return
    flow = _texts(events)
    user = [text for kind, text in flow if kind == "user"]
    own = set(expected.sent)

    # Another conversation's events in this tracker.
    for kind, text in flow:
        owners = {owner for token, owner in foreign_tokens.items() if owner != sender and token in text}
        if owners:
            report.add("interleaved", sender, f"{kind} event {text[:40]!r} belongs to {sorted(owners)[0]}")
        elif kind == "user" and text not in own:
            report.add("interleaved", sender, f"user message {text[:40]!r} was never sent by this customer")
    mine = set(ticket_numbers)
    for kind, text in flow:
        if kind == "bot":
            for number in TICKET_NO.findall(text):
                if number not in mine:
                    report.add("interleaved", sender, f"bot names ticket {number}, not this conversation's")

    # Lost, duplicated, reordered: the customer's own messages only.
    sent_counts = Counter(expected.sent)
    got = [text for text in user if text in own]
    got_counts = Counter(got)
    for text, count in sent_counts.items():
        if got_counts[text] < count:
            report.add(
                "lost", sender, f"{text[:40]!r} sent {count}×, recorded {got_counts[text]}×", count - got_counts[text]
            )
        elif got_counts[text] > count:
            report.add(
                "duplicated",
                sender,
                f"{text[:40]!r} sent {count}×, recorded {got_counts[text]}×",
                got_counts[text] - count,
            )
    if got_counts == sent_counts and got != list(expected.sent):
        report.add("reordered", sender, f"recorded {[t[:12] for t in got]}")

    # Every user message is answered before the next one.
    pending: str | None = None
    for kind, text in flow:
        if kind == "user":
            if pending is not None:
                report.add("unanswered", sender, f"no bot reply to {pending[:40]!r}")
            pending = text
        elif kind == "bot":
            pending = None
    if pending is not None:
        report.add("unanswered", sender, f"no bot reply to the last message {pending[:40]!r}")


def verify(
    customers: Sequence[Expected],
    events_by_sender: Mapping[str, Sequence[Mapping[str, Any]]],
    tickets: Sequence[tuple[str, str | None]],
    run_prefix: str,
) -> Report:
    """Check every customer's tracker and the tickets (``(ticket_no, conversation_id)`` of
    this run, i.e. whose conversation id starts with ``run_prefix``)."""
    report = Report(tickets=len(tickets))
    foreign_tokens = {token: c.sender for c in customers for token in c.tokens}
    by_sender: dict[str, list[str]] = {}
    for number, conversation_id in tickets:
        by_sender.setdefault(conversation_id or "", []).append(number)
    known = {c.sender for c in customers}
    for customer in customers:
        numbers = by_sender.get(customer.sender, [])
        check_conversation(customer, events_by_sender.get(customer.sender, ()), foreign_tokens, numbers, report)
        if customer.finished and not numbers:
            report.add("missing_ticket", customer.sender, "finished conversation without a ticket")
        if len(numbers) > 1:
            report.add(
                "duplicate_ticket", customer.sender, f"{len(numbers)} tickets: {sorted(numbers)}", len(numbers) - 1
            )
    for conversation_id, numbers in by_sender.items():
        if conversation_id.startswith(run_prefix) and conversation_id not in known:
            report.add(
                "orphan_ticket", conversation_id, f"tickets {sorted(numbers)} of an unknown conversation", len(numbers)
            )
    return report


def load_from_database(
    database_url: str, run_prefix: str
) -> tuple[dict[str, list[dict[str, Any]]], list[tuple[str, str | None]]]:
    """Events (in insertion order) of every conversation whose sender id starts with
    ``run_prefix``, from Rasa's SQL tracker store (``events`` table), and the intake tickets
    of those conversations."""
    from sqlalchemy import create_engine, text

    from tickets.settings import normalise_database_url

    engine = create_engine(normalise_database_url(database_url))
    pattern = run_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    events: dict[str, list[dict[str, Any]]] = {}
    tickets: list[tuple[str, str | None]] = []
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT sender_id, type_name, data FROM events WHERE sender_id LIKE :p ESCAPE '\\' ORDER BY id"),
                {"p": pattern},
            )
            for sender_id, type_name, data in rows:
                body = json.loads(data) if data else {}
                events.setdefault(str(sender_id), []).append({"event": type_name, "text": body.get("text")})
            ticket_rows = connection.execute(
                text(
                    "SELECT ticket_no, conversation_id FROM intake_tickets "
                    "WHERE conversation_id LIKE :p ESCAPE '\\' ORDER BY id"
                ),
                {"p": pattern},
            )
            tickets = [(str(number), None if cid is None else str(cid)) for number, cid in ticket_rows]
    finally:
        engine.dispose()
    return events, tickets
