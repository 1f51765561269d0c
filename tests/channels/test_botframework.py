"""The Teams (Bot Framework) channel against local stand-ins for Microsoft's services.

Three aiohttp servers on 127.0.0.1 play the Bot Framework OpenID metadata + JWKS
endpoint, the Microsoft identity platform token endpoint and the Bot Connector (which
records every activity the bot posts). The channel's blueprint is mounted the way
``rasa run`` mounts it (``rasa.core.channels.channel.register``) on a real Sanic
server, with a fake agent that answers every message with a text and a text with
buttons. Tokens are signed with RSA keys generated here; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from rasa.core.channels.channel import register
from rasa.shared.exceptions import RasaException
from sanic import Sanic

from channels.botframework import (
    BOTFRAMEWORK_OPENID_METADATA_URL,
    CLOCK_SKEW_SECONDS,
    HERO_CARD,
    JWKS_TTL_SECONDS,
    MAX_BODY_BYTES,
    UNKNOWN_KID_REFETCH_INTERVAL_SECONDS,
    TeamsInput,
    TeamsOutput,
    card_action,
    to_teams_xml,
)
from channels.limits import MAX_MESSAGE_CHARS, TOO_LONG_RESPONSE
from channels.texts import channel_text

APP_ID = "2f3c8e52-6b1a-4c7e-9d0f-5a4b3c2d1e0f"
APP_PASSWORD = "Qx8~s3cr3t.Value_never-logged"
TENANT_ID = "8a1f4b2c-3d5e-4f60-a7b8-c9d0e1f2a3b4"
ISSUER = "https://api.botframework.com"
BOT = {"id": f"28:{APP_ID}", "name": "サポート受付"}
USER = {"id": "29:1kR8wYx-user-yamada", "name": "山田 太郎", "aadObjectId": "6d1f0a3e-9b2c-4e5f-8a7b-1c2d3e4f5a6b"}
PERSONAL_CONVERSATION = {
    "conversationType": "personal",
    "tenantId": TENANT_ID,
    "id": "a:1Gx7b-personal-conversation-yamada",
}
CHANNEL_CONVERSATION = {
    "isGroup": True,
    "conversationType": "channel",
    "tenantId": TENANT_ID,
    "id": "19:4f0c8d1e2b3a@thread.tacv2;messageid=1764334800123",
}
PROBLEM = "本番のSQL Serverが落ちて、全社の受注業務が止まっています"
FORBIDDEN_PORTS = {5005, 5055, 5105, 5155, *range(5200, 5300)}
BUTTONS = [
    {"title": "1. 業務が止まっている・多くの人が使えない", "payload": '/choose_severity{"severity": "A"}'},
    {"title": "2. 一部に影響があるが業務は続けられる", "payload": '/choose_severity{"severity": "B"}'},
]


_activity_ids = itertools.count(1764334800123)


def next_activity_id() -> str:
    return str(next(_activity_ids))


def bound_socket() -> socket.socket:
    """A listening-ready socket on a free 127.0.0.1 port outside the project's ports."""
    while True:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        if sock.getsockname()[1] not in FORBIDDEN_PORTS:
            return sock
        sock.close()


