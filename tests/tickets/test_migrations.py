"""Schema creation and upgrade, also with several processes starting at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import inspect, text

from tests.tickets.helpers import draft
from tickets.db import make_engine
from tickets.migrations import LATEST, migrate
from tickets.store import TicketStore

ROOT = Path(__file__).resolve().parents[2]


def _indexes(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {index["name"] for index in inspect(engine).get_indexes("intake_tickets")}
    finally:
        engine.dispose()


def _versions(url: str) -> list[int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [int(v) for v in conn.execute(text("SELECT version FROM schema_version")).scalars()]
    finally:
        engine.dispose()


def test_empty_database_gets_everything(database_url: str) -> None:
    engine = make_engine(database_url)
    assert migrate(engine) == LATEST == 2
    assert migrate(engine) == 2  # a second run changes nothing
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"intake_tickets", "ticket_counters", "outbox", "schema_version"} <= tables
    assert "ix_intake_tickets_received_at" in _indexes(database_url)
    assert _versions(database_url) == [2]


def test_version_1_database_is_upgraded(database_url: str) -> None:
    engine = make_engine(database_url)
    assert migrate(engine, target=1) == 1
    engine.dispose()
    assert "ix_intake_tickets_received_at" not in _indexes(database_url)
    assert _versions(database_url) == [1]
    old = TicketStore(database_url)  # opening the store migrates
    ticket = old.create_ticket(draft())
    old.dispose()
    assert _versions(database_url) == [2]
    assert "ix_intake_tickets_received_at" in _indexes(database_url)
    reopened = TicketStore(database_url)
    assert reopened.get(ticket.ticket_no) == ticket
    reopened.dispose()


MIGRATE = """
import sys, time
from tickets.db import make_engine
from tickets.migrations import migrate
engine = make_engine(sys.argv[1])
with engine.connect():
    pass
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
print(migrate(engine))
"""


def test_two_processes_and_four_threads_at_once(database_url: str) -> None:
    start_at = time.time() + 2.0  # both interpreters are loaded and connected by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, database_url, str(start_at)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results: list[int | Exception] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        engine = make_engine(database_url)
        try:
            barrier.wait()
            results.append(migrate(engine))
        except Exception as exc:  # collected and asserted below
            results.append(exc)
        finally:
            engine.dispose()

    time.sleep(max(0.0, start_at - time.time()))
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert [out.strip() for out, _err in outputs] == ["2", "2"]
    assert results == [2, 2, 2, 2]
    assert _versions(database_url) == [2]
