"""Teams (``/webhooks/teams/webhook``) under hostile input, in process, against the
local stand-ins for Microsoft's services from tests/channels/test_botframework.py.

Forged tokens (random strings, the attacker's key under the real key id, another
audience or issuer, expired, ``alg: none``/HS256) never reach the bot, whatever the
body. A replayed activity (same token, same conversation and activity id) is
acknowledged and dropped. A *new* activity under a captured, still valid token cannot
be told apart from the Bot Connector's own traffic — the Connector sends one token for
many requests until it expires; that is what the ``serviceurl`` claim binding, TLS and
the token's short life (minutes) limit.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.botframework.cards import to_teams_xml
from channels.limits import MAX_MESSAGE_CHARS, TEAMS_MAX_BODY_BYTES
from channels.texts import channel_text
from tests.channels.test_botframework import APP_ID, Env, make_key, start_env
from tests.fuzz.conftest import TRIED
from tests.fuzz.harness import LoopThread, assert_4xx_or_200, loop_thread
from tests.fuzz.servers import declared_too_large
from tests.fuzz.strategies import dumps, hostile_texts, json_values, raw_bodies


@dataclass
class Teams:
    runner: LoopThread
    env: Env
    forged: list[str]
    valid: str

    def send(self, body: bytes, token: str | None) -> tuple[int, Any]:
        TRIED["teams (in process)"] += 1
        return self.runner.run(self.env.post(None, token=token, raw=body))

    def settle(self) -> None:
        self.runner.run(asyncio.wait_for(self.env.channel.wait_idle(), 15))


@pytest.fixture(scope="module")
def teams() -> Iterator[Teams]:
    keys = {
        "current": make_key("bf-key-1"),
        "rotated": make_key("bf-key-2"),
        "attacker": make_key("bf-key-1"),  # the real key id, another private key
        "skype_only": make_key("bf-key-skype", ["skype"]),
    }
    with loop_thread() as runner:
        stack = AsyncExitStack()
        env = runner.run(start_env(stack, keys, None))
        try:
            yield Teams(runner, env, forged_tokens(env), env.token())
        finally:
            runner.run(stack.aclose())


def forged_tokens(env: Env) -> list[str]:
    """Tokens that must never be accepted (signed once: loading an RSA key takes ~50 ms)."""
    return [
        env.token("attacker"),
        env.token(aud="another-bot"),
        env.token(iss="https://sts.windows.net/evil/"),
        env.token(exp=-3600, nbf=-7200),
        env.token(kid="made-up"),
        env.token(algorithm="HS256"),
        env.token(algorithm="none"),
        env.token(service_url="https://evil.example/"),
    ]


def any_forged_token(forged: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(
        st.none(),
        st.text(max_size=200),
        st.from_regex(r"\A[A-Za-z0-9_-]{1,40}\.[A-Za-z0-9_-]{1,80}\.[A-Za-z0-9_-]{0,80}\Z"),
        st.sampled_from(forged),
    )


def activity_bodies(env: Env) -> st.SearchStrategy[bytes]:
    fields = st.fixed_dictionaries(
        {},
        optional={
            "text": st.one_of(hostile_texts, json_values),
            "type": st.one_of(st.sampled_from(["message", "conversationUpdate", "invoke", ""]), json_values),
            "value": json_values,
            "from": json_values,
            "conversation": json_values,
            "recipient": json_values,
            "entities": json_values,
            "membersAdded": json_values,
            "id": st.one_of(st.text(max_size=50), json_values),
        },
    )
    changed = st.builds(lambda extra: {**env.message(), **extra}, fields)
    return st.one_of(
        raw_bodies, st.builds(lambda a, ascii_only: dumps(a, ascii_only=ascii_only), changed, st.booleans())
    )


@given(data=st.data())
def test_forged_tokens_never_reach_the_bot(teams: Teams, data: st.DataObject) -> None:
    env = teams.env
    token = data.draw(any_forged_token(teams.forged), label="token")
    body = data.draw(st.one_of(activity_bodies(env), st.just(json.dumps(env.message()).encode())), label="body")
    before = len(env.agent.messages)
    status, answer = teams.send(body, token)
    assert_4xx_or_200(status, str(answer), body)
    assert status in (400, 401, 413), (status, answer)  # never accepted
    teams.settle()
    assert len(env.agent.messages) == before


@given(data=st.data())
def test_hostile_activities_with_a_valid_token_get_4xx_or_200(teams: Teams, data: st.DataObject) -> None:
    env = teams.env
    body = data.draw(activity_bodies(env), label="body")
    posts_before, before = len(env.stubs.posts), len(env.agent.messages)
    status, answer = teams.send(body, teams.valid)
    assert_4xx_or_200(status, str(answer), body)
    teams.settle()
    if len(body) > TEAMS_MAX_BODY_BYTES:
        assert status == 413
    if status != 200:
        assert len(env.agent.messages) == before
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError):
        return
    text = activity.get("text") if isinstance(activity, dict) else None
    value = activity.get("value") if isinstance(activity, dict) else None
    is_text = status == 200 and activity.get("type") == "message" and isinstance(text, str)
    if is_text and not isinstance(value, dict) and len(text.strip()) > MAX_MESSAGE_CHARS:
        assert len(env.agent.messages) == before
        polite = to_teams_xml(channel_text("utter_channel_too_long"))
        assert env.stubs.posts[posts_before]["activity"]["text"] == polite


@given(text=hostile_texts)
def test_a_replayed_activity_reaches_the_bot_once(teams: Teams, text: str) -> None:
    env = teams.env
    body = dumps(env.message(text), ascii_only=True)
    token = teams.valid
    first, _ = teams.send(body, token)
    teams.settle()
    after_first = len(env.agent.messages)
    second, _ = teams.send(body, token)
    teams.settle()
    assert first == second
    assert len(env.agent.messages) == after_first


@pytest.mark.parametrize("size", [TEAMS_MAX_BODY_BYTES + 1, 10**9])
def test_declared_oversized_body_is_413_before_it_is_read(teams: Teams, size: int) -> None:
    TRIED["teams (in process)"] += 1
    url = teams.env.url + "/webhooks/teams/webhook"
    assert teams.runner.run(declared_too_large(url, size, {"Authorization": f"Bearer {teams.valid}"})) == 413


def test_app_id_is_what_tokens_are_checked_against() -> None:
    assert APP_ID  # the audience every forged token above misses or fakes