class FakeClock:
    """The channel's monotonic clock (key and token caches), moved by hand."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class SigningKeyPair:
    kid: str
    private_pem: bytes
    jwk: dict[str, Any]


def make_key(kid: str, endorsements: list[str] | None = None) -> SigningKeyPair:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    jwk = json.loads(str(RSAAlgorithm.to_jwk(private.public_key())))
    jwk.update({"kid": kid, "use": "sig", "x5t": kid, "endorsements": endorsements or ["msteams", "webchat"]})
    return SigningKeyPair(kid, pem, jwk)


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKeyPair]:
    return {
        "current": make_key("bf-key-1"),
        "rotated": make_key("bf-key-2"),
        "attacker": make_key("bf-key-1"),  # same kid as the real key, other private key
        "skype_only": make_key("bf-key-skype", ["skype"]),
    }


# ----------------------------------------------------------------------------- stubs


@dataclass
class Stubs:
    """State of the local Microsoft stand-ins."""

    jwks: list[dict[str, Any]] = field(default_factory=list)
    metadata_status: int = 200
    metadata_hits: int = 0
    jwks_hits: int = 0
    token_status: int = 200
    token_expires_in: int = 3599
    token_requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    connector_failures: list[int] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)
    rejected_posts: int = 0
    openid_base: str = ""
    login_base: str = ""
    connector_base: str = ""


async def start_app(stack: AsyncExitStack, app: web.Application) -> str:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    sock = bound_socket()
    await web.SockSite(runner, sock).start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def start_stubs(stack: AsyncExitStack, stubs: Stubs) -> None:
    async def metadata(request: web.Request) -> web.Response:
        stubs.metadata_hits += 1
        if stubs.metadata_status != 200:
            return web.json_response({"error": "unavailable"}, status=stubs.metadata_status)
        return web.json_response(
            {
                "issuer": ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": f"{stubs.openid_base}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def jwks(request: web.Request) -> web.Response:
        stubs.jwks_hits += 1
        return web.json_response({"keys": stubs.jwks})

    openid = web.Application()
    openid.router.add_get("/v1/.well-known/openidconfiguration", metadata)
    openid.router.add_get("/v1/.well-known/keys", jwks)
    stubs.openid_base = await start_app(stack, openid)

    async def token(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        stubs.token_requests.append((request.match_info["tenant"], form))
        if stubs.token_status != 200:
            return web.json_response(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                    "error_codes": [7000215],
                },
                status=stubs.token_status,
            )
        issued = f"bf-access-token-{len(stubs.issued) + 1}"
        stubs.issued.append(issued)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": stubs.token_expires_in,
                "ext_expires_in": stubs.token_expires_in,
                "access_token": issued,
            }
        )

    login = web.Application()
    login.router.add_post("/{tenant}/oauth2/v2.0/token", token)
    stubs.login_base = await start_app(stack, login)

    async def connector(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        bearer = auth.removeprefix("Bearer ")
        if bearer not in stubs.issued or bearer in stubs.revoked:
            stubs.rejected_posts += 1
            return web.json_response({"error": {"code": "Unauthorized", "message": "token rejected"}}, status=401)
        if stubs.connector_failures:
            stubs.rejected_posts += 1
            status = stubs.connector_failures.pop(0)
            return web.json_response(
                {"error": {"code": "ServiceError", "message": f"stub failure {status}"}},
                status=status,
                headers={"Retry-After": "0"},
            )
        stubs.posts.append({"raw_path": request.raw_path, "authorization": auth, "activity": await request.json()})
        return web.json_response({"id": f"1:{uuid.uuid4().hex}"}, status=201)

    connector_app = web.Application()
    connector_app.router.add_post("/{tail:.*}", connector)
    stubs.connector_base = await start_app(stack, connector_app)


# ---------------------------------------------------------------------- the bot side


class FakeAgent:
    """Stands in for ``app.ctx.agent``: records messages and answers through the channel."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.gate: asyncio.Event | None = None

    async def handle_message(self, message: Any) -> None:
        self.messages.append(message)
        if self.gate is not None:
            await self.gate.wait()
        out = message.output_channel
        await out.send_response(message.sender_id, {"text": f"受付しました: {message.text}\n<担当> & 次の行"})
        await out.send_response(
            message.sender_id, {"text": "業務への影響を選んでください。", "buttons": [dict(b) for b in BUTTONS]}
        )


