"""A local PostgreSQL cluster from Debian's ``postgresql`` package, root-safe.

``initdb`` and ``postgres`` refuse to run as root, so as root every command runs as the
``postgres`` OS user (``runuser``) and the cluster's directory is handed to that user;
as any other user the commands run directly. Used by the production profile
(``scripts/prod.sh``, data in ``$PROD_DIR/pg``) and by the tests' throwaway servers
(``tests/pg.py``).

    python -m deploy.postgres init DIR PASSWORD_FILE      # initdb into DIR/data (once)
    python -m deploy.postgres start DIR PORT MAX_CONNECTIONS
    python -m deploy.postgres stop DIR | restart DIR | pid DIR
    python -m deploy.postgres createdb URL NAME           # CREATE DATABASE unless it exists
    python -m deploy.postgres max-connections URL         # SHOW max_connections
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

START_TIMEOUT_SECONDS = 60


def find_bin_dir() -> Path | None:
    """The newest installed ``/usr/lib/postgresql/<version>/bin``, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def as_postgres(*command: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as the ``postgres`` user when we are root, else as ourselves."""
    runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*runner, *command], check=True, capture_output=True, text=True, timeout=timeout, cwd=cwd)


def hand_over(*paths: Path) -> None:
    """Give ``paths`` to the ``postgres`` user (only as root)."""
    if os.geteuid() == 0:
        for path in paths:
            shutil.chown(path, "postgres", "postgres")


def init_cluster(bin_dir: Path, root: Path, password_file: Path) -> None:
    """``initdb`` into ``root/data``: superuser ``postgres`` with the password in
    ``password_file``, trust on the Unix socket, SCRAM over TCP, UTF-8, C locale."""
    hand_over(root, password_file)
    as_postgres(
        str(bin_dir / "initdb"), "-D", str(root / "data"), "-U", "postgres", "--pwfile", str(password_file),
        "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
        cwd=root,
    )  # fmt: skip


def server_options(port: int, socket_dir: Path, max_connections: int, *, fsync: bool = True) -> str:
    options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c max_connections={max_connections}"
    return options if fsync else options + " -c fsync=off"


def pg_ctl(bin_dir: Path, root: Path, action: str, *extra: str, timeout: float = START_TIMEOUT_SECONDS + 10) -> None:
    as_postgres(
        str(bin_dir / "pg_ctl"), "-D", str(root / "data"), *extra, "-w", "-t", str(START_TIMEOUT_SECONDS), action,
        cwd=root, timeout=timeout,
    )  # fmt: skip


def start(bin_dir: Path, root: Path, options: str) -> None:
    pg_ctl(bin_dir, root, "start", "-o", options, "-l", str(root / "server.log"))


def stop(bin_dir: Path, root: Path) -> None:
    pg_ctl(bin_dir, root, "stop", "-m", "fast")


def restart(bin_dir: Path, root: Path) -> None:
    """Restart with the options it was started with (``postmaster.opts``)."""
    pg_ctl(bin_dir, root, "restart", "-m", "fast", "-l", str(root / "server.log"))


def postmaster_pid(root: Path) -> int | None:
    try:
        return int((root / "data" / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def create_database(url: str, name: str) -> None:
    import psycopg2

    connection = psycopg2.connect(url, connect_timeout=10)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def max_connections(url: str) -> int:
    import psycopg2

    connection = psycopg2.connect(url, connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW max_connections")
            row = cursor.fetchone()
    finally:
        connection.close()
    return int(row[0]) if row else 0


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    command, args = argv[1], argv[2:]
    if command in ("createdb", "max-connections"):
        if command == "createdb":
            create_database(args[0], args[1])
        else:
            print(max_connections(args[0]))
        return 0
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed (apt-get install postgresql)", file=sys.stderr)
        return 1
    root = Path(args[0]).resolve()
    try:
        if command == "init":
            init_cluster(bin_dir, root, Path(args[1]).resolve())
        elif command == "start":
            start(bin_dir, root, server_options(int(args[1]), root, int(args[2])))
        elif command == "stop":
            stop(bin_dir, root)
        elif command == "restart":
            restart(bin_dir, root)
        elif command == "pid":
            print(postmaster_pid(root) or "")
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except subprocess.CalledProcessError as error:
        print(f"postgres {command} failed: {error.stderr or error.stdout}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
