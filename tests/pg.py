"""A throwaway PostgreSQL server for tests (Debian's ``postgresql`` package, not a mock).

``initdb`` refuses to run as root, so the cluster is created and run as the
``postgres`` OS user in a temporary directory, listening on 127.0.0.1 on a free port
with password (SCRAM) authentication over TCP. Absent binaries skip the tests, unless
``REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which makes them fail loudly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from deploy.postgres import as_postgres, find_bin_dir
from tests.live import free_port

PASSWORD = "pw-" + uuid.uuid4().hex[:12]  # per test session, never stored


__all__ = ["PostgresServer", "find_bin_dir", "start_server"]


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    started_in: float = 0.0
    _shared_database: str = ""

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def _as_postgres(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return as_postgres(*command, cwd=self.root, timeout=timeout)

    def start(self) -> None:
        begun = time.perf_counter()
        password_file = self.root / "pwfile"
        password_file.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        self._as_postgres(
            str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--pwfile", str(password_file),
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._as_postgres(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self.started_in = time.perf_counter() - begun

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its URL."""
        import psycopg2

        chosen = name or "t_" + uuid.uuid4().hex[:12]
        connection = psycopg2.connect(self.url())
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{chosen}"')
        finally:
            connection.close()
        return self.url(chosen)

    def create_schema(self) -> str:
        """A URL whose connections see only a new empty schema (``search_path``) in the shared
        ``tests`` database: as empty as a new database, and ~50× faster to create."""
        import psycopg2

        if not self._shared_database:
            self._shared_database = self.create_database("tests")
        chosen = "s_" + uuid.uuid4().hex[:12]
        connection = psycopg2.connect(self._shared_database)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{chosen}"')
        finally:
            connection.close()
        return f"{self._shared_database}?options=-csearch_path%3D{chosen}"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PostgresServer | None:
    """A running server, or None when PostgreSQL is not installed."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        return None
    server = PostgresServer(bin_dir, Path(tempfile.mkdtemp(prefix="pgtest-")), free_port())
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = server.root / "server.log"
        details = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        server.stop()
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{details}") from exc
    return server