@dataclass
class Env:
    stubs: Stubs
    channel: TeamsInput
    agent: FakeAgent
    clock: FakeClock
    keys: dict[str, SigningKeyPair]
    url: str
    http: aiohttp.ClientSession

    @property
    def service_url(self) -> str:
        return f"{self.stubs.connector_base}/amer/"

    def token(
        self,
        key: str = "current",
        *,
        kid: str | None = None,
        aud: str = APP_ID,
        iss: str = ISSUER,
        exp: int = 3600,
        nbf: int = -60,
        service_url: str | None = "",
        algorithm: str = "RS256",
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": iss, "aud": aud, "exp": now + exp, "nbf": now + nbf}
        if service_url is not None:
            claims["serviceurl"] = service_url or self.service_url
        pair = self.keys[key]
        signing_key: Any = pair.private_pem if algorithm.startswith("RS") else "shared-secret"
        if algorithm == "none":
            signing_key = None
        return jwt.encode(claims, signing_key, algorithm=algorithm, headers={"kid": kid or pair.kid})

    async def post(self, body: Any, token: str | None = "default", raw: bytes | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if token == "default":
            token = self.token()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        async with self.http.post(f"{self.url}/webhooks/teams/webhook", data=data, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def settle(self) -> None:
        await asyncio.wait_for(self.channel.wait_idle(), 10)

    def message(self, text: str = PROBLEM, **extra: Any) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "text": text,
            "textFormat": "plain",
            "type": "message",
            "timestamp": "2026-11-28T13:00:00.1234567Z",
            "localTimestamp": "2026-11-28T22:00:00.1234567+09:00",
            "id": next_activity_id(),  # every activity has its own id (a repeated one is a replay)
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": dict(USER),
            "conversation": dict(PERSONAL_CONVERSATION),
            "recipient": dict(BOT),
            "entities": [
                {
                    "locale": "ja-JP",
                    "country": "JP",
                    "platform": "Windows",
                    "timezone": "Asia/Tokyo",
                    "type": "clientInfo",
                }
            ],
            "channelData": {"tenant": {"id": TENANT_ID}},
            "locale": "ja-JP",
            "localTimezone": "Asia/Tokyo",
        }
        activity.update(extra)
        return activity

    def members_added(
        self, members: list[dict[str, Any]], conversation: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "membersAdded": members,
            "type": "conversationUpdate",
            "timestamp": "2026-11-28T13:00:00.000Z",
            "id": "f:5a0c1d2e-3f40-4b5c-8d6e-7f8091a2b3c4",
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": dict(USER),
            "conversation": dict(conversation or PERSONAL_CONVERSATION),
            "recipient": dict(BOT),
            "channelData": {"tenant": {"id": TENANT_ID}},
        }
        activity.update(extra)
        return activity


async def start_env(stack: AsyncExitStack, keys: dict[str, SigningKeyPair], tenant_id: str | None) -> Env:
    stubs = Stubs(jwks=[keys["current"].jwk, keys["skype_only"].jwk])
    await start_stubs(stack, stubs)
    clock = FakeClock()
    channel = TeamsInput(
        APP_ID,
        APP_PASSWORD,
        tenant_id=tenant_id,
        login_base=stubs.login_base,
        openid_metadata_url=f"{stubs.openid_base}/v1/.well-known/openidconfiguration",
        clock=clock,
    )
    agent = FakeAgent()
    app = Sanic(f"teams_test_{uuid.uuid4().hex}", configure_logging=False)
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    sock = bound_socket()
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()

    async def stop() -> None:
        if agent.gate is not None:
            agent.gate.set()  # never leave a turn blocked, even when a test failed
        await asyncio.wait_for(channel.wait_idle(), 10)
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()

    stack.push_async_callback(stop)
    http = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)))
    return Env(stubs, channel, agent, clock, keys, f"http://127.0.0.1:{port}", http)


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    # Sanic 21.12 rewrites its HTTP classes at every app start; in test mode it starts
    # from the originals, so several apps can run in one process (as sanic-testing does).
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
async def env(keys: dict[str, SigningKeyPair]) -> AsyncIterator[Env]:
    """Multi-tenant bot (no tenant_id)."""
    async with AsyncExitStack() as stack:
        yield await start_env(stack, keys, None)


@pytest.fixture
async def single_tenant_env(keys: dict[str, SigningKeyPair]) -> AsyncIterator[Env]:
    async with AsyncExitStack() as stack:
        yield await start_env(stack, keys, TENANT_ID)


def hero_buttons(activity: dict[str, Any]) -> list[dict[str, Any]]:
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == HERO_CARD
    return list(attachment["content"]["buttons"])


# --------------------------------------------------------------------- credentials


@pytest.mark.parametrize(
    ("credentials", "missing"),
    [
        (None, "'app_id' and 'app_password'"),
        ({}, "'app_id' and 'app_password'"),
        ({"app_id": APP_ID}, "'app_password'"),
        ({"app_password": APP_PASSWORD}, "'app_id'"),
        ({"app_id": "  ", "app_password": APP_PASSWORD}, "'app_id'"),
        ({"app_id": APP_ID, "app_password": None}, "'app_password'"),
    ],
)
def test_from_credentials_names_what_is_missing(credentials: dict[str, Any] | None, missing: str) -> None:
    with pytest.raises(RasaException, match=f"'teams' channel needs {missing} in credentials.yml"):
        TeamsInput.from_credentials(credentials)


