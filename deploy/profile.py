"""Settings of the replicated production profile, the connection-pool arithmetic, and the
generated nginx and Redis configurations (``scripts/prod.sh``).

Everything comes from environment variables with defaults (README, "Production profile"):

=====================  =======  ==================================================
``PROD_DIR``           ``.state/prod``  state, configs, logs, pid files
``PROD_PORT``          8000     nginx, the only public entry point (127.0.0.1)
``RASA_REPLICAS``      2        ``rasa run`` replicas
``PROD_RASA_PORTS``    5501,…   comma-separated replica ports (default 5501 + i)
``PROD_ACTION_PORT``   5550     action server
``PROD_PG_PORT``       5532     own PostgreSQL (unless ``DATABASE_URL`` is given)
``PROD_REDIS_PORT``    6389     own Redis (unless ``REDIS_URL`` is given)
``SQL_POOL_SIZE`` / ``SQL_MAX_OVERFLOW``  5 / 5  Rasa tracker store pool, per replica
``DB_POOL_SIZE`` / ``DB_MAX_OVERFLOW``    5 / 5  ticket store pool (action server)
``PROD_PG_SPARE``      10       connections kept for operators (``make tickets``), health, tests
=====================  =======  ==================================================

Pool arithmetic: Rasa 3.6's ``SQLTrackerStore`` builds its engine with
``create_engine_kwargs`` → ``pool_size=SQL_POOL_SIZE`` (default 50!) and
``max_overflow=SQL_MAX_OVERFLOW`` (default 100!), so each replica may open up to
their sum; the action server's ticket store opens up to ``DB_POOL_SIZE +
DB_MAX_OVERFLOW`` (``tickets/settings.py``). PostgreSQL must therefore allow::

    RASA_REPLICAS × (SQL_POOL_SIZE + SQL_MAX_OVERFLOW) + (DB_POOL_SIZE + DB_MAX_OVERFLOW)
        + PROD_PG_SPARE + superuser_reserved_connections (3)

which ``required_connections`` computes; the own server is started with exactly that
``max_connections`` and ``prod.sh`` refuses to start when a given server allows fewer.

    python -m deploy.profile shell                 # validated settings as shell variables
    python -m deploy.profile nginx PREFIX [DOWN…]  # write nginx.conf and upstream.conf
    python -m deploy.profile redis DIR PASSWORD    # write redis.conf
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from channels.limits import (
    LINE_MAX_BODY_BYTES,
    REST_MAX_BODY_BYTES,
    SOCKETIO_MAX_PACKET_BYTES,
    TEAMS_MAX_BODY_BYTES,
)

ROOT = Path(__file__).resolve().parent.parent
SUPERUSER_RESERVED_CONNECTIONS = 3  # PostgreSQL's default
MAX_REPLICAS = 16


class SettingsError(ValueError):
    """An environment variable of the profile is invalid."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    return _int(env, name, default, 1, 65535)


