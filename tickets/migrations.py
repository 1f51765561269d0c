"""A tiny schema migration runner.

``MIGRATIONS`` is the ordered history of the schema; ``migrate(engine)`` creates
everything on an empty database and applies the missing steps to an older one, in one
transaction, holding a lock so that several processes starting at once (Rasa, the
action server, the command line) do it exactly once: ``pg_advisory_xact_lock`` on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite (engines from ``tickets.db.make_engine``).

Adding a change: append ``(n, "what", function)``; the function gets the connection
inside the locked transaction. Step 1 creates the tables from the current models, so a
later step that alters a table must be idempotent (``IF NOT EXISTS``, or inspect first).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine

from tickets.models import Base, IntakeTicket, OutboxRow, SchemaVersion, TicketCounter

ADVISORY_LOCK_KEY = 0x5053_7469_636B  # "PSticK": any constant shared by every process


def _v1_tables(conn: Connection) -> None:
    Base.metadata.create_all(conn, tables=[IntakeTicket.__table__, TicketCounter.__table__, OutboxRow.__table__])


def _v2_indexes(conn: Connection) -> None:
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_intake_tickets_received_at ON intake_tickets (received_at)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_outbox_due ON outbox (delivered_at, next_attempt_at)"))


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "tables intake_tickets, ticket_counters, outbox", _v1_tables),
    (2, "indexes on intake_tickets.received_at and due outbox rows", _v2_indexes),
]
LATEST = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    """0 for an empty database."""
    SchemaVersion.__table__.create(conn, checkfirst=True)
    version = conn.execute(select(SchemaVersion.version).where(SchemaVersion.id == 1)).scalar()
    return int(version or 0)


def migrate(engine: Engine, target: int | None = None) -> int:
    """Bring the schema to ``target`` (default: the latest); returns the version reached."""
    goal = LATEST if target is None else target
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        before = version = current_version(conn)
        for number, _description, step in MIGRATIONS:
            if version < number <= goal:
                step(conn)
                version = number
        now = datetime.now(timezone.utc)
        table = SchemaVersion.__table__
        if before == 0:
            conn.execute(table.insert().values(id=1, version=version, updated_at=now))
        elif version != before:
            conn.execute(table.update().where(table.c.id == 1).values(version=version, updated_at=now))
    return version