def test_from_credentials_builds_the_token_endpoint_for_the_app_type() -> None:
    multi = TeamsInput.from_credentials({"app_id": APP_ID, "app_password": APP_PASSWORD})
    assert multi.token_url == "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
    assert multi.keys.metadata_url == BOTFRAMEWORK_OPENID_METADATA_URL
    single = TeamsInput.from_credentials({"app_id": APP_ID, "app_password": APP_PASSWORD, "tenant_id": TENANT_ID})
    assert single.token_url == f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"
    local = TeamsInput.from_credentials(
        {
            "app_id": APP_ID,
            "app_password": APP_PASSWORD,
            "login_base": "http://127.0.0.1:9/",
            "openid_metadata_url": "http://localhost:9/meta",
        }
    )
    assert local.token_url == "http://127.0.0.1:9/botframework.com/oauth2/v2.0/token"
    assert local.keys.metadata_url == "http://localhost:9/meta"
    assert TeamsInput.name() == "teams" and multi.url_prefix() == "teams"


@pytest.mark.parametrize(
    "extra",
    [{"tenant_id": "../common"}, {"login_base": "http://login.example.com"}, {"openid_metadata_url": "ftp://x/y"}],
)
def test_from_credentials_rejects_unsafe_endpoints(extra: dict[str, str]) -> None:
    with pytest.raises(RasaException):
        TeamsInput.from_credentials({"app_id": APP_ID, "app_password": APP_PASSWORD, **extra})


# --------------------------------------------------------------------- happy paths


async def test_message_is_answered_with_text_and_hero_card(env: Env) -> None:
    status, body = await env.post(env.message())
    assert (status, body) == (200, {"status": "accepted"})
    await env.settle()

    [message] = env.agent.messages
    assert message.text == "本番のSQL Serverが落ちて、全社の受注業務が止まっています"
    assert message.sender_id == USER["id"]
    assert message.input_channel == "teams"
    assert isinstance(message.output_channel, TeamsOutput)
    teams_meta = message.metadata["teams"]
    assert teams_meta["conversation"]["id"] == PERSONAL_CONVERSATION["id"]
    assert teams_meta["service_url"] == env.service_url.rstrip("/")
    assert teams_meta["tenant_id"] == TENANT_ID

    # multi-tenant app: token from the botframework.com tenant, with client credentials
    [(tenant, form)] = env.stubs.token_requests
    assert tenant == "botframework.com"
    assert form == {
        "grant_type": "client_credentials",
        "client_id": APP_ID,
        "client_secret": APP_PASSWORD,
        "scope": "https://api.botframework.com/.default",
    }

    assert len(env.stubs.posts) == 2
    text_post, card_post = env.stubs.posts
    for post in env.stubs.posts:
        assert post["authorization"] == "Bearer bf-access-token-1"
        prefix = "/amer/v3/conversations/"
        assert post["raw_path"].startswith(prefix) and post["raw_path"].endswith("/activities")
        assert unquote(post["raw_path"][len(prefix) : -len("/activities")]) == PERSONAL_CONVERSATION["id"]
        activity = post["activity"]
        assert activity["type"] == "message"
        assert activity["from"] == BOT
        assert activity["recipient"] == USER
        assert activity["conversation"] == PERSONAL_CONVERSATION
        assert activity["replyToId"] == env.agent.messages[0].message_id

    text = text_post["activity"]
    assert text["textFormat"] == "xml"
    assert text["text"] == (
        "受付しました: 本番のSQL Serverが落ちて、全社の受注業務が止まっています<br>&lt;担当&gt; &amp; 次の行"
    )
    card = card_post["activity"]
    assert card["attachments"][0]["content"]["text"] == "業務への影響を選んでください。"
    assert hero_buttons(card) == [
        {
            "type": "messageBack",
            "title": b["title"],
            "text": b["title"],
            "displayText": b["title"],
            "value": {"payload": b["payload"]},
        }
        for b in BUTTONS
    ]


async def test_button_click_arrives_as_message_back_and_payload_goes_to_rasa(env: Env) -> None:
    click = env.message(
        text="1. 業務が止まっている・多くの人が使えない",
        id="1764334860456",
        replyToId="1:bot-card-message",
        value={"payload": '/choose_severity{"severity": "A"}'},
        channelData={"tenant": {"id": TENANT_ID}, "source": {"name": "message"}, "legacy": {"replyToId": "1:x"}},
    )
    status, _ = await env.post(click)
    assert status == 200
    await env.settle()
    [message] = env.agent.messages
    assert message.text == '/choose_severity{"severity": "A"}'
    assert message.metadata["teams"]["value"] == {"payload": '/choose_severity{"severity": "A"}'}
    assert env.stubs.posts[0]["activity"]["replyToId"] == "1764334860456"


