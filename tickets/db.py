"""Engine creation for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.engine import create_engine as sa_create_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 5) -> Engine:
    """An engine for ``url``.

    SQLite: WAL journal, 10 s busy timeout, usable from several threads, and every
    transaction opened with ``BEGIN IMMEDIATE`` so concurrent writers queue up instead of
    failing on lock upgrades (ticket numbering, outbox claims and migrations rely on it).
    PostgreSQL: explicit pool size/overflow and pre-ping.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = sa_create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 10})

        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (pysqlite quirk)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)

        return engine
    return sa_create_engine(url, future=True, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True)
