"""The LINE channel against a real Sanic server and a stub LINE API, both on 127.0.0.1.

No trained model and no internet: the Rasa agent is a fake that answers with a fixed
list of bot messages through the channel's output channel, and the LINE API is a
local aiohttp server that records reply/push calls and can be told to fail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from rasa.core.channels.channel import UserMessage, register
from rasa.shared.exceptions import RasaException
from sanic import Sanic

from channels.line import (
    DEFAULT_API_BASE,
    FOLLOW_PAYLOAD,
    MAX_BODY_BYTES,
    LineInput,
    RecentIds,
    compute_signature,
    quick_reply_items,
    signature_is_valid,
    split_text,
    utf16_len,
)
from channels.texts import channel_text

SECRET = "test-channel-secret-0123456789"
TOKEN = "test-access-token-abcdefghijklmnop"
USER = "U4af4980629f2e5c9b1d0e0a1b2c3d4e5"
FORBIDDEN_PORTS = {5005, 5055, 5105, 5155, *range(5200, 5300)}

# ----------------------------------------------------------------------------- bot
LONG_TEXT = "".join(f"{number:05d}件目の確認事項です。" for number in range(800))  # 15 × 800
FIFTEEN_BUTTONS = [
    {"title": f"{number}. 選択肢その{number}", "payload": f'/inform_contract{{"contract": "c{number}"}}'}
    for number in range(1, 16)
]
DEFAULT_RESPONSES: list[dict[str, Any]] = [
    {"text": "お問い合わせありがとうございます。"},
    {"text": "ご契約の種類を選んでください。", "buttons": FIFTEEN_BUTTONS},
    {"text": LONG_TEXT},
]


@dataclass
class FakeAgent:
    """Stands in for ``app.ctx.agent``: records messages, answers with ``responses``."""

    responses: list[dict[str, Any]] = field(default_factory=lambda: list(DEFAULT_RESPONSES))
    received: list[UserMessage] = field(default_factory=list)
    gate: asyncio.Event | None = None
    fail: bool = False

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError("model exploded")
        for answer in self.responses:
            await message.output_channel.send_response(message.sender_id, dict(answer))

    @property
    def texts(self) -> list[str]:
        return [message.text for message in self.received]


# ----------------------------------------------------------------------------- stub LINE API
@dataclass
class ApiCall:
    path: str
    authorization: str | None
    content_type: str
    body: dict[str, Any]


class StubLineApi:
    """Records every call; ``reply_status`` / ``push_status`` / ``hang`` make it fail."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.reply_status = 200
        self.push_status = 200
        self.hang = False
        self.release = asyncio.Event()
        self.base_url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(ApiCall(request.path, request.headers.get("Authorization"), request.content_type, body))
        if self.hang:
            await self.release.wait()
        status = self.reply_status if request.path.endswith("/reply") else self.push_status
        if status == 400:
            return web.json_response({"message": "Invalid reply token"}, status=400)
        if status != 200:
            return web.json_response({"message": "Internal error"}, status=status)
        return web.json_response({})

    @property
    def replies(self) -> list[ApiCall]:
        return [call for call in self.calls if call.path == "/v2/bot/message/reply"]

    @property
    def pushes(self) -> list[ApiCall]:
        return [call for call in self.calls if call.path == "/v2/bot/message/push"]

    def sent_messages(self) -> list[dict[str, Any]]:
        return [message for call in self.calls for message in call.body["messages"]]


def free_socket() -> socket.socket:
    """A listening-ready socket on a free 127.0.0.1 port outside the project's ports."""
    while True:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        if sock.getsockname()[1] not in FORBIDDEN_PORTS:
            return sock
        sock.close()