async def test_value_without_payload_falls_back_to_text_and_bot_mentions_are_removed(env: Env) -> None:
    mention = {
        "type": "mention",
        "text": "<at>サポート受付</at>",
        "mentioned": {"id": BOT["id"], "name": BOT["name"]},
    }
    activity = env.message(
        text="<at>サポート受付</at> メールが送信キューに滞留しています",
        conversation=dict(CHANNEL_CONVERSATION),
        entities=[mention],
        value={"comment": "form field without payload"},
    )
    status, _ = await env.post(activity)
    assert status == 200
    await env.settle()
    [message] = env.agent.messages
    assert message.text == "メールが送信キューに滞留しています"
    assert unquote(env.stubs.posts[0]["raw_path"]).startswith(
        f"/amer/v3/conversations/{CHANNEL_CONVERSATION['id']}/activities"
    )


async def test_single_tenant_bot_gets_its_token_from_its_own_tenant(single_tenant_env: Env) -> None:
    env = single_tenant_env
    status, _ = await env.post(env.message())
    assert status == 200
    await env.settle()
    assert [tenant for tenant, _ in env.stubs.token_requests] == [TENANT_ID]
    assert len(env.stubs.posts) == 2


async def test_answer_comes_before_rasa_finishes_and_turns_run_in_order(env: Env) -> None:
    env.agent.gate = asyncio.Event()
    started = time.perf_counter()
    first = await env.post(env.message("一通目", id="m1"))
    second = await env.post(env.message("二通目", id="m2"))
    assert first[0] == second[0] == 200
    assert time.perf_counter() - started < 5
    await asyncio.sleep(0.05)
    # the first turn is still running (gate closed); the second waits behind it
    assert [m.text for m in env.agent.messages] == ["一通目"]
    assert env.stubs.posts == []
    env.agent.gate.set()
    await env.settle()
    assert [m.text for m in env.agent.messages] == ["一通目", "二通目"]
    assert [p["activity"]["replyToId"] for p in env.stubs.posts] == ["m1", "m1", "m2", "m2"]


# ------------------------------------------------------------- conversationUpdate


async def test_user_added_is_greeted_once(env: Env) -> None:
    update = env.members_added([{"id": USER["id"], "aadObjectId": USER["aadObjectId"]}])
    assert (await env.post(update))[0] == 200
    assert (await env.post(update))[0] == 200  # the Connector redelivers
    await env.settle()
    assert [(m.text, m.sender_id) for m in env.agent.messages] == [("/greet", USER["id"])]
    assert [p["activity"]["recipient"]["id"] for p in env.stubs.posts] == [USER["id"], USER["id"]]
    assert "replyToId" not in env.stubs.posts[0]["activity"]


async def test_bot_and_user_added_greets_only_the_user(env: Env) -> None:
    update = env.members_added([{"id": BOT["id"]}, {"id": "29:1second-user", "aadObjectId": "0b9c"}])
    assert (await env.post(update))[0] == 200
    await env.settle()
    assert [(m.text, m.sender_id) for m in env.agent.messages] == [("/greet", "29:1second-user")]


async def test_bot_only_added_to_a_team_channel_greets_nobody(env: Env) -> None:
    update = env.members_added(
        [{"id": BOT["id"]}],
        conversation=CHANNEL_CONVERSATION,
        channelData={
            "team": {"id": "19:4f0c8d1e2b3a@thread.tacv2", "name": "情報システム部"},
            "eventType": "teamMemberAdded",
            "tenant": {"id": TENANT_ID},
        },
    )
    status, body = await env.post(update)
    assert (status, body) == (200, {"status": "accepted"})
    await env.settle()
    assert env.agent.messages == []
    assert env.stubs.posts == []


async def test_bot_installed_in_a_personal_chat_greets_the_installer_never_the_bot(env: Env) -> None:
    update = env.members_added([{"id": BOT["id"]}])
    assert (await env.post(update))[0] == 200
    await env.settle()
    assert [(m.text, m.sender_id) for m in env.agent.messages] == [("/greet", USER["id"])]
    assert all(m.sender_id != BOT["id"] for m in env.agent.messages)


@pytest.mark.parametrize(
    "activity",
    [
        {"type": "typing"},
        {"type": "messageReaction", "reactionsAdded": [{"type": "like"}]},
        {"type": "installationUpdate", "action": "add"},
        {"type": "conversationUpdate", "membersRemoved": [{"id": "29:1gone"}]},
    ],
)
async def test_other_activities_are_acknowledged_and_ignored(env: Env, activity: dict[str, Any]) -> None:
    full = {
        "channelId": "msteams",
        "serviceUrl": env.service_url,
        "from": dict(USER),
        "recipient": dict(BOT),
        "conversation": dict(PERSONAL_CONVERSATION),
        **activity,
    }
    assert (await env.post(full))[0] == 200
    await env.settle()
    assert env.agent.messages == []


