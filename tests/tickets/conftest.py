"""Fixtures for the ticket tests: stores on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import PostgresServer, start_server
from tickets.store import TicketStore


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster per test session."""
    server = start_server()
    if server is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)")
        pytest.skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb)")
    print(f"\nPostgreSQL {server.bin_dir.parent.name} started in {server.started_in:.2f} s on port {server.port}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'desk.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_schema()


@pytest.fixture
def store(database_url: str) -> Iterator[TicketStore]:
    chosen = TicketStore(database_url, pool_size=5, max_overflow=25, targets={"ticket", "agent"})
    try:
        yield chosen
    finally:
        chosen.dispose()