@dataclass(frozen=True)
class ProdSettings:
    prod_dir: Path
    port: int
    replica_ports: tuple[int, ...]
    action_port: int
    pg_port: int
    redis_port: int
    sql_pool_size: int
    sql_max_overflow: int
    db_pool_size: int
    db_max_overflow: int
    pg_spare: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ProdSettings:
        env = os.environ if env is None else env
        replicas = _int(env, "RASA_REPLICAS", 2, 1, MAX_REPLICAS)
        listed = [p.strip() for p in env.get("PROD_RASA_PORTS", "").split(",") if p.strip()]
        if listed:
            if len(listed) != replicas:
                raise SettingsError(f"PROD_RASA_PORTS lists {len(listed)} ports for RASA_REPLICAS={replicas}")
            ports = tuple(_port({"PROD_RASA_PORTS": p}, "PROD_RASA_PORTS", 0) for p in listed)
        else:
            ports = tuple(5501 + index for index in range(replicas))
        prod_dir = Path(env.get("PROD_DIR") or ROOT / ".state" / "prod").expanduser().resolve()
        settings = cls(
            prod_dir=prod_dir,
            port=_port(env, "PROD_PORT", 8000),
            replica_ports=ports,
            action_port=_port(env, "PROD_ACTION_PORT", 5550),
            pg_port=_port(env, "PROD_PG_PORT", 5532),
            redis_port=_port(env, "PROD_REDIS_PORT", 6389),
            sql_pool_size=_int(env, "SQL_POOL_SIZE", 5, 1, 1000),
            sql_max_overflow=_int(env, "SQL_MAX_OVERFLOW", 5, 0, 1000),
            db_pool_size=_int(env, "DB_POOL_SIZE", 5, 1, 1000),
            db_max_overflow=_int(env, "DB_MAX_OVERFLOW", 5, 0, 1000),
            pg_spare=_int(env, "PROD_PG_SPARE", 10, 0, 1000),
        )
        used = [settings.port, *settings.replica_ports, settings.action_port, settings.pg_port, settings.redis_port]
        if len(set(used)) != len(used):
            raise SettingsError(f"the profile's ports must all differ, got {used}")
        return settings

    @property
    def replicas(self) -> int:
        return len(self.replica_ports)

    def replica_names(self) -> list[str]:
        return [f"rasa-{index + 1}" for index in range(self.replicas)]

    # ------------------------------------------------------------------ layout
    @property
    def nginx_prefix(self) -> Path:
        return self.prod_dir / "nginx"

    @property
    def health_file(self) -> Path:
        return self.nginx_prefix / "html" / "health.json"

    @property
    def health_down_marker(self) -> Path:
        """Exists while no replica is in service: nginx then answers /health with 503."""
        return self.nginx_prefix / "html" / "health.down"

    @property
    def processes_file(self) -> Path:
        return self.prod_dir / "processes.json"

    @property
    def hold_dir(self) -> Path:
        return self.prod_dir / "hold"

    @property
    def pg_root(self) -> Path:
        return self.prod_dir / "pg"

    @property
    def redis_dir(self) -> Path:
        return self.prod_dir / "redis"


def required_connections(settings: ProdSettings) -> int:
    """PostgreSQL ``max_connections`` the profile needs when every pool is full."""
    per_replica = settings.sql_pool_size + settings.sql_max_overflow
    actions = settings.db_pool_size + settings.db_max_overflow
    return settings.replicas * per_replica + actions + settings.pg_spare + SUPERUSER_RESERVED_CONNECTIONS


# ---------------------------------------------------------------------- nginx
def upstream_conf(ports: Sequence[int], down: Iterable[int] = ()) -> str:
    """Server lines of both upstreams. A replica out of service is marked ``down`` (not
    removed: that keeps ``ip_hash``'s mapping of the other clients); when every replica
    is down none is marked, so nginx still tries them rather than failing at once."""
    down_set = set(down)
    if down_set >= set(ports):
        down_set = set()
    lines = ["# Written by deploy/supervisor.py: replicas out of service are marked down."]
    for port in ports:
        mark = " down" if port in down_set else ""
        lines.append(f"server 127.0.0.1:{port} max_fails=1 fail_timeout=10s{mark};")
    return "\n".join(lines) + "\n"