# ------------------------------------------------------------------ authentication


async def test_missing_token_is_401_before_anything_is_fetched(env: Env) -> None:
    status, body = await env.post(env.message(), token=None)
    assert status == 401 and body["error"] == "unauthorized"
    async with env.http.post(
        f"{env.url}/webhooks/teams/webhook", data=b"{}", headers={"Authorization": "Basic dXNlcjpwdw=="}
    ) as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    await env.settle()
    assert env.agent.messages == [] and env.stubs.posts == []
    assert env.stubs.metadata_hits == 0


@pytest.mark.parametrize(
    ("token_args", "reason"),
    [
        ({"exp": -CLOCK_SKEW_SECONDS - 60, "nbf": -7200}, "token expired"),
        ({"nbf": CLOCK_SKEW_SECONDS + 120}, "token not valid yet"),
        ({"key": "attacker"}, "token signature does not verify"),
        ({"aud": "a-different-bot-app-id"}, "token is for another bot"),
        ({"iss": "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"}, "not issued by the Bot Framework"),
        ({"algorithm": "HS256"}, "not signed with RS256"),
        ({"algorithm": "none"}, "not signed with RS256"),
        ({"service_url": "https://smba.trafficmanager.net/emea/"}, "serviceurl does not match"),
        ({"key": "skype_only"}, "not endorsed for this channel"),
    ],
)
async def test_bad_tokens_are_401_and_never_reach_rasa(
    env: Env, token_args: dict[str, Any], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="channels.botframework")
    status, body = await env.post(env.message(), token=env.token(**token_args))
    assert status == 401, body
    assert body["error"] == "unauthorized" and reason in body["message"]
    await env.settle()
    assert env.agent.messages == []
    assert env.stubs.posts == [] and env.stubs.token_requests == []
    assert reason in caplog.text


async def test_clock_skew_of_a_few_minutes_is_tolerated(env: Env) -> None:
    status, _ = await env.post(env.message(), token=env.token(exp=-120, nbf=120))
    assert status == 200
    await env.settle()
    assert len(env.agent.messages) == 1


async def test_token_without_serviceurl_claim_is_accepted(env: Env) -> None:
    status, _ = await env.post(env.message(), token=env.token(service_url=None))
    assert status == 200


async def test_keys_are_cached_and_refetched_after_the_ttl(env: Env) -> None:
    for _ in range(3):
        assert (await env.post(env.message()))[0] == 200
    assert (env.stubs.metadata_hits, env.stubs.jwks_hits) == (1, 1)
    env.clock.advance(JWKS_TTL_SECONDS + 1)
    assert (await env.post(env.message()))[0] == 200
    assert (env.stubs.metadata_hits, env.stubs.jwks_hits) == (2, 2)


async def test_unknown_kid_refetches_the_keys_once(env: Env) -> None:
    assert (await env.post(env.message()))[0] == 200
    assert env.stubs.jwks_hits == 1

    # Microsoft rotates its keys: a token names a key we have not seen yet
    env.stubs.jwks = [env.keys["current"].jwk, env.keys["rotated"].jwk]
    assert (await env.post(env.message(), token=env.token("rotated")))[0] == 200
    assert env.stubs.jwks_hits == 2
    assert (await env.post(env.message(), token=env.token("rotated")))[0] == 200
    assert env.stubs.jwks_hits == 2

    # a made-up kid: no further fetch while the last forced one is recent …
    status, body = await env.post(env.message(), token=env.token("current", kid="made-up"))
    assert status == 401 and "unknown key" in body["message"]
    assert env.stubs.jwks_hits == 2
    # … and exactly one fetch (still unknown → 401) once it is not
    env.clock.advance(UNKNOWN_KID_REFETCH_INTERVAL_SECONDS + 1)
    assert (await env.post(env.message(), token=env.token("current", kid="made-up")))[0] == 401
    assert env.stubs.jwks_hits == 3
    await env.settle()
    assert len(env.agent.messages) == 3


async def test_stale_keys_are_used_while_the_metadata_is_down(env: Env) -> None:
    assert (await env.post(env.message()))[0] == 200
    env.stubs.metadata_status = 500
    env.clock.advance(JWKS_TTL_SECONDS + 1)
    for _ in range(3):
        assert (await env.post(env.message()))[0] == 200
    assert env.stubs.metadata_hits == 2  # one failed refresh, not one per request
    env.stubs.metadata_status = 200
    env.clock.advance(61)
    assert (await env.post(env.message()))[0] == 200
    assert (env.stubs.metadata_hits, env.stubs.jwks_hits) == (3, 2)


