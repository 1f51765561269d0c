"""The supervisor's decisions, with stand-in processes (``sleep``) instead of Rasa servers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from deploy.profile import ProdSettings
from deploy.supervisor import Child, Supervisor


@pytest.fixture
def supervisor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Supervisor:
    monkeypatch.setenv("PROD_HUNG_SECONDS", "30")
    settings = ProdSettings.from_env({"PROD_DIR": str(tmp_path), "PROD_RASA_PORTS": "7001,7002"})
    (tmp_path / "nginx" / "html").mkdir(parents=True)
    chosen = Supervisor(settings, "model.tar.gz", {})
    reloads: list[str] = []
    monkeypatch.setattr(chosen, "reload_nginx", lambda: reloads.append((tmp_path / "nginx/upstream.conf").read_text()))
    chosen.reloads = reloads  # type: ignore[attr-defined]
    for child in chosen.children:
        child.command = [sys.executable, "-c", "import time; time.sleep(120)"]
    return chosen


def _stop_all(supervisor: Supervisor) -> None:
    for child in supervisor.children:
        supervisor.stop_child(child, kill=True)


def test_replicas_leave_and_rejoin_the_upstream_with_their_health(supervisor: Supervisor) -> None:
    rasa_1, rasa_2 = supervisor.replicas
    try:
        for child in supervisor.children:
            supervisor.start(child)
        supervisor.write_health()  # nothing healthy yet: nginx answers /health with 503
        assert supervisor.settings.health_down_marker.exists()
        assert json.loads(supervisor.settings.health_file.read_text())["status"] == "down"
        now = time.monotonic()
        for child in supervisor.children:
            supervisor.tend(child, True, now)
        supervisor.sync_upstream()
        upstream = supervisor.settings.nginx_prefix / "upstream.conf"
        assert " down;" not in upstream.read_text()
        supervisor.tend(rasa_2, False, now + 1)
        supervisor.sync_upstream()
        assert rasa_2.healthy  # one failed poll is not enough (PROD_FAIL_THRESHOLD=2)
        supervisor.tend(rasa_2, False, now + 2)
        supervisor.sync_upstream()
        assert not rasa_2.healthy
        assert "127.0.0.1:7002 max_fails=1 fail_timeout=10s down;" in upstream.read_text()
        assert supervisor.reloads  # type: ignore[attr-defined]
        supervisor.tend(rasa_2, True, now + 3)
        supervisor.sync_upstream()
        assert " down;" not in upstream.read_text()
        supervisor.write_health()
        health = json.loads(supervisor.settings.health_file.read_text())
        assert [r["in_upstream"] for r in health["replicas"]] == [True, True]
        assert health["status"] == "ok" and not supervisor.settings.health_down_marker.exists()
        assert rasa_1.healthy
    finally:
        _stop_all(supervisor)


def test_a_dead_replica_is_restarted_and_processes_json_follows(supervisor: Supervisor) -> None:
    rasa_1 = supervisor.replicas[0]
    try:
        supervisor.start(rasa_1)
        first = rasa_1.pid
        assert rasa_1.process is not None
        rasa_1.process.kill()
        rasa_1.process.wait(timeout=10)
        now = time.monotonic()
        supervisor.tend(rasa_1, False, now)  # exit seen: restart after the back-off (1 s)
        assert rasa_1.pid is None and rasa_1.restarts == 0
        supervisor.tend(rasa_1, False, now + 0.5)
        assert rasa_1.pid is None
        supervisor.tend(rasa_1, False, now + 1.5)
        assert rasa_1.pid not in (None, first) and rasa_1.restarts == 1
        supervisor.write_processes()
        entries = {e["name"]: e for e in json.loads(supervisor.settings.processes_file.read_text())}
        assert entries["rasa-1"] == {"name": "rasa-1", "pid": rasa_1.pid, "port": 7001}
        assert entries["supervisor"]["port"] is None
    finally:
        _stop_all(supervisor)


def test_hung_replica_is_killed_and_a_held_one_stays_stopped(supervisor: Supervisor) -> None:
    rasa_1, rasa_2 = supervisor.replicas
    try:
        supervisor.start(rasa_1)
        now = time.monotonic()
        supervisor.tend(rasa_1, True, now)
        supervisor.tend(rasa_1, False, now + 10)
        assert rasa_1.pid is not None  # silent 10 s: not yet hung
        supervisor.tend(rasa_1, False, now + 31)  # silent > PROD_HUNG_SECONDS
        assert rasa_1.pid is None

        supervisor.start(rasa_2)
        hold = supervisor.settings.hold_dir / "rasa-2"
        hold.parent.mkdir(parents=True, exist_ok=True)
        hold.touch()
        supervisor.tend(rasa_2, True, now)
        assert rasa_2.pid is None and not rasa_2.healthy
        supervisor.tend(rasa_2, False, now + 60)
        assert rasa_2.pid is None  # held: not restarted
        hold.unlink()
        supervisor.tend(rasa_2, False, now + 61)
        assert rasa_2.pid is not None
    finally:
        _stop_all(supervisor)


def test_children_run_with_the_profiles_pools_and_lock_lifetime(supervisor: Supervisor) -> None:
    replica: Child = supervisor.replicas[0]
    assert replica.env["SQL_POOL_SIZE"] == "5" and replica.env["SQL_MAX_OVERFLOW"] == "5"
    assert replica.env["TICKET_LOCK_LIFETIME"] == "15"
    assert replica.env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:5550/webhook"
    assert replica.health_url == "http://127.0.0.1:7001/webhooks/rest/"


def test_the_profiles_redis_is_started_again_when_it_is_gone(supervisor: Supervisor) -> None:
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    from deploy.profile import redis_conf
    from tests.live import free_port

    settings = supervisor.settings
    object.__setattr__(settings, "redis_port", free_port())
    settings.redis_dir.mkdir(parents=True)
    (settings.redis_dir / "redis.conf").write_text(redis_conf(settings.redis_dir, settings.redis_port, "pw"))
    pid_file = settings.redis_dir / "redis.pid"

    def pid() -> int | None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if pid_file.exists() and pid_file.read_text().strip():
                return int(pid_file.read_text().split()[0])
            time.sleep(0.05)
        return None

    try:
        now = time.monotonic()
        supervisor.tend_infra(now)
        first = pid()
        assert first is not None
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{first}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        supervisor.tend_infra(now + 0.5)  # back-off: not yet
        assert pid_file.read_text().split()[0] == str(first)
        supervisor.tend_infra(now + 2.5)
        second = pid()
        assert second not in (None, first)
        assert supervisor._infra_restarts == {"redis": 2}
    finally:
        current = pid() if pid_file.exists() else None
        if current is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(current, signal.SIGTERM)