def nginx_conf(settings: ProdSettings) -> str:
    prefix = settings.nginx_prefix
    proxy = f"""
            proxy_pass http://rasa_webhooks;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A refused/reset connection or a 502/503 goes to the next replica. nginx never
            # re-sends a POST that already reached a replica (no non_idempotent): a
            # replica that died while handling a message may have processed it.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries {settings.replicas};
            proxy_next_upstream_timeout 15s;
            proxy_connect_timeout 2s;
            proxy_send_timeout 60s;
            proxy_read_timeout 330s;  # Rasa waits up to 300 s for an action"""
    return f"""# Generated by deploy/profile.py (scripts/prod.sh) — edits are overwritten on start.
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    default_type application/octet-stream;
    log_format upstreamlog '$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent '
                           'upstream=$upstream_addr upstream_status=$upstream_status rt=$request_time';
    access_log {prefix}/access.log upstreamlog;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    server_tokens off;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}

    # REST, Teams, LINE: any replica (round robin); the conversation state is in
    # PostgreSQL and Redis serialises the messages of one conversation.
    # No upstream keepalive, on purpose: a request written on a cached connection to a
    # replica that just died counts as sent, and nginx never retries a sent POST; a new
    # connection to a dead replica is refused, which is retried on the next one.
    upstream rasa_webhooks {{
        include {prefix}/upstream.conf;
    }}

    # socket.io: a session lives in one replica's memory (engine.io sid, long-polling
    # then WebSocket upgrade), so every request of a client must reach the same
    # replica. ip_hash needs no cookie (the first polling request has no sid yet).
    upstream rasa_socketio {{
        ip_hash;
        include {prefix}/upstream.conf;
    }}

    server {{
        listen 127.0.0.1:{settings.port};

        # Body limits = channels/limits.py (each channel checks them again itself).
        location /webhooks/rest/ {{
            client_max_body_size {REST_MAX_BODY_BYTES};{proxy}
        }}
        location /webhooks/teams/ {{
            client_max_body_size {TEAMS_MAX_BODY_BYTES};{proxy}
        }}
        location /webhooks/ {{
            client_max_body_size {LINE_MAX_BODY_BYTES};{proxy}
        }}

        location /socket.io/ {{
            client_max_body_size {SOCKETIO_MAX_PACKET_BYTES};
            proxy_pass http://rasa_socketio;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_connect_timeout 2s;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
            proxy_buffering off;
        }}

        # Aggregate health, written by the supervisor every second: 200, or 503 (same JSON
        # body) while no replica is in service (the supervisor's marker file exists).
        location = /health {{
            default_type application/json;
            add_header Cache-Control no-store always;
            error_page 503 /health.json;
            if (-f {settings.health_down_marker}) {{
                return 503;
            }}
            alias {settings.health_file};
        }}
        location = /health.json {{
            internal;
            default_type application/json;
            add_header Cache-Control no-store always;
            alias {settings.health_file};
        }}

        location / {{
            return 404;
        }}
    }}
}}
"""


def write_nginx(settings: ProdSettings, down: Iterable[int] = ()) -> Path:
    prefix = settings.nginx_prefix
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi", "html"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(settings), encoding="utf-8")
    write_atomic(prefix / "upstream.conf", upstream_conf(settings.replica_ports, down))
    return conf


def write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# ---------------------------------------------------------------------- redis
def redis_conf(directory: Path, port: int, password: str) -> str:
    return f"""# Generated by deploy/profile.py (scripts/prod.sh).
# Conversation locks (Rasa's lock store) and the channels' redelivery ids: both are
# short-lived, so nothing is persisted to disk.
bind 127.0.0.1
protected-mode yes
port {port}
requirepass {password}
daemonize yes
pidfile {directory}/redis.pid
logfile {directory}/redis.log
dir {directory}
save ""
appendonly no
maxmemory 256mb
maxmemory-policy volatile-lru
"""


def shell_variables(settings: ProdSettings) -> dict[str, str]:
    return {
        "PROD_DIR": str(settings.prod_dir),
        "PROD_PORT": str(settings.port),
        "RASA_REPLICAS": str(settings.replicas),
        "PROD_RASA_PORTS": ",".join(str(p) for p in settings.replica_ports),
        "PROD_ACTION_PORT": str(settings.action_port),
        "PROD_PG_PORT": str(settings.pg_port),
        "PROD_REDIS_PORT": str(settings.redis_port),
        "SQL_POOL_SIZE": str(settings.sql_pool_size),
        "SQL_MAX_OVERFLOW": str(settings.sql_max_overflow),
        "DB_POOL_SIZE": str(settings.db_pool_size),
        "DB_MAX_OVERFLOW": str(settings.db_max_overflow),
        "PROD_REQUIRED_CONNECTIONS": str(required_connections(settings)),
    }


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        settings = ProdSettings.from_env()
    except SettingsError as error:
        print(f"prod: {error}", file=sys.stderr)
        return 1
    command = argv[1]
    if command == "shell":
        for name, value in shell_variables(settings).items():
            print(f"export {name}={shlex.quote(value)}")
    elif command == "nginx":
        print(write_nginx(settings))
    elif command == "redis" and len(argv) == 4:
        directory = Path(argv[2]).resolve()
        directory.mkdir(parents=True, exist_ok=True)
        conf = directory / "redis.conf"
        conf.touch(mode=0o600, exist_ok=True)
        conf.chmod(0o600)  # holds the password
        conf.write_text(redis_conf(directory, settings.redis_port, argv[3]), encoding="utf-8")
        print(conf)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