async def test_unreachable_key_metadata_is_503(env: Env) -> None:
    env.stubs.metadata_status = 500
    status, body = await env.post(env.message())
    assert status == 503 and body["error"] == "keys_unavailable"
    assert env.agent.messages == []
    env.stubs.metadata_status = 200
    assert (await env.post(env.message()))[0] == 200


# ------------------------------------------------------------------ outbound calls


async def test_outbound_token_is_cached_until_shortly_before_expiry(env: Env) -> None:
    for n in range(2):
        assert (await env.post(env.message(f"メッセージ{n}")))[0] == 200
        await env.settle()
    assert len(env.stubs.token_requests) == 1
    assert len(env.stubs.posts) == 4
    assert {p["authorization"] for p in env.stubs.posts} == {"Bearer bf-access-token-1"}

    env.clock.advance(3599 - 300 - 10)  # still more than the 5-minute margin left
    assert (await env.post(env.message("まだ有効")))[0] == 200
    await env.settle()
    assert len(env.stubs.token_requests) == 1

    env.clock.advance(20)  # inside the margin: fetch a new one before it expires
    assert (await env.post(env.message("更新")))[0] == 200
    await env.settle()
    assert len(env.stubs.token_requests) == 2
    assert env.stubs.posts[-1]["authorization"] == "Bearer bf-access-token-2"


async def test_connector_rejecting_the_token_gets_a_fresh_one_once(env: Env) -> None:
    assert (await env.post(env.message("一通目")))[0] == 200
    await env.settle()
    env.stubs.revoked.add("bf-access-token-1")
    assert (await env.post(env.message("二通目")))[0] == 200
    await env.settle()
    assert env.stubs.rejected_posts == 1
    assert len(env.stubs.token_requests) == 2
    assert [p["authorization"] for p in env.stubs.posts[2:]] == ["Bearer bf-access-token-2"] * 2


async def test_connector_throttling_is_retried_once(env: Env) -> None:
    env.stubs.connector_failures = [429]
    assert (await env.post(env.message()))[0] == 200
    await env.settle()
    assert env.stubs.rejected_posts == 1
    assert len(env.stubs.posts) == 2


