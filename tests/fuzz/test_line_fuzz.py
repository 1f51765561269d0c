"""LINE (``/webhooks/line/webhook``) under hostile input, in process, against the stub
LINE API from tests/channels/test_line.py.

Forged signatures never reach the bot. Redeliveries and replays of a signed body are
dropped by ``webhookEventId`` (kept for the last 10,000 events, in this process):
LINE's signature covers the body only, with no timestamp, so an event without an id,
or replayed after the id has left the cache, would be processed again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from channels.limits import LINE_MAX_BODY_BYTES, MAX_MESSAGE_CHARS
from channels.line import LineInput, compute_signature
from channels.texts import channel_text
from tests.channels.test_line import SECRET, TOKEN, StubLineApi, text_event, webhook
from tests.fuzz.conftest import TRIED
from tests.fuzz.harness import LoopThread, assert_4xx_or_200, loop_thread
from tests.fuzz.servers import RecordingAgent, bound_socket, declared_too_large, post, serve
from tests.fuzz.strategies import dumps, hostile_texts, json_values, raw_bodies


@dataclass
class Line:
    runner: LoopThread
    url: str
    channel: LineInput
    agent: RecordingAgent
    api: StubLineApi
    session: aiohttp.ClientSession

    def send(self, body: bytes, signature: str | None) -> tuple[int, str]:
        TRIED["line (in process)"] += 1
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Line-Signature"] = signature
        answer = self.runner.run(post(self.session, self.url + "/webhooks/line/webhook", body, headers))
        assert self.runner.run(self.channel.wait_until_idle(15))
        return answer


async def _start(stack: AsyncExitStack) -> tuple[str, LineInput, RecordingAgent, StubLineApi, aiohttp.ClientSession]:
    api = StubLineApi()
    app = web.Application()
    app.router.add_post("/v2/bot/message/reply", api.handle)
    app.router.add_post("/v2/bot/message/push", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    sock = bound_socket()
    await web.SockSite(runner, sock).start()
    api.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    channel = LineInput(SECRET, TOKEN, api.base_url, request_timeout=2.0)
    agent = RecordingAgent()
    url = await stack.enter_async_context(serve(channel, agent))
    session = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)))
    return url, channel, agent, api, session


@pytest.fixture(scope="module")
def line() -> Iterator[Line]:
    with loop_thread() as runner:
        stack = AsyncExitStack()
        url, channel, agent, api, session = runner.run(_start(stack))
        try:
            yield Line(runner, url, channel, agent, api, session)
        finally:
            runner.run(stack.aclose())


events = st.one_of(
    json_values,
    st.builds(lambda text: text_event(text), hostile_texts),
    st.builds(
        lambda fields: {**text_event("こんにちは"), **fields},
        st.fixed_dictionaries(
            {},
            optional={
                "type": st.one_of(st.sampled_from(["message", "postback", "follow", "unfollow", ""]), json_values),
                "message": json_values,
                "postback": st.one_of(json_values, st.builds(lambda d: {"data": d}, hostile_texts)),
                "source": json_values,
                "replyToken": json_values,
                "webhookEventId": json_values,
                "mode": json_values,
            },
        ),
    ),
)
bodies = st.one_of(
    raw_bodies,
    st.builds(
        lambda items, ascii_only: dumps(webhook(*items), ascii_only=ascii_only),
        st.lists(events, max_size=4),
        st.booleans(),
    ),
)
forged_signatures = st.one_of(
    st.none(),
    st.just(""),
    # Any header value an HTTP client can send (CR/LF would split the header; aiohttp
    # refuses to send them, and so does every real client).
    st.text(alphabet=st.characters(exclude_characters="\r\n"), max_size=100),
    st.binary(min_size=32, max_size=32).map(lambda raw: compute_signature("another-secret", raw)),
)


@given(body=bodies, signature=forged_signatures)
def test_forged_signatures_never_reach_the_bot(line: Line, body: bytes, signature: str | None) -> None:
    before, calls = len(line.agent.received), len(line.api.calls)
    status, text = line.send(body, signature)
    assert_4xx_or_200(status, text, body)
    assert status in (401, 413), (status, text)
    assert (len(line.agent.received), len(line.api.calls)) == (before, calls)


@given(body=bodies, wrong_key=st.booleans())
def test_a_signature_of_another_body_or_secret_is_refused(line: Line, body: bytes, wrong_key: bool) -> None:
    signature = compute_signature("another-secret" if wrong_key else SECRET, body + b" ")
    before = len(line.agent.received)
    status, _ = line.send(body, signature)
    assert status in (401, 413)
    assert len(line.agent.received) == before


@given(body=bodies)
def test_signed_hostile_bodies_get_4xx_or_200_and_over_long_texts_a_polite_reply(line: Line, body: bytes) -> None:
    before, calls = len(line.agent.received), len(line.api.calls)
    status, text = line.send(body, compute_signature(SECRET, body))
    assert_4xx_or_200(status, text, body)
    if len(body) > LINE_MAX_BODY_BYTES:
        assert status == 413
    if status != 200:
        assert len(line.agent.received) == before
        return
    reached = line.agent.received[before:]
    assert all(len(message.text or "") <= MAX_MESSAGE_CHARS for message in reached)
    too_long = [
        e
        for e in json.loads(body).get("events", [])
        if isinstance(e, dict)
        and e.get("type") == "message"
        and isinstance(e.get("message"), dict)
        and isinstance(e["message"].get("text"), str)
        and len(e["message"]["text"]) > MAX_MESSAGE_CHARS
        and isinstance(e.get("source"), dict)
        and e.get("mode") != "standby"
    ]
    if too_long:
        sent = [m.get("text") for call in line.api.calls[calls:] for m in call.body["messages"]]
        assert channel_text("utter_channel_too_long") in sent


@given(text=hostile_texts)
def test_a_replayed_signed_body_reaches_the_bot_once(line: Line, text: str) -> None:
    body = dumps(webhook(text_event(text)), ascii_only=False)
    signature = compute_signature(SECRET, body)
    first, _ = line.send(body, signature)
    after_first = len(line.agent.received)
    second, _ = line.send(body, signature)
    assert first == second
    assert len(line.agent.received) == after_first


@pytest.mark.parametrize("size", [LINE_MAX_BODY_BYTES + 1, 10**9])
def test_declared_oversized_body_is_413_before_it_is_read(line: Line, size: int) -> None:
    TRIED["line (in process)"] += 1
    headers = {"X-Line-Signature": "c2lnbmF0dXJl"}
    assert line.runner.run(declared_too_large(line.url + "/webhooks/line/webhook", size, headers)) == 413
