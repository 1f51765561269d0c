"""REST (``/webhooks/rest/webhook``) under hostile input, in process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.limits import MAX_MESSAGE_CHARS, REST_MAX_BODY_BYTES
from channels.rest import SafeRestInput
from channels.texts import channel_text
from tests.fuzz.conftest import TRIED
from tests.fuzz.harness import LoopThread, assert_4xx_or_200, assert_japanese_replies, loop_thread
from tests.fuzz.servers import BOT_REPLY, RecordingAgent, declared_too_large, post, serve
from tests.fuzz.strategies import dumps, hostile_texts, json_values, raw_bodies


@dataclass
class Rest:
    runner: LoopThread
    url: str
    agent: RecordingAgent
    session: aiohttp.ClientSession

    def send(self, body: bytes, *, chunked: bool = False) -> tuple[int, str]:
        TRIED["rest (in process)"] += 1
        headers = {"Content-Type": "application/json"}
        return self.runner.run(post(self.session, self.url + "/webhooks/rest/webhook", body, headers, chunked=chunked))


def check(status: int, text: str, what: object) -> None:
    """4xx, or 200 with a list of Japanese replies (Rasa's REST answer)."""
    assert_4xx_or_200(status, text, what)
    if status == 200:
        assert_japanese_replies([str(reply.get("text") or "") for reply in json.loads(text)], what)


@pytest.fixture(scope="module")
def rest() -> Iterator[Rest]:
    with loop_thread() as runner:
        agent = RecordingAgent()
        server = serve(SafeRestInput(), agent)
        url = runner.run(server.__aenter__())
        session = runner.run(_session())
        try:
            yield Rest(runner, url, agent, session)
        finally:
            runner.run(session.close())
            runner.run(server.__aexit__(None, None, None))


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))


@given(body=raw_bodies, chunked=st.booleans())
def test_any_body_gets_4xx_or_a_polite_reply(rest: Rest, body: bytes, chunked: bool) -> None:
    status, text = rest.send(body, chunked=chunked)
    check(status, text, body)
    if len(body) > REST_MAX_BODY_BYTES:
        assert status == 413


envelopes = st.fixed_dictionaries(
    {},
    optional={
        "sender": st.one_of(st.text(min_size=1, max_size=300), json_values),
        "message": st.one_of(hostile_texts, json_values),
        "metadata": json_values,
        "input_channel": st.one_of(st.text(max_size=300), json_values),
    },
)


@given(payload=envelopes, ascii_only=st.booleans())
def test_hostile_fields_get_4xx_or_a_polite_reply(rest: Rest, payload: dict[str, object], ascii_only: bool) -> None:
    before = len(rest.agent.received)
    status, text = rest.send(dumps(payload, ascii_only=ascii_only))
    check(status, text, payload)
    reached = len(rest.agent.received) > before
    message = payload.get("message")
    if isinstance(message, str) and len(message) > MAX_MESSAGE_CHARS and status == 200:
        assert not reached and json.loads(text)[0]["text"] == channel_text("utter_channel_too_long")
    if reached:
        assert status == 200 and json.loads(text)[-1]["text"] == BOT_REPLY


@pytest.mark.parametrize("size", [REST_MAX_BODY_BYTES + 1, 1024 * 1024, 10**9])
def test_declared_oversized_body_is_413_before_it_is_read(rest: Rest, size: int) -> None:
    TRIED["rest (in process)"] += 1
    status = rest.runner.run(
        declared_too_large(rest.url + "/webhooks/rest/webhook", size, {"Content-Type": "application/json"})
    )
    assert status == 413


def test_over_long_message_is_refused_politely_not_cut(rest: Rest) -> None:
    before = len(rest.agent.received)
    at_limit = json.dumps({"sender": "u", "message": "あ" * MAX_MESSAGE_CHARS}).encode()
    over = json.dumps({"sender": "u", "message": "あ" * (MAX_MESSAGE_CHARS + 1)}).encode()
    status, text = rest.send(at_limit)
    assert status == 200 and json.loads(text) == [{"recipient_id": "u", "text": BOT_REPLY}]
    status, text = rest.send(over)
    assert status == 200 and json.loads(text) == [{"recipient_id": "u", "text": channel_text("utter_channel_too_long")}]
    assert len(rest.agent.received) == before + 1
