"""Teams and LINE against the real assistant: a Rasa server started with the channels
enabled by scripts/credentials.py, Microsoft's and LINE's endpoints replaced by a
local stub (OpenID metadata + signing keys, token endpoint, Bot Connector, LINE API).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.live import INSIDE_HOURS, ROOT, Desk, free_port, http

APP_ID = "0b7c4d1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e"
TENANT = "5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b"
LINE_SECRET = "line-channel-secret-for-tests"
KID = "test-key-1"


class Stub(ThreadingHTTPServer):
    """Records every outbound call the channels make."""

    def __init__(self, jwk: dict[str, Any]) -> None:
        super().__init__(("127.0.0.1", free_port()), StubHandler)
        self.jwk = jwk
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_for(self, path_part: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [body for path, body in self.calls if path_part in path]
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError(f"no {count} call(s) to {path_part}: {self.calls}")


class StubHandler(BaseHTTPRequestHandler):
    server: Stub

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, payload: Any, status: int = 200) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/openid":
            self._json({"issuer": "https://api.botframework.com", "jwks_uri": f"{self.server.base}/keys"})
        elif self.path == "/keys":
            self._json({"keys": [self.server.jwk]})
        else:
            self._json({}, 404)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/oauth2/v2.0/token"):
            body: dict[str, Any] = {"form": raw.decode()}
            with self.server.lock:
                self.server.calls.append((self.path, body))
            self._json({"token_type": "Bearer", "expires_in": 3600, "access_token": "stub-token"})
            return
        body = json.loads(raw or b"{}")
        with self.server.lock:
            self.server.calls.append((self.path, body))
        self._json({"id": "activity-1"} if "/v3/" in self.path else {})


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def stub(signing_key: rsa.RSAPrivateKey) -> Iterator[Stub]:
    jwk = json.loads(RSAAlgorithm.to_jwk(signing_key.public_key()))
    jwk.update({"kid": KID, "use": "sig", "endorsements": ["msteams"]})
    server = Stub(jwk)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def desk(model_path: str, stub: Stub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("channels")
    env = {
        "TEAMS_APP_ID": APP_ID,
        "TEAMS_APP_PASSWORD": "stub-client-secret",
        "TEAMS_TENANT_ID": TENANT,
        "TEAMS_LOGIN_BASE": stub.base,
        "TEAMS_OPENID_METADATA_URL": f"{stub.base}/openid",
        "LINE_CHANNEL_SECRET": LINE_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": "line-access-token",
        "LINE_API_BASE": stub.base,
    }
    credentials = tmp / "credentials.yml"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts/credentials.py"), str(credentials)],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    running = Desk(INSIDE_HOURS, tmp, credentials=str(credentials))
    try:
        running.start(model_path)
        running.wait_ready()
        yield running
    finally:
        running.stop()


# ---------------------------------------------------------------- LINE
def line_post(desk: Desk, events: list[dict[str, Any]], secret: str = LINE_SECRET) -> int:
    body = json.dumps({"destination": "Ubot", "events": events}, ensure_ascii=False).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    request = urllib.request.Request(
        f"{desk.url}/webhooks/line/webhook",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Line-Signature": signature},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def line_event(kind: str, token: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": "U-live-1"},
        "webhookEventId": f"ev-{token}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": token,
        **fields,
    }


def test_line_conversation_with_quick_replies(desk: Desk, stub: Stub) -> None:
    text = {"type": "text", "id": "m1", "text": "一部の部署だけファイルサーバーにアクセスできません"}
    assert line_post(desk, [line_event("message", "rt-1", message=text)]) == 200
    reply = stub.wait_for("/v2/bot/message/reply", 1)[0]
    assert reply["replyToken"] == "rt-1"
    last = reply["messages"][-1]
    assert "深刻度B" in "".join(m.get("text", "") for m in reply["messages"])
    items = last["quickReply"]["items"]
    assert items[0]["action"] == {
        "type": "postback",
        "label": items[0]["action"]["label"],
        "data": "/affirm",
        "displayText": "1. はい、この内容で合っています",
    }
    assert all(len(i["action"]["label"]) <= 20 for i in items)
    # the quick-reply click comes back as a postback and continues the triage
    assert line_post(desk, [line_event("postback", "rt-2", postback={"data": "/affirm"})]) == 200
    second = stub.wait_for("/v2/bot/message/reply", 2)[1]
    assert "ご契約" in "".join(m.get("text", "") for m in second["messages"])


def test_line_forged_signature_is_refused(desk: Desk, stub: Stub) -> None:
    text = {"type": "text", "id": "m9", "text": "こんにちは"}
    assert line_post(desk, [line_event("message", "rt-forged", message=text)], secret="wrong-secret") == 401


# ---------------------------------------------------------------- Teams
def teams_token(key: rsa.RSAPrivateKey, service_url: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": now + 600, "nbf": now - 60}
    claims["serviceurl"] = service_url
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


def teams_activity(service_url: str, text: str, value: dict[str, Any] | None = None) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": "message",
        "id": f"act-{time.time_ns()}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:live-user", "aadObjectId": "aad-live-user", "name": "利用者"},
        "conversation": {"id": "a:live-conversation", "conversationType": "personal", "tenantId": TENANT},
        "recipient": {"id": f"28:{APP_ID}", "name": "受付ボット"},
        "text": text,
        "locale": "ja-JP",
    }
    if value is not None:
        activity["value"] = value
    return activity


def activity_text(activity: dict[str, Any]) -> str:
    """The activity's text and its cards' text (a message with buttons is a Hero card)."""
    cards = [str((a.get("content") or {}).get("text") or "") for a in activity.get("attachments") or []]
    return "".join([str(activity.get("text") or ""), *cards])


def teams_post(desk: Desk, activity: dict[str, Any], token: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"{desk.url}/webhooks/teams/webhook",
        data=json.dumps(activity, ensure_ascii=False).encode(),
        method="POST",
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_teams_conversation_with_card_buttons(desk: Desk, stub: Stub, signing_key: rsa.RSAPrivateKey) -> None:
    service_url = stub.base
    token = teams_token(signing_key, service_url)
    assert teams_post(desk, teams_activity(service_url, "一部のユーザーだけTeamsの会議に参加できません"), token) == 200
    posted = stub.wait_for("/v3/conversations/", 1)
    assert any("深刻度B" in activity_text(a) for a in posted)
    card = next(a for a in posted if a.get("attachments"))["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.hero"
    first = card["content"]["buttons"][0]
    assert first["type"] == "messageBack" and first["value"] == {"payload": "/affirm"}
    # the token for replies came from the app's own tenant (single-tenant app)
    token_calls = [path for path, _ in stub.calls if path.endswith("/oauth2/v2.0/token")]
    assert token_calls and token_calls[0] == f"/{TENANT}/oauth2/v2.0/token"
    # clicking the button: Teams sends a message whose value carries the payload
    click = teams_activity(service_url, "1. はい、この内容で合っています", value={"payload": "/affirm"})
    assert teams_post(desk, click, teams_token(signing_key, service_url)) == 200
    later = stub.wait_for("/v3/conversations/", len(posted) + 1)
    assert any("ご契約" in activity_text(a) for a in later[len(posted) :])


def test_teams_requests_without_a_valid_token_are_refused(
    desk: Desk, stub: Stub, signing_key: rsa.RSAPrivateKey
) -> None:
    activity = teams_activity(stub.base, "こんにちは")
    assert teams_post(desk, activity, None) == 401
    assert teams_post(desk, activity, teams_token(signing_key, stub.base, exp=int(time.time()) - 3600)) == 401
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert teams_post(desk, activity, teams_token(other, stub.base)) == 401


def test_the_rest_channel_still_works_next_to_them(desk: Desk) -> None:
    assert http("GET", f"{desk.url}/webhooks/rest/")[0] == 200
