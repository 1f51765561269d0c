"""The ticket store on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone

import pytest

from tests.tickets.helpers import draft
from tickets.store import TicketNotFound, TicketStore, summarise_transcript


def test_engine_is_created_lazily(database_url: str) -> None:
    store = TicketStore(database_url)
    assert store._engine is None
    assert store.get("PS-20261125-0001") is None
    assert store._engine is not None
    store.dispose()


def test_create_and_read_back(store: TicketStore) -> None:
    created = store.create_ticket(
        draft(
            severity="B",
            reception_starts_at=datetime.fromisoformat("2026-11-26T09:00:00+09:00"),
            company="サンプル商事",
        )
    )
    assert created.ticket_no == "PS-20261125-0001"
    assert created.received_at == datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    again = store.get(created.ticket_no)
    assert again == created
    data = again.as_dict()
    assert data["received_at"] == "2026-11-25T10:00:00+09:00"
    assert data["reception_starts_at"] == "2026-11-26T09:00:00+09:00"
    assert data["company"] == "サンプル商事" and data["severity"] == "B" and data["survey_skipped"] is False
    json.dumps(data)
    [row] = store.outbox()
    assert (row.target, row.event, row.ticket_no, row.attempts) == ("ticket", "ticket.created", created.ticket_no, 0)
    assert json.loads(row.payload)["ticket"] == data


def test_numbers_per_jst_day(store: TicketStore) -> None:
    numbers = [
        store.create_ticket(draft(when)).ticket_no
        for when in (
            "2026-11-25T09:00:00+09:00",
            "2026-11-25T14:59:59+00:00",  # 23:59:59 JST, still the 25th
            "2026-11-25T15:00:00+00:00",  # 00:00 JST: the 26th
            "2026-11-25T23:30:00+09:00",
            "2026-11-26T08:00:00+09:00",
        )
    ]
    assert numbers == [
        "PS-20261125-0001",
        "PS-20261125-0002",
        "PS-20261126-0001",
        "PS-20261125-0003",
        "PS-20261126-0002",
    ]


def test_same_key_returns_the_same_ticket(store: TicketStore) -> None:
    first = store.create_ticket(draft(idempotency_key="conv-9:1700000000.5"))
    second = store.create_ticket(draft(idempotency_key="conv-9:1700000000.5", severity="C"))
    assert second == first and second.severity == "A"
    assert len(store.list_tickets()) == 1
    assert len(store.outbox()) == 1  # the repeat queues nothing
    assert store.find_by_key("conv-9:1700000000.5") == first
    assert store.find_by_key("other") is None


def test_concurrent_creation_with_one_key(store: TicketStore) -> None:
    barrier = threading.Barrier(8)

    def create(_: int) -> str:
        barrier.wait()
        return store.create_ticket(draft(idempotency_key="retried-action")).ticket_no

    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(create, range(8)))
    assert len(set(numbers)) == 1
    assert len(store.list_tickets()) == 1
    assert len(store.outbox()) == 1


def test_concurrent_numbering(store: TicketStore) -> None:
    barrier = threading.Barrier(20)

    def create(n: int) -> str:
        barrier.wait()
        return store.create_ticket(draft(idempotency_key=f"conv-{n}")).ticket_no

    with ThreadPoolExecutor(20) as pool:
        numbers = list(pool.map(create, range(20)))
    assert len(set(numbers)) == 20
    assert all(n.startswith("PS-20261125-") for n in numbers)
    assert sorted(numbers)[-1] == "PS-20261125-0020"  # no gaps here either, though none are promised


def test_update_contact(store: TicketStore) -> None:
    ticket = store.create_ticket(draft())
    updated = store.update_contact(ticket.ticket_no, company="サンプル商事", phone="０９０ー１２３４ー５６７８")
    assert (updated.company, updated.phone, updated.email) == ("サンプル商事", "090-1234-5678", None)
    updated = store.update_contact(ticket.ticket_no, email="Taro@Example.CO.JP", contact_name="山田 太郎")
    assert (updated.company, updated.email, updated.contact_name) == ("サンプル商事", "Taro@example.co.jp", "山田 太郎")
    assert updated.updated_at >= ticket.updated_at
    assert [row.event for row in store.outbox()] == ["ticket.created", "ticket.updated", "ticket.updated"]
    with pytest.raises(ValueError, match="length"):
        store.update_contact(ticket.ticket_no, phone="090-1234")
    with pytest.raises(ValueError, match="no_at"):
        store.update_contact(ticket.ticket_no, email="taro")
    with pytest.raises(TicketNotFound):
        store.update_contact("PS-20990101-0001", company="x")


def test_update_triage(store: TicketStore) -> None:
    ticket = store.create_ticket(draft(severity="B", severity_reason="一部の部署", contract="pack5"))
    updated = store.update_triage(ticket.ticket_no, contract="pack5_legacy", contract_ok=True)
    assert (updated.contract, updated.contract_ok, updated.severity) == ("pack5_legacy", True, "B")
    updated = store.update_triage(ticket.ticket_no, severity="A", severity_reason="全社の業務停止", contract_ok=False)
    assert (updated.severity, updated.severity_reason, updated.contract_ok) == ("A", "全社の業務停止", False)
    assert updated.contract == "pack5_legacy"
    assert updated.updated_at >= ticket.updated_at
    same = store.update_triage(ticket.ticket_no, severity="A")  # nothing changes: nothing queued
    assert same.severity == "A"
    assert [row.event for row in store.outbox()] == ["ticket.created", "ticket.updated", "ticket.updated"]
    with pytest.raises(ValueError, match="severity"):
        store.update_triage(ticket.ticket_no, severity="Z")
    with pytest.raises(TicketNotFound):
        store.update_triage("PS-20990101-0001", contract="pack5")


def test_survey(store: TicketStore) -> None:
    ticket = store.create_ticket(draft())
    rated = store.record_survey(ticket.ticket_no, 4, "  丁寧でした  ", skipped=False)
    assert (rated.survey_rating, rated.survey_comment, rated.survey_skipped) == (4, "丁寧でした", False)
    skipped = store.record_survey(ticket.ticket_no, None, None, skipped=True)
    assert (skipped.survey_rating, skipped.survey_comment, skipped.survey_skipped) == (None, None, True)
    payloads = [json.loads(row.payload) for row in store.outbox() if row.event == "survey.recorded"]
    assert [p["survey"] for p in payloads] == [
        {"rating": 4, "comment": "丁寧でした", "skipped": False},
        {"rating": None, "comment": None, "skipped": True},
    ]
    for bad in (0, 6, True):
        with pytest.raises(ValueError):
            store.record_survey(ticket.ticket_no, bad, None, skipped=False)


def test_handoff_and_agent_messages(store: TicketStore) -> None:
    ticket = store.create_ticket(draft())
    transcript = [{"event": "user", "text": f"質問{n} " + "あ" * 600, "timestamp": 1764032400 + n} for n in range(25)]
    transcript.insert(3, {"event": "action", "name": "action_listen"})
    requested = store.set_handoff(ticket.ticket_no, "requested", transcript)
    assert requested.handoff_state == "requested"
    message_id = store.enqueue_agent_message(ticket.ticket_no, "まだつながりませんか")
    assert isinstance(message_id, int)
    cancelled = store.set_handoff(ticket.ticket_no, "cancelled", None)
    assert cancelled.handoff_state == "cancelled"
    agent = [row for row in store.outbox() if row.target == "agent"]
    assert [row.event for row in agent] == ["handoff.requested", "handoff.message", "handoff.cancelled"]
    summary = json.loads(agent[0].payload)["transcript"]
    assert len(summary) == 20 and summary[0]["text"].startswith("質問5 ")
    assert {turn["from"] for turn in summary} == {"customer"}
    assert max(len(turn["text"]) for turn in summary) == 500
    assert summary[0]["at"] == "2025-11-25T10:00:05+09:00"
    assert json.loads(agent[1].payload)["message"]["text"] == "まだつながりませんか"
    assert json.loads(agent[0].payload)["ticket"]["ticket_no"] == ticket.ticket_no
    with pytest.raises(ValueError):
        store.set_handoff(ticket.ticket_no, "maybe", None)


def test_after_hours_handoff_notifies_no_agent(store: TicketStore) -> None:
    ticket = store.create_ticket(draft(severity="B"))
    store.set_handoff(ticket.ticket_no, "after_hours", [{"from": "customer", "text": "人と話したい"}])
    assert [row.event for row in store.outbox()] == ["ticket.created", "ticket.updated"]


def test_nothing_queued_without_webhooks(database_url: str) -> None:
    store = TicketStore(database_url, targets=())
    ticket = store.create_ticket(draft())
    store.set_handoff(ticket.ticket_no, "requested", [])
    assert store.enqueue_agent_message(ticket.ticket_no, "hello") is None
    assert store.outbox(pending_only=False) == []
    store.dispose()


def test_list_filters(store: TicketStore) -> None:
    store.create_ticket(draft("2026-11-24T12:00:00+09:00", severity="C", company="古い"))
    store.create_ticket(draft("2026-11-25T00:00:00+09:00", severity="A"))
    store.create_ticket(draft("2026-11-25T18:00:00+09:00", severity=None, redirect="premier", outcome="redirect"))
    store.create_ticket(draft("2026-11-26T08:59:00+09:00", severity="undetermined", redirect="consulting"))
    assert [t.received_day.day for t in store.list_tickets()] == [26, 25, 25, 24]  # newest first
    assert len(store.list_tickets(since=date(2026, 11, 25))) == 3
    assert len(store.list_tickets(until=date(2026, 11, 25))) == 3
    assert len(store.list_tickets(date(2026, 11, 25), date(2026, 11, 25))) == 2
    assert [t.severity for t in store.list_tickets(severity="A")] == ["A"]
    assert [t.redirect for t in store.list_tickets(severity="none")] == ["premier"]
    assert [t.severity for t in store.list_tickets(redirect="consulting")] == ["undetermined"]
    assert len(store.list_tickets(redirect="none")) == 2
    assert len(store.list_tickets(limit=2)) == 2


def test_draft_validation(store: TicketStore) -> None:
    with pytest.raises(ValueError, match="timezone"):
        store.create_ticket(draft(datetime(2026, 11, 25, 10, 0)))
    with pytest.raises(ValueError, match="severity"):
        store.create_ticket(draft(severity="D"))
    with pytest.raises(ValueError, match="idempotency_key"):
        store.create_ticket(draft(idempotency_key="k" * 201))


def test_transcript_summary_accepts_both_shapes() -> None:
    turns = summarise_transcript(
        [
            {"from": "customer", "text": "サーバーが落ちました", "at": "2026-11-25T10:00:00+09:00"},
            {"event": "bot", "text": "深刻度Aと判断しました", "timestamp": 1764032460.0},
            {"event": "user", "text": "   "},
            {"event": "slot", "name": "severity"},
        ]
    )
    assert turns == [
        {"at": "2026-11-25T10:00:00+09:00", "from": "customer", "text": "サーバーが落ちました"},
        {"at": "2025-11-25T10:01:00+09:00", "from": "bot", "text": "深刻度Aと判断しました"},
    ]
