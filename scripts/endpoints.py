"""Write the effective Rasa endpoints: endpoints.yml plus a tracker store on the same
database as the intake tickets (``DATABASE_URL``), and — when ``REDIS_URL`` is set (the
production profile, ``scripts/prod.sh``) — a Redis lock store, so that several Rasa
replicas never process two messages of one conversation at the same time.

- SQLite (the default, ``sqlite:///<repo>/.state/desk.db``): ``dialect: sqlite`` and the
  same file, so conversations and tickets live side by side and survive a restart;
- PostgreSQL (``postgresql://user:password@host:5432/db?sslmode=require``):
  ``dialect: postgresql`` with url (the host: that is what Rasa 3.6 reads), port, db,
  username, password and query options.

The file can hold the database password, so it is written with mode 0600 under
``.state/`` (never under version control), like ``scripts/credentials.py`` does.

    python scripts/endpoints.py OUT.yml      # prints where conversations are stored
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from tickets.settings import TicketSettings, normalise_database_url  # noqa: E402


class Quoted(str):
    """Written double-quoted: Rasa expands ``${VAR}`` only in plain YAML scalars, and a password
    may contain ``$``."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Quoted, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, '"'))


def tracker_store_config(database_url: str) -> dict[str, Any]:
    """Rasa ``SQLTrackerStore`` settings for the same database as ``database_url``."""
    url = make_url(normalise_database_url(database_url))
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("the tracker store needs a SQLite file, not an in-memory database")
        return {"type": "SQL", "dialect": "sqlite", "db": str(Path(url.database).expanduser().resolve())}
    if backend == "postgresql":
        # Rasa 3.6 passes the endpoint's ``url`` as the SQL host (a ``host`` key would clash).
        config: dict[str, Any] = {"type": "SQL", "dialect": url.drivername, "url": url.host or "localhost"}
        if url.port:
            config["port"] = int(url.port)
        config["db"] = url.database or "postgres"
        if url.username:
            config["username"] = url.username
        if url.password:
            config["password"] = Quoted(url.password)
        if url.query:
            config["query"] = {
                key: value if isinstance(value, str) else ",".join(value) for key, value in url.query.items()
            }
        return config
    raise ValueError(f"DATABASE_URL must be sqlite:// or postgresql://, got {backend}://")


# Redis database and key prefix of Rasa's conversation locks (the channels' dedupe keys
# use the database in REDIS_URL with their own prefix).
LOCK_STORE_KEY_PREFIX = "desk"
LOCK_STORE_SOCKET_TIMEOUT = 5  # seconds; a Redis that does not answer fails the message, never hangs it


def lock_store_config(redis_url: str) -> dict[str, Any]:
    """Rasa ``RedisLockStore`` settings for ``redis[s]://[[user]:password@]host[:port][/db]``."""
    parts = urlsplit(redis_url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"REDIS_URL must be redis:// or rediss://, got {parts.scheme or '(none)'}://")
    database = parts.path.lstrip("/") or "0"
    if not database.isdigit():
        raise ValueError(f"REDIS_URL database must be a number, got {database!r}")
    try:
        port = parts.port or 6379
    except ValueError as error:
        raise ValueError(f"REDIS_URL port: {error}") from None
    config: dict[str, Any] = {"type": "redis", "url": parts.hostname or "localhost", "port": port, "db": int(database)}
    if parts.username:
        config["username"] = unquote(parts.username)
    if parts.password:
        config["password"] = Quoted(unquote(parts.password))
    if parts.scheme == "rediss":
        config["use_ssl"] = True
    config["key_prefix"] = LOCK_STORE_KEY_PREFIX
    config["socket_timeout"] = LOCK_STORE_SOCKET_TIMEOUT
    return config


def effective_endpoints(base: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    result = dict(base)
    result["tracker_store"] = tracker_store_config(TicketSettings.from_env(env).database_url)
    redis_url = env.get("REDIS_URL", "").strip()
    if redis_url:
        result["lock_store"] = lock_store_config(redis_url)
    return result


def describe(config: Mapping[str, Any]) -> str:
    store = config["tracker_store"]
    if store["dialect"] == "sqlite":
        text = f"conversations: SQLite {store['db']}"
    else:
        text = f"conversations: PostgreSQL {store['url']}:{store.get('port', 5432)}/{store['db']}"
    lock = config.get("lock_store")
    if lock:
        text += f"; locks: Redis {lock['url']}:{lock['port']}/{lock['db']}"
    return text


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with (ROOT / "endpoints.yml").open(encoding="utf-8") as handle:
        base = yaml.safe_load(handle) or {}
    try:
        config = effective_endpoints(base, os.environ)
    except ValueError as exc:
        print(f"endpoints: {exc}", file=sys.stderr)
        return 1
    out = Path(argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.touch(mode=0o600, exist_ok=True)
    out.chmod(0o600)  # may hold the database password
    out.write_text(yaml.dump(config, Dumper=_Dumper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print(describe(config))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