@pytest.fixture
async def line_api() -> AsyncIterator[StubLineApi]:
    stub = StubLineApi()
    app = web.Application()
    app.router.add_post("/v2/bot/message/reply", stub.handle)
    app.router.add_post("/v2/bot/message/push", stub.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = free_socket()
    site = web.SockSite(runner, sock)
    await site.start()
    stub.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    yield stub
    stub.release.set()
    await runner.cleanup()


@pytest.fixture
def agent() -> FakeAgent:
    return FakeAgent()


@dataclass
class Server:
    url: str
    channel: LineInput
    agent: FakeAgent
    api: StubLineApi

    async def post(
        self,
        body: bytes | Any,
        *,
        signature: str | None = "valid",
        path: str = "/webhooks/line/webhook",
        settle: bool = True,
    ) -> tuple[int, Any]:
        """POST ``body`` (bytes, or built with ``webhook()``), signed unless told otherwise."""
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if signature == "valid":
            headers["X-Line-Signature"] = compute_signature(SECRET, raw)
        elif signature is not None:
            headers["X-Line-Signature"] = signature
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as session,
            session.post(self.url + path, data=raw, headers=headers) as answer,
        ):
            status, payload = answer.status, await answer.json(content_type=None)
        if settle:
            assert await self.channel.wait_until_idle(10)
        return status, payload


@pytest.fixture
async def server(line_api: StubLineApi, agent: FakeAgent, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Server]:
    # Sanic 21.12 rewrites its HTTP classes at each app start; in test mode it restarts
    # from the originals, so several apps can start in one process (as sanic-testing does).
    monkeypatch.setattr(Sanic, "test_mode", True)
    channel = LineInput(SECRET, TOKEN, line_api.base_url, request_timeout=2.0)
    app = Sanic(f"line_test_{uuid.uuid4().hex[:12]}", configure_logging=False)
    app.ctx.agent = agent
    register([channel], app, "/webhooks/")  # Rasa's own registration: URL /webhooks/line/webhook
    sock = free_socket()
    # Already listening on return (create_server awaits the asyncio server); Sanic 21.12
    # leaves AsyncioServer's methods untyped, hence Any.
    running: Any = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert running is not None
    await running.startup()
    await running.before_start()
    await running.after_start()
    yield Server(f"http://127.0.0.1:{sock.getsockname()[1]}", channel, agent, line_api)
    line_api.release.set()
    await running.before_stop()
    running.close()
    await running.wait_closed()
    await running.after_stop()


# ----------------------------------------------------------------------------- webhook bodies
_counter = 0


