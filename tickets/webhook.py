"""Signed webhook delivery of the outbox (to the ticketing system and the agents' tool).

Each request is a POST of the row's JSON payload with

- ``X-PS-Event``: e.g. ``ticket.created``
- ``X-PS-Delivery``: the outbox id (the same on every retry: receivers dedupe on it)
- ``X-PS-Timestamp``: unix seconds
- ``X-PS-Signature``: ``sha256=`` + hex HMAC-SHA256(secret, f"{timestamp}.{body}")

2xx marks the row delivered; anything else (status, timeout, refused connection)
schedules a retry with exponential back-off. Rows are never deleted or given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import requests

from tickets.settings import TicketSettings
from tickets.store import OutboxItem, TicketStore

logger = logging.getLogger(__name__)

BATCH = 50
USER_AGENT = "ps-intake-forwarder/1"


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, "<timestamp>.<body>")."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int | None,
    body: bytes,
    header: str | None,
    tolerance: float = 300,
    now: float | None = None,
) -> bool:
    """For receivers: the signature matches (constant-time) and the timestamp is within ``tolerance`` s."""
    if not header or timestamp is None:
        return False
    try:
        sent = int(str(timestamp))
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), header.strip())


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int
    pending: int  # undelivered rows for the configured targets after this pass


def backoff_delay(attempts: int, base: float, cap: float) -> float:
    """Seconds before the next try after ``attempts`` failed attempts: base·2^(attempts−1), at most cap."""
    exponent = min(max(attempts - 1, 0), 32)
    return float(min(base * (2**exponent), cap))


class Forwarder:
    """Sends due outbox rows; safe to run in several processes at once (rows are claimed)."""

    def __init__(self, store: TicketStore, settings: TicketSettings, session: requests.Session | None = None) -> None:
        self.store = store
        self.settings = settings
        self._session = session

    @property
    def targets(self) -> frozenset[str]:
        return self.settings.targets

    def _http(self) -> requests.Session:
        if self._session is None:
            self._session = requests.Session()
        return self._session

    def deliver_due(self, now: datetime | None = None, limit: int = BATCH) -> DeliveryReport:
        """One pass: send up to ``limit`` due rows, oldest first."""
        moment = now or datetime.now(timezone.utc)
        hold = timedelta(seconds=self.settings.webhook_timeout * 2 + 30)
        items = self.store.claim_due(self.targets, moment, limit, hold)
        sent = failed = 0
        for item in items:
            error = self._send(item)
            finished = datetime.now(timezone.utc) if now is None else moment
            if error is None:
                self.store.mark_delivered(item, finished)
                sent += 1
            else:
                attempts = item.attempts + 1
                delay = backoff_delay(attempts, self.settings.webhook_backoff, self.settings.webhook_backoff_max)
                delay += random.uniform(0, min(delay * 0.1, 5.0))
                self.store.mark_failed(item, finished, error, finished + timedelta(seconds=delay))
                failed += 1
                logger.warning(
                    "webhook %s #%d (%s, %s) failed, attempt %d, retry in %.0f s: %s",
                    item.target, item.id, item.event, item.ticket_no, attempts, delay, error,
                )  # fmt: skip
        return DeliveryReport(sent, failed, self.store.pending_count(self.targets))

    def _send(self, item: OutboxItem) -> str | None:
        """None when delivered (2xx), else a short description of what went wrong."""
        configured = self.settings.webhook(item.target)
        if configured is None:
            return f"no {item.target} webhook configured"
        url, secret = configured
        body = item.payload.encode("utf-8")
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-PS-Event": item.event,
            "X-PS-Delivery": str(item.id),
            "X-PS-Timestamp": str(timestamp),
            "X-PS-Signature": sign(secret, timestamp, body),
        }
        try:
            response = self._http().post(url, data=body, headers=headers, timeout=self.settings.webhook_timeout)
        except requests.Timeout:
            return f"timed out after {self.settings.webhook_timeout:g} s"
        except requests.RequestException as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        with contextlib.suppress(Exception):
            response.close()
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}: {response.text[:200]}"


class BackgroundDelivery:
    """Delivers the outbox from the running event loop without blocking it.

    ``kick()`` after every store write: it schedules a pass soon (``asyncio.to_thread``);
    kicks while a pass runs are coalesced into one more pass. While undelivered rows remain,
    the task sleeps until the next one is due (at most ``max_sleep`` s) and tries again.
    """

    def __init__(self, forwarder: Forwarder, max_sleep: float = 60.0, min_sleep: float = 0.05) -> None:
        self.forwarder = forwarder
        self.max_sleep = max_sleep
        self.min_sleep = min_sleep
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self.passes = 0

    def kick(self) -> None:
        """Schedule a delivery pass soon; never blocks. Call from the event loop's thread."""
        if not self.forwarder.targets:
            return
        loop = asyncio.get_running_loop()
        if self._wake is None or self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._wake.set()
            self._task = loop.create_task(self._run(self._wake))
        else:
            self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self, wake: asyncio.Event) -> None:
        while True:
            wake.clear()
            try:
                report = await asyncio.to_thread(self.forwarder.deliver_due)
            except Exception:  # the database is away: try again later
                logger.exception("outbox delivery pass failed")
                report = None
            self.passes += 1
            if wake.is_set():
                continue
            if report is not None and report.pending == 0:
                return
            delay = self.max_sleep
            with contextlib.suppress(Exception):
                due = await asyncio.to_thread(self.forwarder.store.next_due_at, self.forwarder.targets)
                if due is not None:
                    delay = (due - datetime.now(timezone.utc)).total_seconds()
            delay = min(max(delay, self.min_sleep), self.max_sleep)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=delay)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until the running task (if any) has nothing left to deliver (tests, shutdown)."""
        if self._task is not None:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
