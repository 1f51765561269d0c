"""Fault tests of the running production profile (scripts/prod.sh): 2 Rasa replicas behind
nginx, PostgreSQL, Redis, the action server and the supervisor, all real processes on
free ports, with the desk's clock frozen inside business hours.

Measured times are printed (``pytest -s``) and kept in ``MEASURED``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deploy.postgres import find_bin_dir
from deploy.profile import ProdSettings, required_connections
from support_rules.domain_texts import response_texts
from support_rules.settings import get_config
from tests.prod.conftest import Profile

pytestmark = pytest.mark.prod

MEASURED: dict[str, float] = {}

# One B triage from the problem to the intake ticket (as tests/e2e/test_restart.py).
PROBLEM = "経理部だけ会計システムにログインできません。他の部署は大丈夫です"
STEPS = [PROBLEM, "はい", "オンデマンドです", "{company}", "鈴木 一郎", "045-123-4567", "なし"]
KILL_BEFORE_STEP = 2
RECOVERY_LIMIT_SECONDS = 60.0
# What the REST channel answers when a turn fails before the bot said anything.
APOLOGY = response_texts("utter_channel_")["utter_channel_error"]


def texts(body: Any) -> str:
    return "\n".join(str(m.get("text") or "") for m in body) if isinstance(body, list) else ""


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def measure(name: str, seconds: float) -> None:
    MEASURED[name] = round(seconds, 2)
    print(f"\n[prod] {name}: {seconds:.2f} s")


def wait_for(condition: Any, limit: float, what: str, interval: float = 0.5) -> float:
    """Seconds until ``condition()`` is truthy; fails after ``limit``."""
    begun = time.monotonic()
    while time.monotonic() - begun < limit:
        if condition():
            return time.monotonic() - begun
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {limit:.0f} s")


def answer_within(
    profile: Profile, sender: str, message: str, limit: float = RECOVERY_LIMIT_SECONDS
) -> tuple[str, float]:
    """Send ``message`` until it is answered (a customer resending); the reply and the wait."""
    begun = time.monotonic()
    statuses: list[int] = []
    while time.monotonic() - begun < limit:
        status, body = profile.say(sender, message, timeout=30)
        statuses.append(status)
        assert status < 500 or status in (502, 503), (status, body)
        if status == 200 and texts(body) and texts(body) != APOLOGY:
            return texts(body), time.monotonic() - begun
        time.sleep(1)
    raise AssertionError(f"no answer to {message!r} within {limit:.0f} s (statuses {statuses})")


def finish(profile: Profile, sender: str, company: str, start: int) -> str:
    reply = ""
    for step in STEPS[start:]:
        reply, _ = answer_within(profile, sender, step.format(company=company))
    return reply


def tickets_of(profile: Profile, senders: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    rows = profile.query(
        "SELECT conversation_id, ticket_no, severity, company FROM intake_tickets WHERE conversation_id = ANY(%s)",
        senders,
    )
    found: dict[str, list[tuple[Any, ...]]] = {sender: [] for sender in senders}
    for row in rows:
        found[row[0]].append(row)
    return found


def user_texts(profile: Profile, sender: str) -> list[str]:
    """What the customer wrote, as the tracker store in PostgreSQL holds it."""
    rows = profile.query("SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", sender)
    return [json.loads(row[0]).get("text") for row in rows]


# ---------------------------------------------------------------------- socket.io
def test_socketio_through_nginx_upgrades_to_websocket_and_sticks_to_one_replica(profile: Profile) -> None:
    """What socket.io-client does: long-polling handshake, namespace join, then the upgrade to
    a WebSocket of the same engine.io session — which works only if nginx sends every
    request of the session to the same replica (and passes the Upgrade headers)."""
    import aiohttp

    polling = f"{profile.url}/socket.io/?EIO=4&transport=polling"

    async def exchange() -> list[Any]:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http_session:
            async with http_session.get(polling) as answer:
                opened = await answer.text()
            assert answer.status == 200 and opened.startswith("0"), opened
            sid = json.loads(opened[1:])["sid"]
            async with http_session.post(f"{polling}&sid={sid}", data="40") as answer:
                assert answer.status == 200, await answer.text()
            async with http_session.get(f"{polling}&sid={sid}") as answer:
                joined = await answer.text()
            assert joined.startswith("40"), joined
            websocket = profile.url.replace("http", "ws", 1) + f"/socket.io/?EIO=4&transport=websocket&sid={sid}"
            async with http_session.ws_connect(websocket) as ws:
                await ws.send_str("2probe")
                assert await ws.receive_str(timeout=10) == "3probe"
                await ws.send_str("5")  # upgrade done: from now on everything goes over the WebSocket
                session = uuid.uuid4().hex
                await ws.send_str("42" + json.dumps(["session_request", {"session_id": session}]))
                message = {"message": "こんにちは", "session_id": session}
                await ws.send_str("42" + json.dumps(["user_uttered", message], ensure_ascii=False))
                for _ in range(50):  # bounded: pings, session_confirm, then the answer
                    frame = await ws.receive_str(timeout=60)
                    if frame == "2":
                        await ws.send_str("3")
                        continue
                    if frame.startswith("42"):
                        event: list[Any] = json.loads(frame[2:])
                        if event[0] == "bot_uttered":
                            return event
                raise AssertionError("no bot_uttered over the WebSocket")

    event = asyncio.run(exchange())
    assert "こんにちは" in event[1].get("text", "")
    log = (profile.prod_dir / "nginx" / "access.log").read_text()
    upstreams = set(re.findall(r'"[A-Z]+ /socket\.io/[^"]*" \d+ \d+ upstream=(\S+)', log))
    assert len(upstreams) == 1, upstreams  # every request of the session reached the same replica


# ---------------------------------------------------------------------- action server down
def test_action_server_down_gets_the_polite_message_then_the_triage_continues(profile: Profile) -> None:
    held = profile.script("hold", "actions")
    assert held.returncode == 0, held.stderr
    try:
        wait_for(lambda: profile.health()["actions"]["pid"] is None, 40, "action server stopped")
        sender = profile.new_sender()
        status, body = profile.say(sender, PROBLEM)
        assert status == 200, body
        phone = get_config().severity_a_phone
        assert texts(body) == response_texts("utter_")["utter_service_unavailable"].format(phone=phone)
    finally:
        released = profile.script("release", "actions")
        assert released.returncode == 0, released.stderr
    took = wait_for(lambda: profile.health()["actions"]["healthy"], 60, "action server back")
    measure("action server back after release", took)
    reply, _ = answer_within(profile, sender, PROBLEM)
    assert "深刻度B" in reply
    final = finish(profile, sender, "株式会社アクション", 1)
    assert "【受付番号】" in final
    assert len(tickets_of(profile, [sender])[sender]) == 1


# ---------------------------------------------------------------------- PostgreSQL and Redis restarts
def test_postgres_and_redis_restarts_are_recovered_and_each_conversation_has_one_ticket(profile: Profile) -> None:
    bin_dir = find_bin_dir()
    assert bin_dir is not None
    senders = [profile.new_sender() for _ in range(2)]
    for sender in senders:
        for step in STEPS[:2]:
            answer_within(profile, sender, step)

    begun = time.monotonic()
    restarted = subprocess.run(
        [sys.executable, "-m", "deploy.postgres", "restart", str(profile.prod_dir / "pg")],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert restarted.returncode == 0, restarted.stderr
    reply, waited = answer_within(profile, senders[0], STEPS[2])
    measure("PostgreSQL restart (pg_ctl restart)", time.monotonic() - begun - waited)
    measure("first answer after PostgreSQL restart", waited)
    assert "貴社名" in reply

    redis_dir = profile.prod_dir / "redis"
    pid = int((redis_dir / "redis.pid").read_text().split()[0])
    assert profile.script("hold", "redis").returncode == 0  # the supervisor must not restart it yet
    try:
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not Path(f"/proc/{pid}").exists(), 20, "redis stopped", 0.05)
        status, body = profile.say(senders[1], STEPS[2], timeout=30)
        assert status == 200, (status, body)  # Redis down: no 5xx, a polite apology instead of silence
        down_reply = texts(body)
        assert down_reply == response_texts("utter_channel_")["utter_channel_error"], down_reply
    finally:
        assert profile.script("release", "redis").returncode == 0
    begun = time.monotonic()
    reply, waited = answer_within(profile, senders[1], STEPS[2])  # the supervisor starts Redis again
    measure("Redis killed, released → supervisor restarted it → answered", time.monotonic() - begun)
    assert "貴社名" in reply  # the message the customer sent again is handled as if first
    assert profile.health()["infra_restarts"].get("redis") == 1
    assert int((redis_dir / "redis.pid").read_text().split()[0]) != pid

    for index, sender in enumerate(senders):
        final = finish(profile, sender, f"株式会社再起動{index}", 3)
        assert "【受付番号】" in final and "深刻度B" in final
        assert user_texts(profile, sender)[0] == PROBLEM
    tickets = tickets_of(profile, senders)
    assert {sender: len(rows) for sender, rows in tickets.items()} == dict.fromkeys(senders, 1)
    assert all(rows[0][2] == "B" for rows in tickets.values())
    # Pool arithmetic: the server allows what every pool full needs, and that is what is in use at most.
    allowed = int(profile.query("SHOW max_connections")[0][0])
    assert allowed == required_connections(ProdSettings.from_env(profile.env))
    in_use = int(profile.query("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")[0][0])
    assert 0 < in_use <= allowed
    print(f"\n[prod] PostgreSQL: {in_use} client connections in use, max_connections {allowed}")


# ---------------------------------------------------------------------- kill -9 a replica
@dataclass
class Call:
    sender: str
    step: int
    started: float
    ended: float
    status: int


def test_kill_9_of_a_replica_mid_conversation(profile: Profile) -> None:
    conversations = 4
    senders = [profile.new_sender() for _ in range(conversations)]
    calls: list[Call] = []
    finals: dict[str, str] = {}
    failures: list[BaseException] = []
    barrier = threading.Barrier(conversations + 1, timeout=180)
    lock = threading.Lock()

    def converse(sender: str, company: str) -> None:
        try:
            for index, step in enumerate(STEPS):
                if index == KILL_BEFORE_STEP:
                    barrier.wait()
                for _attempt in range(3):  # a customer whose message failed sends it again
                    started = time.monotonic()
                    try:
                        status, body = profile.say(sender, step.format(company=company), timeout=60)
                    except OSError:  # timed out: recorded as status 0
                        status, body = 0, None
                    with lock:
                        calls.append(Call(sender, index, started, time.monotonic(), status))
                    if status == 200:
                        break
                    time.sleep(0.5)
                if index == len(STEPS) - 1:
                    finals[sender] = texts(body)
        except BaseException as error:  # reported by the main thread
            failures.append(error)
            barrier.abort()

    threads = [
        threading.Thread(target=converse, args=(sender, f"株式会社並行{n}"), daemon=True)
        for n, sender in enumerate(senders)
    ]
    for thread in threads:
        thread.start()
    before, port = profile.processes()["rasa-1"]["pid"], profile.processes()["rasa-1"]["port"]
    barrier.wait()
    time.sleep(0.15)  # the next messages are on their way to both replicas
    kill_sent = time.monotonic()
    os.kill(before, signal.SIGKILL)
    # A big process takes a moment to die; until its socket is closed the kernel still
    # accepts connections for it. "In flight" = sent before it was gone, answered after the kill.
    wait_for(lambda: not port_accepts(port), 10, "killed replica's port closed", 0.005)
    killed_at = time.monotonic()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    assert not any(thread.is_alive() for thread in threads)

    def diagnostics() -> str:
        slow = [line for line in (profile.prod_dir / "nginx" / "access.log").read_text().splitlines()
                if float(line.rsplit("rt=", 1)[-1] or 0) > 5]  # fmt: skip
        logs = {name: (profile.prod_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                for name in ("supervisor", "rasa-1", "rasa-2")}  # fmt: skip
        return f"kill at {kill_sent:.2f}; calls {calls}\nslow: {slow}\n{logs}"

    errors = [call for call in calls if call.status != 200]
    in_flight = [call for call in errors if call.started <= killed_at and call.ended >= kill_sent]
    assert errors == in_flight, diagnostics()  # only the requests in flight at the kill failed
    assert all(call.status == 502 for call in errors), diagnostics()
    assert len(errors) <= conversations
    print(f"\n[prod] kill -9: {len(errors)} request(s) in flight failed (502), {len(calls)} requests in all")
    measure("kill -9 → the replica's port closed (process gone)", killed_at - kill_sent)
    assert [call for call in calls if call.started > kill_sent]  # the conversations went on after the kill
    after_kill = [call.ended - call.started for call in calls if call.started > killed_at]
    if after_kill:
        measure("slowest answer after the kill (a resent message waits for the dead replica's lock)", max(after_kill))
    for sender in senders:
        assert "【受付番号】" in finals[sender] and "深刻度B" in finals[sender], finals[sender]
        assert user_texts(profile, sender)[:2] == STEPS[:2]  # the history from before the kill is intact
    tickets = tickets_of(profile, senders)
    assert {sender: len(rows) for sender, rows in tickets.items()} == dict.fromkeys(senders, 1)

    def back() -> bool:
        replica = next(r for r in profile.health()["replicas"] if r["name"] == "rasa-1")
        return bool(replica["healthy"] and replica["in_upstream"] and replica["pid"] not in (None, before))

    wait_for(back, 180, "rasa-1 restarted and healthy")
    measure("kill -9 → replica restarted, healthy and back in nginx", time.monotonic() - killed_at)
    after = profile.processes()["rasa-1"]
    assert after["pid"] != before and after["port"] == int(profile.env["PROD_RASA_PORTS"].split(",")[0])
    health = profile.health()
    assert health["status"] == "ok"
    assert next(r for r in health["replicas"] if r["name"] == "rasa-1")["restarts"] >= 1
    upstream = (profile.prod_dir / "nginx" / "upstream.conf").read_text()
    assert " down;" not in upstream