def event(kind: str, *, user: str | None = USER, event_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A LINE webhook event of ``kind`` with a fresh id and reply token."""
    global _counter
    _counter += 1
    source: dict[str, Any] = {"type": "user"}
    if user is not None:
        source["userId"] = user
    body: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": 1_700_000_000_000 + _counter,
        "source": source,
        "webhookEventId": event_id or f"01HEVENT{_counter:018d}",
        "deliveryContext": {"isRedelivery": False},
    }
    if kind not in ("unfollow", "leave"):
        body["replyToken"] = f"reply-token-{_counter}"
    body.update(fields)
    return body


def text_event(text: str, **kwargs: Any) -> dict[str, Any]:
    return event("message", message={"id": "4680", "type": "text", "quoteToken": "q", "text": text}, **kwargs)


def webhook(*events: dict[str, Any]) -> dict[str, Any]:
    return {"destination": "Ubot0000000000000000000000000000", "events": list(events)}


def expected_messages() -> list[dict[str, Any]]:
    """What DEFAULT_RESPONSES must become: 1 + 1 + 3 text messages, quick replies on the last."""
    return [
        {"type": "text", "text": DEFAULT_RESPONSES[0]["text"]},
        {"type": "text", "text": DEFAULT_RESPONSES[1]["text"]},
        *({"type": "text", "text": piece} for piece in split_text(LONG_TEXT)),
    ]


# ============================================================================= credentials
def test_from_credentials_builds_the_line_channel() -> None:
    channel = LineInput.from_credentials({"channel_secret": SECRET, "channel_access_token": TOKEN})
    assert isinstance(channel, LineInput)
    assert (channel.name(), channel.url_prefix(), channel.api_base) == ("line", "line", DEFAULT_API_BASE)
    custom = LineInput.from_credentials(
        {"channel_secret": SECRET, "channel_access_token": TOKEN, "api_base": "http://127.0.0.1:9/"}
    )
    assert custom.api_base == "http://127.0.0.1:9"
    assert SECRET not in repr(custom) and TOKEN not in repr(custom)


@pytest.mark.parametrize(
    ("credentials", "named"),
    [
        (None, "channel_secret"),
        ({}, "channel_secret"),
        ({"channel_access_token": TOKEN}, "channel_secret"),
        ({"channel_secret": SECRET}, "channel_access_token"),
        ({"channel_secret": "  ", "channel_access_token": TOKEN}, "channel_secret"),
        ({"channel_secret": SECRET, "channel_access_token": None}, "channel_access_token"),
        ({"channel_secret": SECRET, "channel_access_token": TOKEN, "api_base": "ftp://x"}, "api_base"),
    ],
)
def test_from_credentials_refuses_missing_secret_or_token(credentials: dict[str, Any] | None, named: str) -> None:
    with pytest.raises(RasaException, match=named):
        LineInput.from_credentials(credentials)


# ============================================================================= happy path
async def test_signed_text_message_is_handled_and_replied(server: Server) -> None:
    sent = text_event("本番のサーバーが止まっています")
    status, payload = await server.post(webhook(sent))

    assert (status, payload) == (200, {"status": "ok"})
    [message] = server.agent.received
    assert message.text == "本番のサーバーが止まっています"
    assert message.sender_id == USER
    assert message.input_channel == "line"
    assert message.message_id == sent["webhookEventId"]
    assert message.metadata["line_event_type"] == "message"

    [reply] = server.api.calls
    assert reply.path == "/v2/bot/message/reply"
    assert reply.authorization == f"Bearer {TOKEN}"
    assert reply.content_type == "application/json"
    assert reply.body["replyToken"] == sent["replyToken"]
    messages = reply.body["messages"]
    assert [{k: v for k, v in m.items() if k != "quickReply"} for m in messages] == expected_messages()
    assert [("quickReply" in m) for m in messages] == [False, False, False, False, True]
    items = messages[-1]["quickReply"]["items"]
    assert len(items) == 13
    assert items[0] == {
        "type": "action",
        "action": {
            "type": "postback",
            "label": "1. 選択肢その1",
            "data": '/inform_contract{"contract": "c1"}',
            "displayText": "1. 選択肢その1",
        },
    }


async def test_health_route(server: Server) -> None:
    async with aiohttp.ClientSession() as session, session.get(server.url + "/webhooks/line/") as answer:
        assert answer.status == 200
        assert await answer.json() == {"status": "ok"}


async def test_webhook_answers_200_before_the_bot_has_finished(server: Server) -> None:
    server.agent.gate = asyncio.Event()
    status, _ = await server.post(webhook(text_event("急ぎです")), settle=False)
    assert status == 200
    assert server.agent.texts == ["急ぎです"]
    assert server.api.calls == []  # the bot is still "thinking"
    server.agent.gate.set()
    assert await server.channel.wait_until_idle(10)
    assert len(server.api.replies) == 1


async def test_verification_webhook_without_events_is_200(server: Server) -> None:
    assert (await server.post(webhook()))[0] == 200
    assert server.agent.received == [] and server.api.calls == []


# ============================================================================= refused requests
@pytest.mark.parametrize(
    "signature",
    [
        "forged",
        "missing",
        "empty",
        "other body",
        "other secret",
        "non-ascii",
    ],
)
async def test_unauthentic_requests_are_401_and_never_reach_the_bot(server: Server, signature: str) -> None:
    body = json.dumps(webhook(text_event("偽のメッセージ"))).encode()
    header: str | None = {
        "forged": "dGhpcyBpcyBub3QgYSBzaWduYXR1cmUgYXQgYWxsIQ==",
        "missing": None,
        "empty": "",
        "other body": compute_signature(SECRET, body + b" "),
        "other secret": compute_signature(SECRET + "x", body),
        "non-ascii": "署名",
    }[signature]
    status, payload = await server.post(body, signature=header)
    assert status == 401
    assert payload == {"error": "missing signature" if header in (None, "") else "invalid signature"}
    assert server.agent.received == []
    assert server.api.calls == []


async def test_signature_is_checked_before_json_parsing(server: Server) -> None:
    assert (await server.post(b"{not json", signature="AAAA"))[0] == 401
    assert (await server.post(b"{not json"))[0] == 400


def test_signature_helpers() -> None:
    body = b'{"events":[]}'
    good = compute_signature(SECRET, body)
    assert signature_is_valid(SECRET, body, good)
    assert not signature_is_valid(SECRET, body + b"\n", good)
    assert not signature_is_valid(SECRET, body, good[:-2])
    assert not signature_is_valid(SECRET, body, "署名")


async def test_oversized_body_is_413_before_reading(server: Server) -> None:
    pad = "x" * MAX_BODY_BYTES
    body = json.dumps(webhook(text_event("大きすぎる", padding=pad))).encode()
    status, payload = await server.post(body)
    assert status == 413 and "error" in payload
    assert server.agent.received == [] and server.api.calls == []


async def test_declared_oversized_body_is_refused_without_reading_it(server: Server) -> None:
    """Only the headers and 10 bytes are sent: an answer proves the body was not awaited."""
    port = int(server.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /webhooks/line/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'X-Line-Signature: c2lnbmF0dXJl\r\nContent-Length: %d\r\n\r\n{"events":' % (MAX_BODY_BYTES + 1)
    )
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 413")
    assert server.agent.received == []


async def test_oversized_chunked_body_is_413(server: Server) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"events": [], "padding": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    async with (
        aiohttp.ClientSession() as session,
        session.post(
            server.url + "/webhooks/line/webhook", data=chunks(), headers={"X-Line-Signature": "c2ln"}
        ) as answer,
    ):
        assert answer.status == 413
    assert server.agent.received == []


async def test_body_exactly_at_the_limit_is_accepted(server: Server) -> None:
    head = b'{"events": [], "padding": "'
    body = head + b"x" * (MAX_BODY_BYTES - len(head) - 2) + b'"}'
    assert len(body) == MAX_BODY_BYTES
    assert (await server.post(body))[0] == 200


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"\xff\xfe{}",
        b"[]",
        b'"events"',
        b"{}",
        b'{"events": {}}',
        b'{"events": [1]}',
        b'{"events": [{"type": 3}]}',
        b'{"events": [{"type": ""}]}',
        b'{"events": [{"source": {}}]}',
        b'{"destination": 5, "events": []}',
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=lambda body: repr(body[:30]),
)
async def test_malformed_authentic_bodies_are_400(server: Server, body: bytes) -> None:
    status, payload = await server.post(body)
    assert status == 400
    assert "error" in payload
    assert server.agent.received == [] and server.api.calls == []


# ============================================================================= event types
async def test_postback_data_is_sent_as_the_message_text(server: Server) -> None:
    data = '/inform_contract{"contract": "pack5"}'
    sent = event("postback", postback={"data": data})
    assert (await server.post(webhook(sent)))[0] == 200
    assert server.agent.texts == [data]
    assert server.agent.received[0].sender_id == USER
    assert server.api.replies[0].body["replyToken"] == sent["replyToken"]


async def test_follow_greets(server: Server) -> None:
    assert (await server.post(webhook(event("follow", follow={"isUnblocked": False}))))[0] == 200
    assert server.agent.texts == [FOLLOW_PAYLOAD] == ["/greet"]
    assert len(server.api.replies) == 1


@pytest.mark.parametrize("kind", ["unfollow", "join", "leave", "memberJoined", "beacon", "somethingNew"])
async def test_other_events_are_ignored_with_200(server: Server, kind: str) -> None:
    assert (await server.post(webhook(event(kind))))[0] == 200
    assert server.agent.received == [] and server.api.calls == []


@pytest.mark.parametrize(
    "message",
    [
        {"id": "1", "type": "sticker", "packageId": "446", "stickerId": "1988"},
        {"id": "2", "type": "image", "contentProvider": {"type": "line"}},
        {"id": "3", "type": "audio", "duration": 6000},
        {"id": "4", "type": "location", "latitude": 35.6, "longitude": 139.7, "address": "東京都"},
    ],
)
async def test_non_text_messages_get_a_polite_request_for_text(server: Server, message: dict[str, Any]) -> None:
    sent = event("message", message=message)
    assert (await server.post(webhook(sent)))[0] == 200
    assert server.agent.received == []
    [reply] = server.api.calls
    assert reply.body["replyToken"] == sent["replyToken"]
    non_text = channel_text("utter_channel_non_text")
    assert reply.body["messages"] == [{"type": "text", "text": non_text}]
    assert "文章" in non_text and non_text.endswith("ください。")


async def test_incomplete_events_are_skipped_not_refused(server: Server) -> None:
    body = webhook(
        event("message"),  # no message object
        event("message", message={"type": "text"}),  # no text
        event("postback", postback={}),  # no data
        text_event("送り主なし", user=None),  # no source id
        text_event("正常"),
    )
    assert (await server.post(body))[0] == 200
    assert server.agent.texts == ["正常"]


async def test_standby_events_are_ignored(server: Server) -> None:
    assert (await server.post(webhook(text_event("待機中", mode="standby"))))[0] == 200
    assert server.agent.received == [] and server.api.calls == []


async def test_group_without_user_id_falls_back_to_the_group(server: Server) -> None:
    sent = text_event("グループから", user=None, source={"type": "group", "groupId": "Cgroup1"})
    await server.post(webhook(sent))
    assert server.agent.received[0].sender_id == "Cgroup1"
    room = text_event("ルームから", user=None, source={"type": "room", "roomId": "Rroom1"})
    await server.post(webhook(room))
    assert server.agent.received[1].sender_id == "Rroom1"


async def test_group_member_is_the_sender_and_push_goes_to_the_group(server: Server) -> None:
    server.api.reply_status = 400
    sent = text_event("グループ内の人", source={"type": "group", "groupId": "Cgroup1", "userId": USER})
    await server.post(webhook(sent))
    assert server.agent.received[0].sender_id == USER
    assert [call.body["to"] for call in server.api.pushes] == ["Cgroup1"]


# ============================================================================= redelivery, ordering
async def test_redelivered_event_is_processed_once(server: Server) -> None:
    first = text_event("一度だけ処理")
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    assert (await server.post(webhook(first)))[0] == 200
    assert (await server.post(webhook(again)))[0] == 200
    assert (await server.post(webhook(again, text_event("次のメッセージ"))))[0] == 200
    assert server.agent.texts == ["一度だけ処理", "次のメッセージ"]
    assert len(server.api.replies) == 2


def test_dedupe_cache_is_bounded() -> None:
    seen = RecentIds(3)
    assert [seen.add(key) for key in ("a", "b", "c", "a", "d")] == [True, True, True, False, True]
    assert len(seen) == 3
    assert "b" not in seen  # oldest forgotten ("a" was refreshed)
    assert seen.add("b") is True
    with pytest.raises(ValueError):
        RecentIds(0)


async def test_events_of_one_person_are_handled_in_order(server: Server) -> None:
    server.agent.gate = asyncio.Event()
    await server.post(webhook(text_event("一つ目")), settle=False)
    await server.post(webhook(text_event("二つ目"), text_event("三つ目")), settle=False)
    await asyncio.sleep(0.2)
    assert server.agent.texts == ["一つ目"]  # the others wait for their turn
    server.agent.gate.set()
    assert await server.channel.wait_until_idle(10)
    assert server.agent.texts == ["一つ目", "二つ目", "三つ目"]
    assert len(server.api.replies) == 3


# ============================================================================= delivery
def numbered(count: int, *, buttons_at: int | None = None) -> list[dict[str, Any]]:
    responses: list[dict[str, Any]] = [{"text": f"メッセージ{number}です。"} for number in range(1, count + 1)]
    if buttons_at is not None:
        responses[buttons_at - 1]["buttons"] = [{"title": "はい", "payload": "/affirm"}]
    return responses


async def test_more_than_five_messages_reply_five_and_push_the_rest(server: Server) -> None:
    server.agent.responses = numbered(12, buttons_at=7)
    await server.post(webhook(text_event("たくさん")))
    assert [call.path.rsplit("/", 1)[1] for call in server.api.calls] == ["reply", "push", "push"]
    assert [len(call.body["messages"]) for call in server.api.calls] == [5, 5, 2]
    assert all(call.body["to"] == USER for call in server.api.pushes)
    assert all(call.authorization == f"Bearer {TOKEN}" for call in server.api.calls)
    sent = server.api.sent_messages()
    assert [m["text"] for m in sent] == [f"メッセージ{number}です。" for number in range(1, 13)]
    assert [("quickReply" in m) for m in sent] == [False] * 11 + [True]


async def test_expired_reply_token_falls_back_to_push(server: Server) -> None:
    server.api.reply_status = 400
    await server.post(webhook(text_event("遅れて処理")))
    assert [call.path.rsplit("/", 1)[1] for call in server.api.calls] == ["reply", "push"]
    push = server.api.pushes[0]
    assert push.body["to"] == USER and "replyToken" not in push.body
    assert push.body["messages"] == server.api.replies[0].body["messages"]
    assert len(push.body["messages"]) == 5


async def test_expired_reply_token_with_many_messages_pushes_everything(server: Server) -> None:
    server.api.reply_status = 400
    server.agent.responses = numbered(12)
    await server.post(webhook(text_event("たくさん")))
    assert [len(call.body["messages"]) for call in server.api.pushes] == [5, 5, 2]
    assert [m["text"] for call in server.api.pushes for m in call.body["messages"]] == [
        f"メッセージ{number}です。" for number in range(1, 13)
    ]


async def test_api_failures_are_logged_without_credentials_and_never_crash(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.agent.responses = numbered(12)
    server.api.push_status = 500
    await server.post(webhook(text_event("失敗1")))
    assert [call.path.rsplit("/", 1)[1] for call in server.api.calls] == ["reply", "push"]  # stops at the failure

    server.api.calls.clear()
    server.api.reply_status = 500
    await server.post(webhook(text_event("失敗2")))
    assert [call.path.rsplit("/", 1)[1] for call in server.api.calls] == ["reply"]  # no duplicate by push

    server.api.calls.clear()
    server.api.reply_status = 200
    server.api.push_status = 200
    await server.post(webhook(text_event("成功")))
    assert [len(call.body["messages"]) for call in server.api.calls] == [5, 5, 2]

    assert "push failed" in caplog.text and "reply failed" in caplog.text
    assert TOKEN not in caplog.text and SECRET not in caplog.text


async def test_a_hanging_line_api_times_out(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server.channel.request_timeout = 0.3
    server.api.hang = True
    started = asyncio.get_running_loop().time()
    await server.post(webhook(text_event("応答なし")))
    assert asyncio.get_running_loop().time() - started < 5
    assert len(server.api.calls) == 1
    assert "did not answer within 0.3 s" in caplog.text
    assert TOKEN not in caplog.text


async def test_unreachable_line_api_is_logged(agent: FakeAgent, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there
    channel = LineInput(SECRET, TOKEN, f"http://127.0.0.1:{port}", request_timeout=2.0)
    await channel.deliver("reply-token", USER, [{"type": "text", "text": "届かない"}])
    assert "request failed (ClientConnectorError)" in caplog.text
    assert TOKEN not in caplog.text


async def test_assistant_error_gets_an_apology(server: Server) -> None:
    server.agent.fail = True
    assert (await server.post(webhook(text_event("壊れる"))))[0] == 200
    [reply] = server.api.calls
    assert reply.body["messages"] == [{"type": "text", "text": channel_text("utter_channel_error")}]


async def test_messages_rasa_sends_on_its_own_are_pushed(server: Server) -> None:
    output = server.channel.get_output_channel()
    assert output is not None and output.name() == "line"
    reminder = {"text": "リマインダーです。", "buttons": [{"title": "了解", "payload": "/affirm"}]}
    await output.send_response(USER, reminder)
    [push] = server.api.calls
    assert push.path == "/v2/bot/message/push" and push.body["to"] == USER
    assert push.body["messages"][0]["text"] == "リマインダーです。"
    assert push.body["messages"][0]["quickReply"]["items"][0]["action"]["data"] == "/affirm"


# ============================================================================= quick replies
def test_quick_replies_keep_the_first_13_buttons() -> None:
    items = quick_reply_items(FIFTEEN_BUTTONS)
    assert len(items) == 13
    assert [item["action"]["data"] for item in items] == [button["payload"] for button in FIFTEEN_BUTTONS[:13]]
    assert all(item["type"] == "action" and item["action"]["type"] == "postback" for item in items)


def test_quick_reply_labels_are_at_most_20_characters() -> None:
    title = "ご契約の種類がわからないので担当者に確認したい"  # 23 characters
    [item] = quick_reply_items([{"title": title, "payload": "/request_human"}])
    action = item["action"]
    assert len(action["label"]) == 20
    assert action["label"] == title[:19] + "…"
    assert action["displayText"] == title
    [short] = quick_reply_items([{"title": "はい", "payload": "/affirm"}])
    assert short["action"]["label"] == "はい"
    [emoji] = quick_reply_items([{"title": "😀" * 25, "payload": "/affirm"}])
    assert emoji["action"]["label"] == "😀" * 19 + "…"
    [combining] = quick_reply_items([{"title": "a" * 18 + "e\u0301x", "payload": "/x"}])
    assert combining["action"]["label"] == "a" * 18 + "…"  # no accent torn from its letter


def test_quick_reply_data_is_at_most_300_characters_and_never_cut() -> None:
    fits = "/inform" + json.dumps({"note": "あ" * 270}, ensure_ascii=False)
    assert len(fits) <= 300
    too_long = "/inform" + json.dumps({"note": "あ" * 300}, ensure_ascii=False)
    items = quick_reply_items(
        [
            {"title": "そのまま", "payload": fits},
            {"title": "タイトルで代用", "payload": too_long},
            {"title": "長" * 301, "payload": too_long},  # nothing usable: dropped
            {"title": "", "payload": ""},  # dropped
            {"title": "ペイロードなし"},
        ]
    )
    assert [item["action"]["data"] for item in items] == [fits, "タイトルで代用", "ペイロードなし"]
    assert all(utf16_len(item["action"]["data"]) <= 300 for item in items)
    assert all(len(item["action"]["displayText"]) <= 300 for item in items)


async def test_quick_replies_go_on_the_last_message_even_after_later_text(server: Server) -> None:
    server.agent.responses = [
        {"text": "質問です。", "buttons": [{"title": f"選択{n}", "payload": f"/choose{n}"} for n in range(20)]},
        {"text": "補足です。"},
    ]
    await server.post(webhook(text_event("ボタン")))
    messages = server.api.calls[0].body["messages"]
    assert "quickReply" not in messages[0]
    assert len(messages[1]["quickReply"]["items"]) == 13


async def test_buttons_without_text_still_carry_their_quick_replies(server: Server) -> None:
    server.agent.responses = [{"buttons": [{"title": "はい", "payload": "/affirm"}]}]
    await server.post(webhook(text_event("ボタンだけ")))
    [message] = server.api.calls[0].body["messages"]
    assert message["text"] and message["quickReply"]["items"][0]["action"]["data"] == "/affirm"


# ============================================================================= long texts
def test_long_text_splits_after_sentences() -> None:
    pieces = split_text(LONG_TEXT)
    assert len(LONG_TEXT) == 12_000
    assert [len(piece) for piece in pieces] == [4995, 4995, 2010]
    assert all(piece.endswith("。") for piece in pieces)
    assert "".join(pieces) == LONG_TEXT


def test_long_text_prefers_line_breaks() -> None:
    text = "あ" * 2990 + "\n" + "い" * 1000 + "。" + "う" * 3000
    assert split_text(text) == ["あ" * 2990, "い" * 1000 + "。" + "う" * 3000]


def test_long_text_without_boundaries_is_cut_at_the_limit() -> None:
    text = "x" * 12_000
    assert [len(piece) for piece in split_text(text)] == [5000, 5000, 2000]


def test_long_text_never_splits_a_surrogate_pair() -> None:
    text = "a" * 4999 + "😀" + "b" * 10
    pieces = split_text(text)
    assert pieces == ["a" * 4999, "😀" + "b" * 10]
    emoji = split_text("😀" * 3000)  # 6,000 UTF-16 code units
    assert [len(piece) for piece in emoji] == [2500, 500]
    assert all(utf16_len(piece) <= 5000 for piece in emoji)
    for piece in pieces + emoji:
        piece.encode("utf-16-le")


def test_long_text_keeps_combining_marks_with_their_letter() -> None:
    text = "a" * 4999 + "e\u0301" + "z"
    assert split_text(text) == ["a" * 4999, "e\u0301z"]


def test_short_and_empty_texts() -> None:
    assert split_text("  こんにちは。\n") == ["こんにちは。"]
    assert split_text("") == split_text(" \n ") == []
    assert split_text("一行目\n二行目") == ["一行目\n二行目"]


async def test_long_bot_text_arrives_in_pieces_within_the_limit(server: Server) -> None:
    server.agent.responses = [{"text": LONG_TEXT}]
    await server.post(webhook(text_event("長文")))
    texts = [message["text"] for message in server.api.calls[0].body["messages"]]
    assert len(texts) == 3
    assert all(utf16_len(text) <= 5000 for text in texts)
    assert "".join(texts) == LONG_TEXT
