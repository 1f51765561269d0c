"""Live servers for end-to-end and browser tests: an action server and a Rasa server per clock.

Each ``Desk`` runs the real `rasa run actions` and `rasa run` processes on free
ports with a frozen ``DESK_NOW`` and its own SQLite tracker store, and talks to the
REST channel exactly as a website or the terminal chat does. Conversations and intake
tickets go to the desk's own SQLite file (``desk.db`` in its temporary folder) unless
``extra_env`` sets ``DATABASE_URL``; ``scripts/endpoints.py`` writes the endpoints.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).parent / "rasa")
INSIDE_HOURS = "2026-11-25T10:00:00+09:00"  # Wednesday morning
SATURDAY_NIGHT = "2026-11-28T22:00:00+09:00"


# Ports the project's own servers use by default: never hand them out.
RESERVED_PORTS = frozenset({5005, 5055, 5105, 5155, 5405, 5455, 8080, *range(5200, 5300)})
# ... and the production profile's defaults (scripts/prod.sh, deploy/profile.py).
RESERVED_PORTS = RESERVED_PORTS | {8000, 5550, 5532, 6389, *range(5501, 5517)}


def newest_model() -> str | None:
    """The model to run: ``$TRIAGE_MODEL`` (set by `make test`), else the newest in
    ``models/``, else None (nothing trained yet)."""
    chosen = os.environ.get("TRIAGE_MODEL")
    if chosen:
        return chosen
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return str(models[-1]) if models else None


def free_port() -> int:
    """A free 127.0.0.1 port, never one of RESERVED_PORTS."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port


def http(method: str, url: str, body: Any = None, raw: bytes | None = None, timeout: float = 60) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode("utf-8") if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode("utf-8")
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


class WebhookReceiver:
    """A local HTTP endpoint that records every POST (agents' or ticketing webhook)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received.append({"headers": dict(self.headers.items()), "body": body})
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def events(self) -> list[str]:
        return [str(r["headers"].get("X-PS-Event")) for r in self.requests]

    def wait_for(self, event: str, ticket_no: str, limit: float = 30) -> dict[str, Any]:
        """The first delivery of ``event`` for that ticket (deliveries are asynchronous)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            for request in list(self.requests):
                if request["headers"].get("X-PS-Event") != event:
                    continue
                if json.loads(request["body"]).get("ticket", {}).get("ticket_no") == ticket_no:
                    return request
            time.sleep(0.2)
        raise AssertionError(f"no {event} delivery for {ticket_no}; got {self.events()}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Desk:
    now: str
    tmp: Path
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    credentials: str = "credentials.yml"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self, model: str) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DESK_NOW": self.now,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.action_port}/webhook",
            "DATABASE_URL": f"sqlite:///{self.tmp / 'desk.db'}",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            **self.extra_env,
        }
        logs = self.tmp / "logs"
        logs.mkdir(exist_ok=True)
        endpoints = self.tmp / "endpoints.yml"
        subprocess.run(
            [sys.executable, str(ROOT / "scripts/endpoints.py"), str(endpoints)],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        commands = [
            [RASA, "run", "actions", "--port", str(self.action_port), "--actions", "actions",
             "--logging-config-file", "logging.yml"],
            [RASA, "run", "--model", model, "--port", str(self.rasa_port), "--enable-api",
             "--credentials", self.credentials, "--endpoints", str(endpoints), "--logging-config-file", "logging.yml"],
        ]  # fmt: skip
        for index, command in enumerate(commands):
            log = (logs / f"{index}.log").open("wb")
            self.processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))

    def wait_ready(self, limit: float = 300) -> None:
        deadline = time.monotonic() + limit
        for url in (f"http://127.0.0.1:{self.action_port}/health", f"{self.url}/status"):
            while True:
                try:
                    if http("GET", url, timeout=3)[0] == 200:
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
                if any(p.poll() is not None for p in self.processes) or time.monotonic() > deadline:
                    logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in (self.tmp / "logs").glob("*.log"))
                    raise RuntimeError(f"servers did not start:\n{logs}")
                time.sleep(1)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    # ------------------------------------------------------------ conversation
    def new_sender(self) -> str:
        return f"e2e-{uuid.uuid4().hex[:10]}"

    def say(self, sender: str, message: str) -> list[dict[str, Any]]:
        status, replies = http("POST", f"{self.url}/webhooks/rest/webhook", {"sender": sender, "message": message})
        assert status == 200, replies
        assert isinstance(replies, list)
        return replies

    def tracker(self, sender: str) -> dict[str, Any]:
        status, tracker = http("GET", f"{self.url}/conversations/{sender}/tracker")
        assert status == 200, tracker
        assert isinstance(tracker, dict)
        return tracker

    def responses_after(self, sender: str, skip: int = 0) -> list[str]:
        """Response names the bot sent, in order (from the tracker's bot events)."""
        names = [
            (e.get("metadata") or {}).get("utter_action") or "?"
            for e in self.tracker(sender)["events"]
            if e.get("event") == "bot"
        ]
        return names[skip:]


@contextmanager
def running(desks: dict[str, Desk], model_path: str) -> Iterator[dict[str, Desk]]:
    """Start every desk (all at once, then wait for each), stop them all afterwards."""
    try:
        for desk in desks.values():
            desk.start(model_path)
        for desk in desks.values():
            desk.wait_ready()
        yield desks
    finally:
        for desk in desks.values():
            desk.stop()