async def test_outbound_failures_are_logged_without_secrets_and_never_crash(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    env.stubs.token_status = 401
    assert (await env.post(env.message("一通目")))[0] == 200
    await env.settle()
    assert len(env.agent.messages) == 1 and env.stubs.posts == []
    assert "no Bot Connector token" in caplog.text and "invalid_client" in caplog.text

    env.stubs.token_status = 200
    env.stubs.connector_failures = [500]
    assert (await env.post(env.message("二通目")))[0] == 200
    await env.settle()
    assert "Bot Connector answered 500" in caplog.text
    assert len(env.stubs.posts) == 1  # the second reply of that turn went through

    await env.channel.connector.post_activity("http://127.0.0.1:9/", "a:1unreachable", {"type": "message"})
    assert "failed (ClientConnectorError)" in caplog.text

    assert APP_PASSWORD not in caplog.text
    assert all(token not in caplog.text for token in env.stubs.issued)
    assert "Bearer " not in caplog.text


# ------------------------------------------------------------------ malformed input


async def test_oversized_bodies_are_413_before_authentication_and_parsing(env: Env) -> None:
    big = b"{" + b" " * MAX_BODY_BYTES + b"}"
    assert (await env.post(None, token=None, raw=big))[0] == 413
    status, body = await env.post(None, raw=big)
    assert status == 413 and body["error"] == "payload_too_large"
    assert env.stubs.metadata_hits == 0  # refused before the token was even looked at
    await env.settle()
    assert env.agent.messages == []


async def test_too_long_message_gets_the_polite_reply_and_never_reaches_rasa(env: Env) -> None:
    status, _ = await env.post(env.message("あ" * (MAX_MESSAGE_CHARS + 1)))
    assert status == 200
    await env.settle()
    assert env.agent.messages == []
    [post] = env.stubs.posts
    assert post["activity"]["text"] == to_teams_xml(channel_text(TOO_LONG_RESPONSE))
    status, _ = await env.post(env.message("あ" * MAX_MESSAGE_CHARS))  # at the limit: the bot answers
    await env.settle()
    assert status == 200 and len(env.agent.messages) == 1


async def test_replayed_activity_reaches_rasa_once(env: Env) -> None:
    activity = env.message()
    token = env.token()
    assert (await env.post(activity, token=token))[0] == 200
    assert (await env.post(activity, token=token))[0] == 200  # same token, same activity: a replay
    await env.settle()
    assert len(env.agent.messages) == 1


@pytest.mark.parametrize(
    ("raw", "change"),
    [
        pytest.param(b"{", None, id="truncated-json"),
        pytest.param(b"\xff\xfe{}", None, id="not-utf8"),
        pytest.param(b"[" * 5000 + b"]" * 5000, None, id="nested-too-deep"),
        pytest.param(b"[]", None, id="array"),
        pytest.param(b'"message"', None, id="string"),
        pytest.param(None, {"type": None}, id="no-type"),
        pytest.param(None, {"type": 42}, id="type-not-string"),
        pytest.param(None, {"text": ["not", "text"]}, id="text-not-string"),
        pytest.param(None, {"conversation": None}, id="no-conversation"),
        pytest.param(None, {"conversation": {"conversationType": "personal"}}, id="no-conversation-id"),
        pytest.param(None, {"from": "29:1user"}, id="from-not-object"),
        pytest.param(None, {"recipient": None}, id="no-recipient"),
        pytest.param(None, {"serviceUrl": None}, id="no-serviceUrl"),
    ],
)
async def test_invalid_bodies_are_400(env: Env, raw: bytes | None, change: dict[str, Any] | None) -> None:
    token = env.token()
    if change is not None:
        activity = env.message()
        for key, value in change.items():
            if value is None:
                activity.pop(key)
            else:
                activity[key] = value
        if "serviceUrl" in change:
            token = env.token(service_url=None)
        status, body = await env.post(activity, token=token)
    else:
        status, body = await env.post(None, token=token, raw=raw)
    assert status == 400, body
    assert body["error"] in ("invalid_json", "invalid_activity")
    await env.settle()
    assert env.agent.messages == []


async def test_plain_http_service_url_outside_localhost_is_refused(env: Env) -> None:
    url = "http://smba.trafficmanager.net/amer/"
    status, body = await env.post(env.message(serviceUrl=url), token=env.token(service_url=url))
    assert status == 400 and "https" in body["message"]
    await env.settle()
    assert env.agent.messages == []


async def test_health_route(env: Env) -> None:
    async with env.http.get(f"{env.url}/webhooks/teams/") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


# ------------------------------------------------------------------------ formatting


def test_card_actions_for_payload_title_only_and_url_buttons() -> None:
    assert card_action({"title": "終了する", "payload": "/goodbye"}) == {
        "type": "messageBack",
        "title": "終了する",
        "text": "終了する",
        "displayText": "終了する",
        "value": {"payload": "/goodbye"},
    }
    assert card_action({"title": "はい"})["value"] == {"payload": "はい"}  # type: ignore[index]
    assert card_action({"title": "FAQ", "url": "https://example.com/faq", "type": "web_url"}) == {
        "type": "openUrl",
        "title": "FAQ",
        "value": "https://example.com/faq",
    }
    assert card_action({}) is None
    assert to_teams_xml(" 1行目\r\n2行目 <b>\n") == "1行目<br>2行目 &lt;b&gt;"


async def test_output_channel_posts_images_and_custom_json(env: Env) -> None:
    calls: list[tuple[str, str, dict[str, Any]]] = []

    async def record(service_url: str, conversation_id: str, activity: dict[str, Any]) -> bool:
        calls.append((service_url, conversation_id, activity))
        return True

    env.channel.connector.post_activity = record  # type: ignore[method-assign]

    async def turn(message: Any) -> None:
        out = message.output_channel
        await out.send_response(message.sender_id, {"image": "https://example.com/a.png"})
        await out.send_response(message.sender_id, {"custom": {"text": "custom", "conversation": {"id": "evil"}}})
        await out.send_response(message.sender_id, {"text": "   "})

    env.agent.handle_message = turn  # type: ignore[method-assign]
    assert (await env.post(env.message()))[0] == 200
    await env.settle()
    assert [c[1] for c in calls] == [PERSONAL_CONVERSATION["id"]] * 2
    image, custom = (c[2] for c in calls)
    assert image["attachments"][0]["content"]["images"] == [{"url": "https://example.com/a.png"}]
    assert custom["text"] == "custom" and custom["conversation"] == PERSONAL_CONVERSATION
