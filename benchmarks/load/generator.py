"""An asyncio/aiohttp load generator: N simulated customers, one conversation each.

Each customer has its own sender id, starts at a random moment of the ramp-up window,
sends its conversation through ``POST /webhooks/rest/webhook`` one message at a time,
waits for the reply, checks it (HTTP 200, a non-empty reply list whose texts contain
what the script expects) and thinks for a random 1–3 s (seeded) before the next message.
A customer stops at its first error: the rest of its script would only measure a
conversation that has already gone wrong. Everything is bounded: one conversation per
customer, a per-request timeout and a global deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .conversations import Conversation, conversation_for


@dataclass(frozen=True)
class LoadSettings:
    users: int
    think_min_s: float = 1.0
    think_max_s: float = 3.0
    ramp_s: float = 10.0
    request_timeout_s: float = 60.0
    deadline_s: float = 900.0
    seed: int = 7


@dataclass
class MessageResult:
    index: int  # position in the conversation
    text: str
    started: float  # time.monotonic()
    latency_ms: float | None
    status: int | None
    error: str | None  # None = ok; "http_<code>", "timeout", "connection", "empty_reply", "unexpected_reply"
    replies: list[str] = field(default_factory=list)


@dataclass
class CustomerResult:
    sender: str
    kind: str
    messages: tuple[str, ...]
    tokens: tuple[str, ...]
    results: list[MessageResult] = field(default_factory=list)
    finished: bool = False  # every message sent and answered as expected
    cut_by_deadline: bool = False

    @property
    def sent(self) -> list[str]:
        """Messages the server received a complete request for (a timeout may still have reached it)."""
        return [r.text for r in self.results if r.error != "connection"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "kind": self.kind,
            "finished": self.finished,
            "cut_by_deadline": self.cut_by_deadline,
            "messages_sent": len(self.results),
            "errors": [
                {"index": r.index, "text": r.text, "error": r.error, "status": r.status, "replies": r.replies[:4]}
                for r in self.results
                if r.error
            ],
        }


def check_replies(body: Any, expect: tuple[str, ...]) -> tuple[str | None, list[str]]:
    """(error kind or None, reply texts) for one REST answer."""
    if not isinstance(body, list) or not body:
        return "empty_reply", []
    texts = [str(item.get("text") or "") for item in body if isinstance(item, dict)]
    joined = "\n".join(texts)
    if not texts or not all(fragment in joined for fragment in expect):
        return "unexpected_reply", texts
    return None, texts


async def _say(
    session: aiohttp.ClientSession, url: str, sender: str, text: str, expect: tuple[str, ...], index: int
) -> MessageResult:
    started = time.monotonic()
    status: int | None = None
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            status = response.status
            raw = await response.read()
        latency = (time.monotonic() - started) * 1000.0
    except asyncio.TimeoutError:
        return MessageResult(index, text, started, None, None, "timeout")
    except aiohttp.ClientError as exc:
        kind = "connection" if isinstance(exc, aiohttp.ClientConnectionError) else "client_error"
        return MessageResult(index, text, started, None, None, kind)
    if status != 200:
        return MessageResult(index, text, started, latency, status, f"http_{status}")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return MessageResult(index, text, started, latency, status, "bad_json")
    error, texts = check_replies(body, expect)
    return MessageResult(index, text, started, latency, status, error, texts)


async def _customer(
    session: aiohttp.ClientSession,
    url: str,
    customer: CustomerResult,
    conversation: Conversation,
    settings: LoadSettings,
    rng: random.Random,
    stop_at: float,
) -> None:
    await asyncio.sleep(rng.uniform(0, settings.ramp_s))
    for index, turn in enumerate(conversation.turns):
        if time.monotonic() >= stop_at:
            customer.cut_by_deadline = True
            return
        result = await _say(session, url, customer.sender, turn.text, turn.expect, index)
        customer.results.append(result)
        if result.error:
            return
        if index < len(conversation.turns) - 1:
            await asyncio.sleep(rng.uniform(settings.think_min_s, settings.think_max_s))
    customer.finished = True


async def run_load(base_url: str, settings: LoadSettings, run_tag: str) -> tuple[list[CustomerResult], float]:
    """Run every customer once; returns the customers and the wall time of the run (s)."""
    url = f"{base_url.rstrip('/')}/webhooks/rest/webhook"
    master = random.Random(settings.seed)
    customers: list[CustomerResult] = []
    conversations: list[Conversation] = []
    for index in range(settings.users):
        conversation = conversation_for(index, run_tag)
        conversations.append(conversation)
        customers.append(
            CustomerResult(f"load-{run_tag}-{index:04d}", conversation.kind, conversation.messages, conversation.tokens)
        )
    timeout = aiohttp.ClientTimeout(total=settings.request_timeout_s)
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    start = time.monotonic()
    stop_at = start + settings.deadline_s
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        tasks = [
            asyncio.ensure_future(
                _customer(session, url, customer, conversation, settings, random.Random(master.random()), stop_at)
            )
            for customer, conversation in zip(customers, conversations, strict=True)
        ]
        # The deadline bounds the run; a request still in flight gets its own timeout on top.
        _done, pending = await asyncio.wait(tasks, timeout=settings.deadline_s + settings.request_timeout_s + 5)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for customer, task in zip(customers, tasks, strict=True):
            if task in pending:
                customer.cut_by_deadline = True
    return customers, time.monotonic() - start
