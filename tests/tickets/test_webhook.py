"""Webhook delivery to a local receiver: signature, retry, outage, timeout, no double send."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from tests.tickets.helpers import draft
from tests.tickets.receiver import Receiver
from tickets.settings import TicketSettings
from tickets.store import TicketStore
from tickets.webhook import BackgroundDelivery, Forwarder, backoff_delay, sign, verify_signature

SECRET = "test-secret-" + "x" * 8
AGENT_SECRET = "agent-secret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


def settings_for(url: str, database_url: str, **overrides: float) -> TicketSettings:
    values: dict[str, float] = {"webhook_timeout": 2.0, "webhook_backoff": 2.0, "webhook_backoff_max": 600.0}
    values.update(overrides)
    return TicketSettings(
        database_url=database_url,
        ticket_webhook_url=url,
        ticket_webhook_secret=SECRET,
        agent_webhook_url=url.replace("/hook", "/agent"),
        agent_webhook_secret=AGENT_SECRET,
        webhook_timeout=values["webhook_timeout"],
        webhook_backoff=values["webhook_backoff"],
        webhook_backoff_max=values["webhook_backoff_max"],
    )


def test_signature_helpers() -> None:
    body = b'{"event":"ticket.created"}'
    header = sign("s", 1764032400, body)
    assert verify_signature("s", "1764032400", body, header, now=1764032400 + 299)
    assert not verify_signature("s", "1764032400", body, header, now=1764032400 + 301)  # replayed late
    assert not verify_signature("other", "1764032400", body, header, now=1764032400)
    assert not verify_signature("s", "1764032400", body + b" ", header, now=1764032400)
    assert not verify_signature("s", "1764032401", body, header, now=1764032400)
    assert not verify_signature("s", None, body, header)
    assert not verify_signature("s", "soon", body, header)
    assert [backoff_delay(n, 2.0, 600.0) for n in (1, 2, 3, 4, 10, 60)] == [2, 4, 8, 16, 600, 600]


def test_delivery_signed_and_verifiable(database_url: str, receiver: Receiver) -> None:
    settings = settings_for(receiver.url, database_url)
    store = TicketStore.from_settings(settings)
    ticket = store.create_ticket(draft())
    store.set_handoff(ticket.ticket_no, "requested", [{"from": "customer", "text": "人と話したい"}])
    report = Forwarder(store, settings).deliver_due()
    assert (report.sent, report.failed, report.pending) == (3, 0, 0)
    by_path = {(r.path, r.headers["X-PS-Event"]): r for r in receiver.requests}
    assert set(by_path) == {("/hook", "ticket.created"), ("/agent", "handoff.requested"), ("/hook", "ticket.updated")}
    for (path, _event), request in by_path.items():
        secret = SECRET if path == "/hook" else AGENT_SECRET
        headers = request.headers
        assert verify_signature(secret, headers["X-PS-Timestamp"], request.body, headers["X-PS-Signature"])
        assert not verify_signature("wrong", headers["X-PS-Timestamp"], request.body, headers["X-PS-Signature"])
        assert headers["Content-Type"].startswith("application/json")
    created = by_path[("/hook", "ticket.created")]
    payload = json.loads(created.body)
    assert payload["event"] == "ticket.created" and payload["ticket"]["ticket_no"] == ticket.ticket_no
    rows = {row.id: row for row in store.outbox(pending_only=False)}
    assert rows[int(created.headers["X-PS-Delivery"])].event == "ticket.created"
    assert all(row.delivered_at is not None and row.attempts == 1 for row in rows.values())
    assert Forwarder(store, settings).deliver_due() == type(report)(0, 0, 0)  # nothing is sent twice
    store.dispose()


def test_retry_until_accepted(database_url: str, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    settings = settings_for(receiver.url, database_url)
    store = TicketStore.from_settings(settings)
    store.create_ticket(draft())
    forwarder = Forwarder(store, settings)
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)

    first = forwarder.deliver_due(now=start)
    assert (first.sent, first.failed, first.pending) == (0, 1, 1)
    [row] = store.outbox()
    assert row.attempts == 1 and row.last_error is not None and row.last_error.startswith("HTTP 500")
    assert timedelta(seconds=2) <= row.next_attempt_at - start <= timedelta(seconds=2.2)
    assert forwarder.deliver_due(now=start + timedelta(seconds=1)).failed == 0  # not due yet: not sent
    assert len(receiver.requests) == 1

    second = forwarder.deliver_due(now=start + timedelta(seconds=3))
    assert (second.sent, second.failed) == (0, 1)
    [row] = store.outbox()
    assert row.attempts == 2 and row.last_error is not None and row.last_error.startswith("HTTP 503")
    assert timedelta(seconds=4) <= row.next_attempt_at - (start + timedelta(seconds=3)) <= timedelta(seconds=4.4)

    third = forwarder.deliver_due(now=start + timedelta(seconds=10))
    assert (third.sent, third.failed, third.pending) == (1, 0, 0)
    assert len(receiver.requests) == 3
    bodies = {r.body for r in receiver.requests}
    assert len(bodies) == 1  # every retry sends the same payload
    assert {r.headers["X-PS-Delivery"] for r in receiver.requests} == {str(row.id)}
    store.dispose()


def test_outage_loses_nothing(database_url: str) -> None:
    down = Receiver()  # nothing listens on its port yet
    settings = settings_for(down.url, database_url)
    store = TicketStore.from_settings(settings)
    tickets = [store.create_ticket(draft(idempotency_key=f"outage-{n}")) for n in range(3)]
    forwarder = Forwarder(store, settings)
    report = forwarder.deliver_due()
    assert (report.sent, report.failed, report.pending) == (0, 3, 3)
    queued = store.outbox()
    assert [row.attempts for row in queued] == [1, 1, 1]
    assert all(row.last_error and "ConnectionError" in row.last_error for row in queued)
    payloads = {row.id: row.payload for row in queued}

    down.start()
    try:
        report = forwarder.deliver_due(now=datetime.now(timezone.utc) + timedelta(minutes=5))
        assert (report.sent, report.failed, report.pending) == (3, 0, 0)
        received = {int(r.headers["X-PS-Delivery"]): r.body.decode() for r in down.requests}
        assert received == payloads
        assert sorted(json.loads(body)["ticket"]["ticket_no"] for body in received.values()) == sorted(
            t.ticket_no for t in tickets
        )
    finally:
        down.stop()
    store.dispose()


def test_timeout(database_url: str) -> None:
    slow = Receiver(delay=1.5).start()
    try:
        settings = settings_for(slow.url, database_url, webhook_timeout=0.3)
        store = TicketStore.from_settings(settings)
        store.create_ticket(draft())
        started = time.perf_counter()
        report = Forwarder(store, settings).deliver_due()
        elapsed = time.perf_counter() - started
        assert (report.sent, report.failed, report.pending) == (0, 1, 1)
        assert elapsed < 1.4
        [row] = store.outbox()
        assert row.last_error == "timed out after 0.3 s"
        store.dispose()
    finally:
        slow.stop()


def test_two_forwarders_never_send_a_row_twice(database_url: str) -> None:
    slowish = Receiver(delay=0.02).start()
    try:
        settings = settings_for(slowish.url, database_url)
        store = TicketStore.from_settings(settings)
        for n in range(12):
            store.create_ticket(draft(idempotency_key=f"pair-{n}"))
        other_store = TicketStore.from_settings(settings)  # a second process would have its own engine
        forwarders = [Forwarder(store, settings), Forwarder(other_store, settings)]
        barrier = threading.Barrier(2)
        reports = []

        def run(forwarder: Forwarder) -> None:
            barrier.wait()
            reports.append(forwarder.deliver_due(limit=50))

        threads = [threading.Thread(target=run, args=(f,)) for f in forwarders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        deliveries = [r.headers["X-PS-Delivery"] for r in slowish.requests]
        assert len(deliveries) == 12 == len(set(deliveries))
        assert sum(r.sent for r in reports) == 12
        assert store.outbox() == []
        other_store.dispose()
        store.dispose()
    finally:
        slowish.stop()


def test_expired_claim_is_taken_over(database_url: str, receiver: Receiver) -> None:
    """A forwarder that died after claiming does not block the row for ever."""
    settings = settings_for(receiver.url, database_url)
    store = TicketStore.from_settings(settings)
    store.create_ticket(draft())
    now = datetime.now(timezone.utc)
    [claimed] = store.claim_due({"ticket"}, now, 10, timedelta(seconds=40))
    assert store.claim_due({"ticket"}, now, 10, timedelta(seconds=40)) == []
    report = Forwarder(store, settings).deliver_due(now=now + timedelta(seconds=41))
    assert report.sent == 1
    assert not store.mark_delivered(claimed, now)  # the dead forwarder's late answer changes nothing
    store.dispose()


async def test_background_delivery(database_url: str, receiver: Receiver) -> None:
    receiver.statuses = [500]
    settings = settings_for(receiver.url, database_url, webhook_backoff=0.2)
    store = TicketStore.from_settings(settings)
    background = BackgroundDelivery(Forwarder(store, settings), max_sleep=1.0)
    await asyncio.to_thread(store.create_ticket, draft(idempotency_key="bg-1"))
    started = time.perf_counter()
    for _ in range(5):
        background.kick()  # coalesced; returns at once
    assert time.perf_counter() - started < 0.05
    assert background.running
    ticket = await asyncio.to_thread(store.create_ticket, draft(idempotency_key="bg-2"))
    background.kick()
    await background.drain(timeout=10)
    assert not background.running
    assert await asyncio.to_thread(store.outbox) == []
    events = sorted((r.headers["X-PS-Delivery"], r.headers["X-PS-Event"]) for r in receiver.requests)
    assert len(events) == 3  # two tickets, the first one refused once and retried after the back-off
    assert background.passes <= 5
    assert ticket.ticket_no in {json.loads(r.body)["ticket"]["ticket_no"] for r in receiver.requests}
    await background.aclose()
    store.dispose()
