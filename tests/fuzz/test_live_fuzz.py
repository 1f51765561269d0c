"""A smaller pass against the real assistant: ``rasa run`` with REST, socket.io, Teams
and LINE enabled by scripts/credentials.py (Microsoft's and LINE's endpoints replaced by
the local stub of tests/e2e/test_channels_live.py), the trained model and the action
server. Same properties as in process: 4xx or a polite Japanese reply, never a 5xx or
a hang; forged requests produce no reply; the server keeps serving."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.e2e import test_channels_live as channels_live
from tests.e2e.test_channels_live import LINE_SECRET, Stub, line_event, teams_activity, teams_token
from tests.fuzz.conftest import LIVE_EXAMPLES, TRIED
from tests.fuzz.harness import JAPANESE, assert_4xx_or_200, assert_japanese_replies
from tests.fuzz.strategies import dumps, hostile_texts, raw_bodies
from tests.live import Desk

# The live channel test's module-scoped fixtures (stubbed Microsoft/LINE endpoints, the
# signing key and the desk with Teams and LINE enabled), reused by name in this module.
signing_key = channels_live.signing_key
stub = channels_live.stub
desk = channels_live.desk

pytestmark = [pytest.mark.live, pytest.mark.model]
live = settings(max_examples=LIVE_EXAMPLES)
TIMEOUT = 60


def send(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return int(answer.status), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode("utf-8", "replace")


def rest_check(status: int, text: str, what: object) -> None:
    assert_4xx_or_200(status, text, what)
    if status == 200:
        assert_japanese_replies([str(r.get("text") or "") for r in json.loads(text) if r.get("text")], what)


@live
@given(
    body=st.one_of(
        raw_bodies, st.builds(lambda t: dumps({"sender": "fuzz", "message": t}, ascii_only=False), hostile_texts)
    )
)
def test_rest(desk: Desk, body: bytes) -> None:
    TRIED["rest (live)"] += 1
    status, text = send(f"{desk.url}/webhooks/rest/webhook", body)
    rest_check(status, text, body)


@live
@given(text=hostile_texts)
def test_socketio_websocket_always_answers_in_japanese(desk: Desk, text: str) -> None:
    TRIED["socket.io (live)"] += 1

    async def exchange() -> list[str]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session:
            ws = await session.ws_connect(desk.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket")
            assert (await ws.receive_str(timeout=10)).startswith("0")
            await ws.send_str("40")
            assert (await ws.receive_str(timeout=10)).startswith("40")
            # As the widget does with session persistence: join the session's room first,
            # or the replies (sent to the session id) never reach this socket.
            session_id = f"fuzz-{time.time_ns()}"
            await ws.send_str("42" + json.dumps(["session_request", {"session_id": session_id}]))
            confirm_deadline = time.monotonic() + 10
            while True:
                left = confirm_deadline - time.monotonic()
                assert left > 0, "no session_confirm within 10 s"
                frame = await ws.receive_str(timeout=left)
                if frame.startswith("42") and json.loads(frame[2:])[0] == "session_confirm":
                    break
            payload = {"message": text, "session_id": session_id}
            await ws.send_str("42" + json.dumps(["user_uttered", payload]))
            replies: list[str] = []
            # One deadline for the whole wait: engine.io pings every 25 s would otherwise
            # keep a per-frame timeout from ever firing when no reply comes.
            deadline = time.monotonic() + TIMEOUT
            while not replies:
                left = deadline - time.monotonic()
                assert left > 0, f"no bot_uttered with text within {TIMEOUT} s for {text!r}"
                frame = await ws.receive_str(timeout=left)
                if frame == "2":
                    await ws.send_str("3")
                elif frame.startswith("42"):
                    event, data = json.loads(frame[2:])[:2]
                    if event == "bot_uttered" and isinstance(data, dict) and data.get("text"):
                        replies.append(str(data["text"]))
            await ws.close()
            return replies

    replies = asyncio.run(exchange())
    assert_japanese_replies(replies, text)


@live
@given(body=raw_bodies)
def test_socketio_long_polling(desk: Desk, body: bytes) -> None:
    TRIED["socket.io (live)"] += 1
    with urllib.request.urlopen(f"{desk.url}/socket.io/?EIO=4&transport=polling", timeout=TIMEOUT) as answer:
        sid = json.loads(answer.read().decode()[1:])["sid"]
    status, text = send(f"{desk.url}/socket.io/?EIO=4&transport=polling&sid={sid}", body)
    assert_4xx_or_200(status, text, body)


@live
@given(data=st.data())
def test_teams_forged_tokens_and_hostile_activities(
    desk: Desk, stub: Stub, signing_key: rsa.RSAPrivateKey, data: st.DataObject
) -> None:
    TRIED["teams (live)"] += 1
    attacker = _attacker_key()
    text = data.draw(hostile_texts, label="text")
    activity = teams_activity(stub.base, text)
    body = data.draw(st.one_of(raw_bodies, st.just(dumps(activity, ascii_only=True))), label="body")
    forged = data.draw(
        st.sampled_from(
            [
                teams_token(attacker, stub.base),
                teams_token(signing_key, stub.base, aud="another-bot"),
                teams_token(signing_key, stub.base, exp=int(time.time()) - 3600),
                "not.a.token",
            ]
        ),
        label="forged",
    )
    posts_before = _connector_posts(stub)
    status, text_answer = send(f"{desk.url}/webhooks/teams/webhook", body, {"Authorization": f"Bearer {forged}"})
    assert_4xx_or_200(status, text_answer, body)
    assert status in (400, 401, 413)
    status, text_answer = send(
        f"{desk.url}/webhooks/teams/webhook", body, {"Authorization": f"Bearer {teams_token(signing_key, stub.base)}"}
    )
    assert_4xx_or_200(status, text_answer, body)
    if status == 200 and body.startswith(b"{") and b'"type": "message"' in body:
        posted = stub.wait_for("/v3/conversations/", posts_before + 1, timeout=TIMEOUT)
        assert any(JAPANESE.search(json.dumps(p, ensure_ascii=False)) for p in posted[posts_before:])


@live
@given(data=st.data())
def test_line_forged_signed_and_replayed(desk: Desk, stub: Stub, data: st.DataObject) -> None:
    TRIED["line (live)"] += 3
    text = data.draw(hostile_texts, label="text")
    token = f"rt-fuzz-{time.time_ns()}"
    event = line_event("message", token, message={"type": "text", "id": "m", "text": text})
    body = data.draw(st.one_of(raw_bodies, st.just(dumps({"events": [event]}, ascii_only=False))), label="body")
    url = f"{desk.url}/webhooks/line/webhook"
    forged = base64.b64encode(hmac.new(b"wrong-secret", body, hashlib.sha256).digest()).decode()
    status, _ = send(url, body, {"X-Line-Signature": forged})
    assert status in (401, 413)
    signature = base64.b64encode(hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    first, answer = send(url, body, {"X-Line-Signature": signature})
    assert_4xx_or_200(first, answer, body)
    second, _ = send(url, body, {"X-Line-Signature": signature})  # replayed: same events, same ids
    assert second == first
    if first == 200 and b'"events"' in body:
        replies = stub.wait_for("/v2/bot/message/reply", 1, timeout=TIMEOUT)
        ours = [r for r in _replies(stub) if r.get("replyToken") == token]
        deadline = time.monotonic() + TIMEOUT
        while not ours and time.monotonic() < deadline:
            time.sleep(0.2)
            ours = [r for r in _replies(stub) if r.get("replyToken") == token]
        assert replies and len(ours) == 1, ours  # answered once, the replay dropped
        assert JAPANESE.search(json.dumps(ours[0], ensure_ascii=False))


def test_still_serving_after_the_fuzzing(desk: Desk) -> None:
    replies = desk.say(desk.new_sender(), "こんにちは")
    assert replies and JAPANESE.search(str(replies[0].get("text")))


_ATTACKER: list[rsa.RSAPrivateKey] = []


def _attacker_key() -> rsa.RSAPrivateKey:
    if not _ATTACKER:
        _ATTACKER.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _ATTACKER[0]


def _connector_posts(stub: Stub) -> int:
    with stub.lock:
        return sum(1 for path, _ in stub.calls if "/v3/conversations/" in path)


def _replies(stub: Stub) -> list[dict[str, Any]]:
    with stub.lock:
        return [body for path, body in stub.calls if path.endswith("/v2/bot/message/reply")]
