"""The production profile's parts, without starting it: shared dedupe against a real Redis,
the polite answer when the action server is down, pool arithmetic, generated configs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import subprocess
from collections import deque
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from rasa.shared.exceptions import RasaException

from channels.dedupe import RecentIds, SharedRecentIds
from channels.resilience import (
    SERVICE_UNAVAILABLE_RESPONSE,
    guarded_remote_run,
    guarded_run_action,
    is_action_server_unavailable,
    with_pool_pre_ping,
)
from deploy.profile import ProdSettings, SettingsError, nginx_conf, required_connections, upstream_conf
from scripts.endpoints import effective_endpoints, lock_store_config
from support_rules.domain_texts import response_texts
from support_rules.settings import get_config
from tests.live import free_port
from tests.prod.conftest import RedisServer


# ------------------------------------------------------------------ shared dedupe
async def test_two_replicas_share_redelivery_ids_through_redis(redis_server: RedisServer) -> None:
    replica_1 = SharedRecentIds("line", RecentIds(100), 60, redis_server.url)
    replica_2 = SharedRecentIds("line", RecentIds(100), 60, redis_server.url)
    teams = SharedRecentIds("teams", RecentIds(100), 60, redis_server.url)
    try:
        assert await replica_1.add("event-1") is True
        assert await replica_2.add("event-1") is False  # the redelivery reached the other replica
        assert await replica_2.add("event-2") is True
        assert await replica_1.add("event-2") is False
        assert await teams.add("event-1") is True  # channels do not share ids
        assert replica_1.shared and replica_2.shared
    finally:
        for ids in (replica_1, replica_2, teams):
            await ids.close()
    import redis

    client = redis.Redis.from_url(redis_server.url)
    keys = client.keys("desk:dedupe:line:*")
    assert len(keys) == 2
    assert all(0 < client.ttl(key) <= 60 for key in keys)


async def test_unreachable_redis_falls_back_to_the_process_cache_and_recovers(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    now = [0.0]
    ids = SharedRecentIds("line", RecentIds(100), 60, redis_server.url, retry_after=5, clock=lambda: now[0])
    try:
        assert await ids.add("before") is True
        redis_server.stop()
        with caplog.at_level(logging.WARNING, logger="channels.dedupe"):
            assert await ids.add("during") is True  # no exception: the in-process cache decides
            assert await ids.add("during") is False
        assert not ids.shared
        assert [r.getMessage() for r in caplog.records if "Redis unavailable" in r.getMessage()]
        redis_server.start()
        now[0] = 6.0  # after retry_after Redis is asked again
        assert await ids.add("after") is True
        assert ids.shared
        other = SharedRecentIds("line", RecentIds(100), 60, redis_server.url)
        assert await other.add("after") is False
        await other.close()
    finally:
        await ids.close()


async def test_a_closed_port_never_raises() -> None:
    ids = SharedRecentIds("teams", RecentIds(10), 60, f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.2)
    assert await ids.add("x") is True
    assert await ids.add("x") is False
    await ids.close()


async def test_without_redis_url_the_cache_is_per_process() -> None:
    ids = SharedRecentIds("line", RecentIds(2), 60, None)
    assert [await ids.add(k) for k in ("a", "a", "b", "c", "a")] == [True, False, True, True, True]


# ------------------------------------------------------------------ action server down
class FakeNLG:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def generate(self, name: str, tracker: Any, channel: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append((name, kwargs))
        return {"text": response_texts("utter_")[name].format(**kwargs)}


class FakeOutput:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def name(self) -> str:
        return "rest"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent.append(message)


class FakeTracker:
    sender_id = "s-1"

    def __init__(self) -> None:
        self.events: list[Any] = []

    def update(self, event: Any) -> None:
        self.events.append(event)


class FakeRemoteAction:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error

    def name(self) -> str:
        return "validate_triage_form"


async def _remote_run(self: FakeRemoteAction, *args: Any) -> list[Any]:
    if self.error is not None:
        raise self.error
    return []


def _connection_refused() -> RasaException:
    try:
        try:
            raise aiohttp.ClientConnectionError("Cannot connect to host 127.0.0.1:5055")
        except aiohttp.ClientConnectionError:
            raise RasaException("Failed to execute custom action") from None
    except RasaException as error:
        return error  # as Rasa raises it: no __cause__, the connection error as __context__


def _status(code: int) -> RasaException:
    cause = aiohttp.ClientResponseError(None, (), status=code)  # type: ignore[arg-type]
    error = RasaException("Failed to execute custom action")
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (_connection_refused(), True),
        (_status(500), True),
        (_status(503), True),
        (asyncio.TimeoutError(), True),
        (_status(404), False),
        (RasaException("an action bug reported as such"), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_counts_as_the_action_server_being_unavailable(error: BaseException, unavailable: bool) -> None:
    assert is_action_server_unavailable(error) is unavailable


async def _run_step(error: BaseException | None) -> tuple[Any, FakeNLG, FakeOutput, FakeTracker]:
    remote_run = guarded_remote_run(_remote_run)

    async def rasa_run_action(self: Any, action: Any, tracker: Any, output: Any, nlg: Any, prediction: Any) -> bool:
        # What Rasa's _run_action does: log the exception and continue with no events.
        with contextlib.suppress(Exception):
            await remote_run(action)
        return True

    nlg, output, tracker = FakeNLG(), FakeOutput(), FakeTracker()
    run_action = guarded_run_action(rasa_run_action)
    result = await run_action(object(), FakeRemoteAction(error), tracker, output, nlg, None)
    return result, nlg, output, tracker


async def test_an_unreachable_action_server_gets_the_polite_answer_and_the_bot_listens() -> None:
    should_continue, nlg, output, tracker = await _run_step(_connection_refused())
    assert should_continue is False
    phone = get_config().severity_a_phone
    assert nlg.calls == [(SERVICE_UNAVAILABLE_RESPONSE, {"phone": phone})]
    expected = response_texts("utter_")[SERVICE_UNAVAILABLE_RESPONSE].format(phone=phone)
    assert [m.get("text") for m in output.sent] == [expected]
    assert phone in expected and "申し訳ございません" in expected
    bot, listen = tracker.events
    assert (type(bot).__name__, bot.text, bot.metadata["utter_action"]) == (
        "BotUttered",
        expected,
        SERVICE_UNAVAILABLE_RESPONSE,
    )
    assert (type(listen).__name__, listen.action_name) == ("ActionExecuted", "action_listen")


@pytest.mark.parametrize("error", [None, _status(404), ValueError("a bug")])
async def test_other_outcomes_keep_rasas_behaviour(error: BaseException | None) -> None:
    should_continue, nlg, output, tracker = await _run_step(error)
    assert should_continue is True
    assert (nlg.calls, output.sent, tracker.events) == ([], [], [])


def test_the_tracker_store_engine_pings_pooled_connections() -> None:
    wrapped = with_pool_pre_ping(lambda url: {"pool_size": 5, "max_overflow": 5} if "postgres" in url else {})
    assert wrapped("postgresql://u@h/d") == {"pool_size": 5, "max_overflow": 5, "pool_pre_ping": True}
    assert wrapped("sqlite:///x.db") == {}


def test_an_expired_own_ticket_does_not_wait_forever() -> None:
    import time

    from rasa.core.lock import Ticket, TicketLock

    from channels.resilience import is_locked_by_earlier

    now = time.time()
    dead, mine = Ticket(1, now - 1), Ticket(2, now - 0.5)  # both expired in the same poll interval
    assert TicketLock("c", deque([dead, mine])).now_serving == 0  # Rasa's is_locked(2) would stay True
    assert is_locked_by_earlier(TicketLock("c", deque([dead, mine])), 2) is False
    alive_before = Ticket(1, now + 10)
    assert is_locked_by_earlier(TicketLock("c", deque([alive_before, Ticket(2, now + 10)])), 2) is True
    assert is_locked_by_earlier(TicketLock("c", deque([Ticket(2, now + 10), Ticket(3, now + 10)])), 2) is False


def test_the_wrappers_are_installed_in_the_rasa_server() -> None:
    from rasa.core import lock, processor, tracker_store
    from rasa.core.actions import action

    from channels import resilience

    assert resilience.install() is True
    assert resilience.install() is True  # idempotent: wrapped once
    assert processor.MessageProcessor._run_action.__wrapped__.__name__ == "_run_action"
    assert action.RemoteAction.run.__wrapped__.__name__ == "run"
    assert tracker_store.create_engine_kwargs.__wrapped__.__name__ == "create_engine_kwargs"
    assert lock.TicketLock.is_locked is resilience.is_locked_by_earlier


def test_a_failed_rest_turn_answers_the_apology_not_silence() -> None:
    from channels.rest import _or_apology

    apology = response_texts("utter_channel_")["utter_channel_error"]
    assert _or_apology([], "s-1") == [{"recipient_id": "s-1", "text": apology}]
    said = [{"recipient_id": "s-1", "text": "途中まで"}]
    assert _or_apology(said, "s-1") == said  # what the bot said before failing is kept


# ------------------------------------------------------------------ settings, pools, configs
def test_pool_arithmetic_fits_max_connections() -> None:
    settings = ProdSettings.from_env({"RASA_REPLICAS": "3", "PROD_DIR": "/tmp/x"})
    # 3 replicas × (5 + 5) tracker-store pools + (5 + 5) ticket store + 10 spare + 3 reserved
    assert required_connections(settings) == 3 * 10 + 10 + 10 + 3
    bigger = ProdSettings.from_env({"SQL_POOL_SIZE": "20", "SQL_MAX_OVERFLOW": "0", "PROD_PG_SPARE": "0"})
    assert required_connections(bigger) == 2 * 20 + 10 + 0 + 3


def test_settings_are_validated() -> None:
    assert ProdSettings.from_env({"PROD_RASA_PORTS": "7001, 7002"}).replica_ports == (7001, 7002)
    assert ProdSettings.from_env({"RASA_REPLICAS": "3"}).replica_ports == (5501, 5502, 5503)
    for bad in (
        {"PROD_RASA_PORTS": "7001"},  # one port for two replicas
        {"RASA_REPLICAS": "0"},
        {"PROD_PORT": "http"},
        {"PROD_PORT": "5501"},  # clashes with a replica
    ):
        with pytest.raises(SettingsError):
            ProdSettings.from_env(bad)


def test_upstream_marks_replicas_down_but_never_all() -> None:
    assert "7002 max_fails=1 fail_timeout=10s down;" in upstream_conf([7001, 7002], [7002])
    assert "7001 max_fails=1 fail_timeout=10s;" in upstream_conf([7001, 7002], [7002])
    assert " down;" not in upstream_conf([7001, 7002], [7001, 7002])


def test_generated_nginx_configuration_is_valid(tmp_path: Path) -> None:
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed")
    from deploy.profile import write_nginx

    settings = ProdSettings.from_env({"PROD_DIR": str(tmp_path), "PROD_RASA_PORTS": "7001,7002"})
    conf = write_nginx(settings, down=[7002])
    text = conf.read_text()
    assert "ip_hash;" in text and "proxy_next_upstream error timeout http_502 http_503;" in text
    retries = [line for line in text.splitlines() if line.strip().startswith("proxy_next_upstream ")]
    assert retries and not [line for line in retries if "non_idempotent" in line]  # a sent POST is never resent
    result = subprocess.run(
        ["nginx", "-t", "-p", str(settings.nginx_prefix), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert str(settings.health_file) in nginx_conf(settings)


def test_nginx_serves_health_with_503_while_down_and_enforces_body_limits() -> None:
    if shutil.which("nginx") is None:
        pytest.skip("nginx is not installed")
    import tempfile
    import time

    from channels.limits import REST_MAX_BODY_BYTES
    from deploy.profile import write_nginx
    from tests.live import http

    root = Path(tempfile.mkdtemp(prefix="nginx-"))
    root.chmod(0o755)  # nginx's workers run as nobody
    port = free_port()
    settings = ProdSettings.from_env(
        {"PROD_DIR": str(root), "PROD_PORT": str(port), "PROD_RASA_PORTS": f"{free_port()},{free_port()}"}
    )
    conf = write_nginx(settings)
    settings.health_file.write_text('{"status": "ok"}\n')
    for path in (settings.nginx_prefix, settings.health_file.parent):
        path.chmod(0o755)
    settings.health_file.chmod(0o644)
    prefix = str(settings.nginx_prefix)
    server = subprocess.Popen(
        ["nginx", "-p", prefix, "-c", str(conf), "-e", f"{prefix}/error.log", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                status, body = http("GET", f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, (settings.nginx_prefix / "error.log").read_text()
                time.sleep(0.05)
        assert (status, body) == (200, {"status": "ok"})
        settings.health_down_marker.touch()
        assert http("GET", f"http://127.0.0.1:{port}/health", timeout=5)[0] == 503
        assert '"status": "ok"' in str(http("GET", f"http://127.0.0.1:{port}/health", timeout=5)[1])
        settings.health_down_marker.unlink()
        assert http("GET", f"http://127.0.0.1:{port}/health", timeout=5)[0] == 200
        webhook = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
        assert http("POST", webhook, raw=b"x" * (REST_MAX_BODY_BYTES + 1), timeout=5)[0] == 413
        assert http("POST", webhook, {"sender": "a", "message": "b"}, timeout=10)[0] == 502  # no replica runs
        assert http("GET", f"http://127.0.0.1:{port}/conversations/a/tracker", timeout=5)[0] == 404  # not exposed
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def test_endpoints_add_a_redis_lock_store_only_with_redis_url() -> None:
    base = {"action_endpoint": {"url": "x"}}
    without = effective_endpoints(base, {"DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/d"})
    assert "lock_store" not in without
    config = effective_endpoints(
        base, {"DATABASE_URL": "postgresql://u:p@127.0.0.1:5432/d", "REDIS_URL": "redis://:s%40cret@127.0.0.1:6390/2"}
    )
    assert config["lock_store"] == {
        "type": "redis", "url": "127.0.0.1", "port": 6390, "db": 2, "password": "s@cret",
        "key_prefix": "desk", "socket_timeout": 5,
    }  # fmt: skip
    with pytest.raises(ValueError):
        lock_store_config("http://127.0.0.1:6379/0")
    with pytest.raises(ValueError):
        lock_store_config("redis://127.0.0.1:6379/zero")


async def test_line_and_teams_share_their_redelivery_ids_between_replicas(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from channels.botframework import TeamsInput
    from channels.line import LineInput

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    line = [LineInput("secret", "token"), LineInput("secret", "token")]  # two replicas
    teams = [TeamsInput.from_credentials({"app_id": "app", "app_password": "pw"}) for _ in range(2)]
    activity = {"id": "a-1", "conversation": {"id": "c-1"}}
    assert await line[0]._seen.add("webhook-event-1") is True
    assert await line[1]._seen.add("webhook-event-1") is False  # LINE's redelivery reached the other replica
    assert await teams[0]._first_delivery(activity) is True
    assert await teams[1]._first_delivery(activity) is False  # a replay on the other replica
    assert await teams[1]._first_delivery({**activity, "id": "a-2"}) is True
    for channel in line:
        await channel._seen.close()
    for team in teams:
        await team._delivered.close()
    monkeypatch.delenv("REDIS_URL")
    alone = [LineInput("secret", "token"), LineInput("secret", "token")]
    assert await alone[0]._seen.add("e") is True and await alone[1]._seen.add("e") is True  # per process
