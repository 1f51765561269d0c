"""Supervisor of the production profile: starts the action server and the Rasa replicas,
polls their health, keeps nginx's upstream to the healthy replicas, restarts what died.

Started (in the background) by ``scripts/prod.sh start`` after PostgreSQL, Redis and
nginx; ``scripts/prod.sh stop`` sends it SIGTERM and it stops its children.

Every ``PROD_HEALTH_INTERVAL`` seconds (default 1) it polls each replica's
``GET /webhooks/rest/`` and the action server's ``GET /health`` (2 s timeout each, in
parallel), and:

- a replica that fails ``PROD_FAIL_THRESHOLD`` polls in a row (default 2), or whose
  process exited, is marked ``down`` in ``$PROD_DIR/nginx/upstream.conf`` and nginx is
  reloaded (``nginx -s reload``: graceful, no connection is dropped); one healthy poll
  puts it back. nginx's own ``max_fails``/``proxy_next_upstream`` cover the second
  or two before that;
- a process that exited is started again (back-off 1, 2, 4 … 30 s between restarts of
  the same process; reset after a minute of health); one that answers no health
  check for ``PROD_HUNG_SECONDS`` (default 60, after having been healthy, or 300 s
  after a start) is killed and started again;
- the profile's own Redis and nginx are started again when their process is gone
  (back-off 2, 4 … 30 s); PostgreSQL is not (an operator decides about a database);
- ``$PROD_DIR/hold/<name>`` (``scripts/prod.sh hold rasa-2``) keeps a process stopped
  and out of the upstream for maintenance until the file is removed
  (``scripts/prod.sh release rasa-2``).

It writes ``$PROD_DIR/processes.json`` (``[{"name", "pid", "port"}]``, including
postgres, redis and nginx read from their pid files) whenever a pid changes, and
``$PROD_DIR/nginx/html/health.json`` (served by nginx as ``GET /health``: 200, or 503
while no replica is in service) every poll.
Logs: ``$PROD_DIR/supervisor.log``; each child's output in ``$PROD_DIR/<name>.log``
(Rasa's own log lines masked by ``logging.yml``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from deploy.profile import ProdSettings, upstream_conf, write_atomic

logger = logging.getLogger("deploy.supervisor")

ROOT = Path(__file__).resolve().parent.parent
HEALTH_TIMEOUT_SECONDS = 2.0
STOP_TIMEOUT_SECONDS = 20.0
STARTUP_GRACE_SECONDS = 300.0
MAX_BACKOFF_SECONDS = 30.0
STABLE_SECONDS = 60.0
DEFAULT_LOCK_LIFETIME_SECONDS = 15


def _float_env(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass
class Child:
    name: str
    port: int
    command: list[str]
    health_url: str
    env: dict[str, str]
    in_upstream: bool = False  # replicas only
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    healthy: bool = False
    ever_healthy: bool = False
    failures: int = 0
    last_ok: float = 0.0
    restarts: int = 0
    backoff_until: float = 0.0
    backoff: float = 1.0
    log: TextIO | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.poll() is None else None


def probe(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_SECONDS) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class Supervisor:
    def __init__(self, settings: ProdSettings, model: str, environ: dict[str, str]) -> None:
        self.settings = settings
        self.interval = _float_env("PROD_HEALTH_INTERVAL", 1.0)
        self.fail_threshold = int(_float_env("PROD_FAIL_THRESHOLD", 2))
        self.hung_seconds = _float_env("PROD_HUNG_SECONDS", 60.0)
        self.stopping = False
        rasa = str(Path(sys.executable).parent / "rasa")
        base = {**environ, "PYTHONPATH": str(ROOT)}
        action_env = {**base}
        replica_env = {
            **base,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{settings.action_port}/webhook",
            "SQL_POOL_SIZE": str(settings.sql_pool_size),
            "SQL_MAX_OVERFLOW": str(settings.sql_max_overflow),
            # Rasa's conversation lock expires after this long (Rasa's default: 60 s). A replica
            # killed while handling a message leaves its lock behind: its conversation waits
            # until it expires. Must exceed the time a message takes (about 1 s here).
            "TICKET_LOCK_LIFETIME": environ.get("TICKET_LOCK_LIFETIME") or str(DEFAULT_LOCK_LIFETIME_SECONDS),
        }
        self.actions = Child(
            "actions",
            settings.action_port,
            [rasa, "run", "actions", "--port", str(settings.action_port), "--actions", "actions",
             "--logging-config-file", "logging.yml"],
            f"http://127.0.0.1:{settings.action_port}/health",
            action_env,
        )  # fmt: skip
        self.replicas = [
            self._replica(rasa, name, port, model, replica_env)
            for name, port in zip(settings.replica_names(), settings.replica_ports, strict=True)
        ]
        self._upstream = ""
        self._processes = ""
        self._infra_restarts: dict[str, int] = {}
        self._infra_backoff: dict[str, float] = {}

    def _replica(self, rasa: str, name: str, port: int, model: str, env: dict[str, str]) -> Child:
        prod = self.settings.prod_dir
        command = [
            rasa, "run", "--model", model, "--port", str(port), "--credentials", str(prod / "credentials.yml"),
            "--endpoints", str(prod / "endpoints.yml"), "--logging-config-file", "logging.yml", "--cors", "*",
        ]  # fmt: skip
        return Child(name, port, command, f"http://127.0.0.1:{port}/webhooks/rest/", env)

    @property
    def children(self) -> list[Child]:
        return [self.actions, *self.replicas]

    # ---------------------------------------------------------------- processes
    def held(self, child: Child) -> bool:
        return (self.settings.hold_dir / child.name).exists()

    def start(self, child: Child) -> None:
        if child.log is None:
            child.log = (self.settings.prod_dir / f"{child.name}.log").open("a", encoding="utf-8")
        child.log.write(f"--- {dt.datetime.now().astimezone().isoformat()} supervisor: starting {child.name}\n")
        child.log.flush()
        child.process = subprocess.Popen(
            child.command, cwd=ROOT, env=child.env, stdin=subprocess.DEVNULL, stdout=child.log, stderr=subprocess.STDOUT
        )
        child.started_at = time.monotonic()
        child.healthy = False
        child.failures = 0
        logger.info("started %s (pid %d, port %d)", child.name, child.process.pid, child.port)

    def stop_child(self, child: Child, *, kill: bool = False) -> None:
        process = child.process
        if process is None or process.poll() is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        child.healthy = False

    def tend(self, child: Child, ok: bool, now: float) -> None:
        """Update one child's state from its poll; restart it when needed."""
        if self.held(child):
            if child.pid is not None:
                logger.info("%s is held: stopping it", child.name)
                self.stop_child(child)
            child.process = None  # released later: started at once, no back-off
            child.healthy = False
            return
        process = child.process
        if process is None or process.poll() is not None:
            if process is not None:
                logger.warning("%s exited with code %s", child.name, process.returncode)
                child.process = None
                child.healthy = False
                child.backoff_until = now + child.backoff
                child.backoff = min(child.backoff * 2, MAX_BACKOFF_SECONDS)
            if now >= child.backoff_until:
                if child.started_at:
                    child.restarts += 1
                self.start(child)
            return
        if ok:
            if not child.healthy:
                logger.info("%s is healthy (%.1f s after its start)", child.name, now - child.started_at)
            child.healthy = child.ever_healthy = True
            child.failures = 0
            child.last_ok = now
            if now - child.started_at > STABLE_SECONDS:
                child.backoff = 1.0
            return
        child.failures += 1
        if child.healthy and child.failures >= self.fail_threshold:
            logger.warning("%s failed %d health checks in a row", child.name, child.failures)
            child.healthy = False
        if child.last_ok > child.started_at:  # answered since this start: hung now
            silent_since, limit = child.last_ok, self.hung_seconds
        else:  # still starting (loading the model)
            silent_since, limit = child.started_at, STARTUP_GRACE_SECONDS
        if now - silent_since > limit:
            logger.error("%s has not answered for %.0f s: killing and restarting it", child.name, now - silent_since)
            self.stop_child(child, kill=True)

    # ---------------------------------------------------------------- outputs
    def reload_nginx(self) -> None:
        prefix = self.settings.nginx_prefix
        command = ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
        try:
            subprocess.run([*command, "-s", "reload"], check=True, capture_output=True, timeout=10)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            logger.error("nginx reload failed: %s", getattr(error, "stderr", b"") or error)

    def sync_upstream(self) -> None:
        for replica in self.replicas:
            replica.in_upstream = replica.healthy
        down = [r.port for r in self.replicas if not r.healthy]
        text = upstream_conf(self.settings.replica_ports, down)
        if text != self._upstream:
            write_atomic(self.settings.nginx_prefix / "upstream.conf", text)
            if self._upstream:
                self.reload_nginx()
            self._upstream = text
            logger.info("upstream: %s", ", ".join(f"{r.name}={'up' if r.healthy else 'down'}" for r in self.replicas))

    def _infra_commands(self) -> dict[str, tuple[Path, list[str]]]:
        """Redis and nginx as this profile runs them: pid file and start command (PostgreSQL
        is left to the operator: restarting a database in a loop can do harm)."""
        settings = self.settings
        prefix = settings.nginx_prefix
        commands: dict[str, tuple[Path, list[str]]] = {}
        redis_conf = settings.redis_dir / "redis.conf"
        if redis_conf.exists():
            commands["redis"] = (settings.redis_dir / "redis.pid", ["redis-server", str(redis_conf)])
        if (prefix / "nginx.conf").exists():
            nginx = ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")]
            commands["nginx"] = (prefix / "nginx.pid", nginx)
        return commands

    def tend_infra(self, now: float) -> None:
        """Start Redis or nginx again when its process is gone (both daemonize themselves)."""
        for name, (pid_file, command) in self._infra_commands().items():
            pid = read_pid(pid_file)
            if (pid is not None and pid_alive(pid)) or (self.settings.hold_dir / name).exists():
                continue
            if now < self._infra_backoff.get(name, 0.0):
                continue
            self._infra_restarts[name] = self._infra_restarts.get(name, 0) + 1
            delay = min(2.0 ** self._infra_restarts[name], MAX_BACKOFF_SECONDS)
            self._infra_backoff[name] = now + delay
            logger.warning("%s is not running: starting it again", name)
            pid_file.unlink(missing_ok=True)
            try:
                subprocess.run(
                    command, check=True, capture_output=True, timeout=30, stdin=subprocess.DEVNULL, cwd=ROOT
                )
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
                logger.error("could not start %s: %s", name, getattr(error, "stderr", b"") or error)

    def infra(self) -> list[dict[str, Any]]:
        settings = self.settings
        entries: list[dict[str, Any]] = []
        pg_pid = read_pid(settings.pg_root / "data" / "postmaster.pid")
        if pg_pid is not None:
            entries.append({"name": "postgres", "pid": pg_pid, "port": settings.pg_port})
        redis_pid = read_pid(settings.redis_dir / "redis.pid")
        if redis_pid is not None:
            entries.append({"name": "redis", "pid": redis_pid, "port": settings.redis_port})
        nginx_pid = read_pid(settings.nginx_prefix / "nginx.pid")
        if nginx_pid is not None:
            entries.append({"name": "nginx", "pid": nginx_pid, "port": settings.port})
        return entries

    def write_processes(self) -> None:
        entries = [{"name": c.name, "pid": c.pid, "port": c.port} for c in self.replicas]
        entries.append({"name": self.actions.name, "pid": self.actions.pid, "port": self.actions.port})
        entries.extend(self.infra())
        entries.append({"name": "supervisor", "pid": os.getpid(), "port": None})
        text = json.dumps([e for e in entries if e["pid"] is not None], indent=2) + "\n"
        if text != self._processes:
            write_atomic(self.settings.processes_file, text)
            self._processes = text

    def write_health(self) -> None:
        healthy = [r for r in self.replicas if r.healthy]
        redis_ok = port_open(self.settings.redis_port) if (self.settings.redis_dir / "redis.pid").exists() else None
        pg_ok = port_open(self.settings.pg_port) if (self.settings.pg_root / "data").exists() else None
        if not healthy:
            status = "down"
        elif len(healthy) == len(self.replicas) and self.actions.healthy and False not in (redis_ok, pg_ok):
            status = "ok"
        else:
            status = "degraded"

        def describe(child: Child) -> dict[str, Any]:
            return {
                "name": child.name,
                "port": child.port,
                "pid": child.pid,
                "healthy": child.healthy,
                "held": self.held(child),
                "restarts": child.restarts,
            }

        document = {
            "status": status,
            "updated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "replicas": [{**describe(r), "in_upstream": r.in_upstream} for r in self.replicas],
            "actions": describe(self.actions),
            "redis": redis_ok,
            "postgres": pg_ok,
            "infra_restarts": dict(self._infra_restarts),
        }
        self.settings.health_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.settings.health_file, json.dumps(document, ensure_ascii=False) + "\n")
        os.chmod(self.settings.health_file, 0o644)
        marker = self.settings.health_down_marker
        if status == "down":
            marker.touch()
        else:
            marker.unlink(missing_ok=True)

    # ---------------------------------------------------------------- loop
    def run(self) -> int:
        for child in self.children:
            if not self.held(child):
                self.start(child)
        self.write_processes()
        with ThreadPoolExecutor(max_workers=len(self.children)) as pool:
            while not self.stopping:
                began = time.monotonic()
                polls = list(pool.map(lambda c: c.pid is not None and probe(c.health_url), self.children))
                now = time.monotonic()
                for child, ok in zip(self.children, polls, strict=True):
                    if self.stopping:
                        break
                    self.tend(child, ok, now)
                self.tend_infra(now)
                self.sync_upstream()
                self.write_processes()
                self.write_health()
                remaining = self.interval - (time.monotonic() - began)
                if remaining > 0 and not self.stopping:
                    time.sleep(remaining)
        logger.info("stopping")
        for child in reversed(self.children):
            with contextlib.suppress(Exception):
                self.stop_child(child)
        self.write_processes()
        return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stdout)
    settings = ProdSettings.from_env()
    model = os.environ.get("PROD_MODEL", "")
    if not model:
        print("PROD_MODEL is not set", file=sys.stderr)
        return 2
    supervisor = Supervisor(settings, model, dict(os.environ))

    def stop(signum: int, _frame: Any) -> None:
        logger.info("signal %d received", signum)
        supervisor.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
