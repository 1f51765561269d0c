"""Fixtures of the production-profile tests: a real ``redis-server`` on a free port, and the
whole profile started by ``scripts/prod.sh`` on free ports in a temporary ``PROD_DIR``.

Without nginx, Redis or PostgreSQL installed the tests skip with the reason, unless
``REQUIRE_PROD=1`` (set by ``.ci/run``): then they fail, so CI cannot skip them silently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from deploy.postgres import find_bin_dir
from tests.live import INSIDE_HOURS, free_port, http

ROOT = Path(__file__).resolve().parents[2]
PROD_SH = ROOT / "scripts" / "prod.sh"


def require(*names: str) -> None:
    """Skip (or fail with REQUIRE_PROD=1) when one of the named programs is missing."""
    found = {
        "nginx": shutil.which("nginx") is not None,
        "redis-server": shutil.which("redis-server") is not None,
        "postgresql": find_bin_dir() is not None,
    }
    missing = [name for name in names if not found[name]]
    if not missing:
        return
    reason = f"not installed: {', '.join(missing)} (apt-get install nginx redis-server postgresql)"
    if os.environ.get("REQUIRE_PROD") == "1":
        pytest.fail(f"REQUIRE_PROD=1 but {reason}")
    pytest.skip(reason)


@dataclass
class RedisServer:
    port: int
    root: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.root)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    require("redis-server")
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


@dataclass
class Profile:
    """The running profile: its URL, environment and state directory."""

    prod_dir: Path
    env: dict[str, str]
    started_in: float = 0.0
    state: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.state["PROD_URL"]

    def script(self, *args: str, timeout: float = 420) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PROD_SH), *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def processes(self) -> dict[str, dict[str, Any]]:
        entries = json.loads((self.prod_dir / "processes.json").read_text())
        return {entry["name"]: entry for entry in entries}

    def health(self) -> dict[str, Any]:
        status, body = http("GET", f"{self.url}/health", timeout=5)
        assert status == 200, body
        assert isinstance(body, dict)
        return body

    def say(self, sender: str, message: str, timeout: float = 60) -> tuple[int, Any]:
        body = {"sender": sender, "message": message}
        return http("POST", f"{self.url}/webhooks/rest/webhook", body, timeout=timeout)

    def new_sender(self) -> str:
        return f"prod-{uuid.uuid4().hex[:10]}"

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg2

        connection = psycopg2.connect(self.state["DATABASE_URL"], connect_timeout=5)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        finally:
            connection.close()


def read_env_file(path: Path) -> dict[str, str]:
    """The values of ``$PROD_DIR/env`` as the shell sees them."""
    output = subprocess.run(
        ["bash", "-c", f'source "{path}" && printf "%s\\0%s\\0%s" "$PROD_URL" "$DATABASE_URL" "$REDIS_URL"'],
        capture_output=True, text=True, check=True, timeout=10,
    ).stdout  # fmt: skip
    url, database, redis_url = output.split("\0")
    return {"PROD_URL": url, "DATABASE_URL": database, "REDIS_URL": redis_url}


@pytest.fixture(scope="module")
def profile(model_path: str) -> Iterator[Profile]:
    require("nginx", "redis-server", "postgresql")
    # mkdtemp is private (0700): the postgres user and nginx's workers must reach it.
    prod_dir = Path(tempfile.mkdtemp(prefix="prod-"))
    prod_dir.chmod(0o755)
    ports = [free_port() for _ in range(6)]
    while len(set(ports)) < len(ports):  # pragma: no cover - free_port rarely repeats
        ports = [free_port() for _ in range(6)]
    env = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "PROD_DIR")
    }
    env.update(
        PROD_DIR=str(prod_dir),
        PROD_PORT=str(ports[0]),
        RASA_REPLICAS="2",
        PROD_RASA_PORTS=f"{ports[1]},{ports[2]}",
        PROD_ACTION_PORT=str(ports[3]),
        PROD_PG_PORT=str(ports[4]),
        PROD_REDIS_PORT=str(ports[5]),
        PROD_MODEL=model_path,
        DESK_NOW=INSIDE_HOURS,
        PROD_START_TIMEOUT="300",
    )
    running = Profile(prod_dir, env)
    begun = time.monotonic()
    result = running.script("start")
    running.started_in = time.monotonic() - begun
    try:
        if result.returncode != 0:
            logs = "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in prod_dir.glob("*.log"))
            pytest.fail(f"prod.sh start failed ({result.returncode}):\n{result.stderr[-3000:]}\n{logs}")
        running.state = read_env_file(prod_dir / "env")
        assert result.stdout.strip().splitlines()[-1] == running.url == f"http://127.0.0.1:{ports[0]}"
        yield running
    finally:
        stopped = running.script("stop", timeout=180)
        assert stopped.returncode == 0, stopped.stderr
        if os.environ.get("PROD_KEEP_DIR") == "1":  # to read the logs after a failure
            print(f"\n[prod] state kept in {prod_dir}")
        else:
            shutil.rmtree(prod_dir, ignore_errors=True)
