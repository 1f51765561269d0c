"""socket.io (the website widget's channel) under hostile input, in process.

Two levels: the ``user_uttered`` and ``session_request`` handlers called with any
payload python-socketio could hand them (it decodes whatever JSON a client sends),
and the engine.io HTTP route fed random long-polling bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import socketio
from hypothesis import given
from hypothesis import strategies as st

from channels.limits import MAX_MESSAGE_CHARS, SOCKETIO_MAX_PACKET_BYTES
from channels.socketio import SafeSocketIOInput
from channels.texts import channel_text
from tests.fuzz.conftest import TRIED
from tests.fuzz.harness import LoopThread, assert_4xx_or_200, assert_japanese_replies, loop_thread
from tests.fuzz.servers import BOT_REPLY, RecordingAgent, declared_too_large, post, serve
from tests.fuzz.strategies import hostile_texts, json_values, raw_bodies


@dataclass
class SocketIO:
    runner: LoopThread
    url: str
    channel: SafeSocketIOInput
    agent: RecordingAgent
    session: aiohttp.ClientSession
    sid: str = ""
    emitted: list[tuple[str, Any, str | None]] = field(default_factory=list)

    @property
    def sio(self) -> socketio.AsyncServer:
        assert self.channel.sio is not None
        return self.channel.sio

    def trigger(self, event: str, *args: Any) -> list[tuple[str, Any, str | None]]:
        """Call the handler of ``event`` as python-socketio would; what it emitted."""
        TRIED["socket.io events (in process)"] += 1
        self.emitted.clear()
        self.runner.run(self.sio._trigger_event(event, "/", self.sid, *args))
        return list(self.emitted)


@pytest.fixture(scope="module")
def sio_server() -> Iterator[SocketIO]:
    with loop_thread() as runner:
        agent = RecordingAgent()
        channel = SafeSocketIOInput("user_uttered", "bot_uttered", session_persistence=True)
        server = serve(channel, agent)
        url = runner.run(server.__aenter__())
        session = runner.run(_session())
        state = SocketIO(runner, url, channel, agent, session)
        original = state.sio.emit

        async def recording_emit(event: str, data: Any = None, room: str | None = None, **kwargs: Any) -> None:
            state.emitted.append((event, data, room))
            await original(event, data, room=room, **kwargs)

        state.sio.emit = recording_emit  # type: ignore[method-assign]
        state.sid = state.sio.manager.connect("fuzz-engineio-sid", "/")  # a connected socket, no transport
        try:
            yield state
        finally:
            runner.run(session.close())
            runner.run(server.__aexit__(None, None, None))


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))


messages = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "message": st.one_of(hostile_texts, json_values),
            "session_id": st.one_of(st.text(max_size=300), json_values),
            "metadata": st.one_of(json_values, st.text(max_size=50), json_values.map(json.dumps)),
        },
    ),
)


@given(data=messages)
def test_any_user_uttered_payload_is_answered_politely_never_raises(sio_server: SocketIO, data: Any) -> None:
    before = len(sio_server.agent.received)
    emitted = sio_server.trigger("user_uttered", data)
    reached = len(sio_server.agent.received) > before
    texts = [str(payload.get("text")) for event, payload, _ in emitted if event == "bot_uttered"]
    assert_japanese_replies(texts, data)  # never silence
    if reached:
        assert texts == [BOT_REPLY]
        assert isinstance(data, dict) and isinstance(data.get("session_id"), str)
        assert len(data.get("message") or "") <= MAX_MESSAGE_CHARS
    else:
        assert len(texts) == 1 and emitted[0][2] == sio_server.sid  # the polite refusal goes to the sender's socket
    message = data.get("message") if isinstance(data, dict) else None
    if isinstance(message, str) and len(message) > MAX_MESSAGE_CHARS:
        # too long, or unusable for another reason (no session_id, bad metadata) first
        assert not reached
        assert texts[0] in (channel_text("utter_channel_too_long"), channel_text("utter_channel_error"))


@given(
    data=st.one_of(json_values, st.fixed_dictionaries({"session_id": st.one_of(st.text(max_size=300), json_values)}))
)
def test_any_session_request_gets_a_session(sio_server: SocketIO, data: Any) -> None:
    emitted = sio_server.trigger("session_request", data)
    assert [(event, room) for event, _, room in emitted] == [("session_confirm", sio_server.sid)]
    session_id = emitted[0][1]
    assert isinstance(session_id, str) and 0 < len(session_id) <= 256
    if isinstance(data, dict) and isinstance(data.get("session_id"), str) and data["session_id"].strip():
        assert session_id == data["session_id"] or len(data["session_id"]) > 256


def _polling_url(base: str, sid: str | None) -> str:
    return f"{base}/socket.io/?EIO=4&transport=polling" + (f"&sid={sid}" if sid else "")


async def _handshake(session: aiohttp.ClientSession, base: str) -> str:
    async with session.get(_polling_url(base, None)) as answer:
        text = await answer.text()
    assert answer.status == 200 and text.startswith("0"), text
    sid: str = json.loads(text[1:])["sid"]
    return sid


@given(body=raw_bodies, with_session=st.booleans(), chunked=st.booleans())
def test_any_long_polling_body_gets_4xx_or_200(
    sio_server: SocketIO, body: bytes, with_session: bool, chunked: bool
) -> None:
    TRIED["socket.io polling (in process)"] += 1
    runner, session = sio_server.runner, sio_server.session
    sid = runner.run(_handshake(session, sio_server.url)) if with_session else "no-such-session"
    headers = {"Content-Type": "text/plain;charset=UTF-8"}
    status, text = runner.run(post(session, _polling_url(sio_server.url, sid), body, headers, chunked=chunked))
    assert_4xx_or_200(status, text, body)
    if len(body) > SOCKETIO_MAX_PACKET_BYTES:
        assert status == 413


def test_declared_oversized_polling_body_is_413_before_it_is_read(sio_server: SocketIO) -> None:
    TRIED["socket.io polling (in process)"] += 1
    sid = sio_server.runner.run(_handshake(sio_server.session, sio_server.url))
    path = _polling_url(sio_server.url, sid)
    assert sio_server.runner.run(declared_too_large(path, 10**9, {"Content-Type": "text/plain"})) == 413


async def _open_socket(session: aiohttp.ClientSession, base: str) -> aiohttp.ClientWebSocketResponse:
    """An engine.io websocket with the default namespace joined (what socket.io-client does)."""
    ws = await session.ws_connect(base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket")
    opened = await ws.receive_str(timeout=10)
    assert opened.startswith("0"), opened
    await ws.send_str("40")
    joined = await ws.receive_str(timeout=10)
    assert joined.startswith("40"), joined
    return ws


async def _next_event(ws: aiohttp.ClientWebSocketResponse) -> list[Any]:
    while True:
        frame = await ws.receive_str(timeout=10)
        if frame == "2":  # engine.io ping
            await ws.send_str("3")
            continue
        assert frame.startswith("42"), frame
        event: list[Any] = json.loads(frame[2:])
        return event


def test_a_websocket_client_gets_polite_answers_and_an_oversized_frame_only_drops_its_connection(
    sio_server: SocketIO,
) -> None:
    def frame(event: str, data: Any) -> str:
        TRIED["socket.io websocket (in process)"] += 1
        return "42" + json.dumps([event, data], ensure_ascii=False)

    async def scenario() -> tuple[list[Any], bool]:
        session = sio_server.session
        ws = await _open_socket(session, sio_server.url)
        await ws.send_str(frame("session_request", {"session_id": "fuzz-session"}))
        answers = [await _next_event(ws)]
        for data in (
            ["not", "an", "object"],
            {"message": 5, "session_id": "fuzz-session"},
            {"message": "x" * (MAX_MESSAGE_CHARS + 1), "session_id": "fuzz-session"},
            {"message": "こんにちは", "session_id": "fuzz-session"},
        ):
            await ws.send_str(frame("user_uttered", data))
            answers.append(await _next_event(ws))
        await ws.send_str(frame("user_uttered", {"message": "y" * SOCKETIO_MAX_PACKET_BYTES, "session_id": "s"}))
        closed = (await ws.receive(timeout=10)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await ws.close()
        await _handshake(session, sio_server.url)  # still serving the next customer
        return answers, closed

    answers, closed = sio_server.runner.run(scenario(), timeout=60)
    assert answers == [
        ["session_confirm", "fuzz-session"],
        ["bot_uttered", {"text": channel_text("utter_channel_error")}],
        ["bot_uttered", {"text": channel_text("utter_channel_error")}],
        ["bot_uttered", {"text": channel_text("utter_channel_too_long")}],
        ["bot_uttered", {"text": BOT_REPLY}],
    ]
    assert closed


frames = st.one_of(
    st.text(max_size=300),
    st.text(max_size=300).map(lambda text: "42" + text),
    st.tuples(st.sampled_from(["user_uttered", "session_request", "connect", "disconnect", "x"]), json_values).map(
        lambda pair: "42" + json.dumps(list(pair))
    ),
    st.integers(4_000, 10_000).map(lambda n: '42["user_uttered", {"message": 1' + "0" * n + "}]"),
    st.integers(100, 5_000).map(lambda n: "42" + "[" * n + "]" * n),
)


@given(text=frames)
def test_any_websocket_frame_leaves_the_server_serving(sio_server: SocketIO, text: str) -> None:
    TRIED["socket.io websocket (in process)"] += 1

    async def send() -> None:
        ws = await _open_socket(sio_server.session, sio_server.url)
        try:
            await ws.send_str(text)
            await ws.send_str("2")  # a frame after it: the connection either answers or closes, never hangs
            with contextlib.suppress(asyncio.TimeoutError):
                await ws.receive(timeout=0.02)
        finally:
            await ws.close()
        await _handshake(sio_server.session, sio_server.url)

    sio_server.runner.run(send())
