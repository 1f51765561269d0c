"""scripts/endpoints.py: Rasa's tracker store on the same database as the tickets; and Rasa's own
SQLTrackerStore saving and re-reading a conversation through the composed settings."""

from __future__ import annotations

import importlib.util
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import URL

from tests.pg import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("endpoints_script", ROOT / "scripts/endpoints.py")
assert _spec is not None and _spec.loader is not None
endpoints = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(endpoints)

TRICKY_PASSWORD = "p@ss:${HOME}/w%rd"  # "$" must not be expanded by Rasa's YAML reader


def test_sqlite_url(tmp_path: Path) -> None:
    config = endpoints.tracker_store_config(f"sqlite:///{tmp_path}/desk.db")
    assert config == {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "desk.db")}


def test_relative_sqlite_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert endpoints.tracker_store_config("sqlite:///state/desk.db")["db"] == str(tmp_path / "state/desk.db")


def test_postgresql_url() -> None:
    url = "postgresql://desk:p%40ss%24word@db.internal:5433/support?sslmode=require"
    assert endpoints.tracker_store_config(url) == {
        "type": "SQL", "dialect": "postgresql", "url": "db.internal", "port": 5433, "db": "support",
        "username": "desk", "password": "p@ss$word", "query": {"sslmode": "require"},
    }  # fmt: skip
    assert endpoints.tracker_store_config("postgres://db/support")["dialect"] == "postgresql"
    assert endpoints.tracker_store_config("postgresql+psycopg2://db/x")["dialect"] == "postgresql+psycopg2"


@pytest.mark.parametrize("url", ["mysql://db/x", "sqlite://", "sqlite:///:memory:"])
def test_unsupported(url: str) -> None:
    with pytest.raises(ValueError):
        endpoints.tracker_store_config(url)


def test_script_writes_a_private_file(tmp_path: Path) -> None:
    out = tmp_path / "state" / "endpoints.yml"
    env = {**os.environ, "DATABASE_URL": "postgresql://desk:secret@db:5432/support"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts/endpoints.py"), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "conversations: PostgreSQL db:5432/support"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    written = yaml.safe_load(out.read_text())
    assert written["action_endpoint"] == {"url": "${ACTION_ENDPOINT_URL}"}  # expanded by Rasa at start-up
    assert written["tracker_store"]["password"] == "secret"
    bad = subprocess.run(
        [sys.executable, str(ROOT / "scripts/endpoints.py"), str(out)],
        env={**os.environ, "DATABASE_URL": "mysql://x/y"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 1 and "DATABASE_URL" in bad.stderr


@pytest.fixture(scope="module")
def desk_database(postgres: PostgresServer) -> str:
    """A database owned by a role whose password needs quoting and URL-encoding."""
    import psycopg2

    connection = psycopg2.connect(postgres.url())
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE desk LOGIN PASSWORD %s", (TRICKY_PASSWORD,))
        cursor.execute("CREATE DATABASE desk_conversations OWNER desk")
    connection.close()
    url = URL.create(
        "postgresql", "desk", TRICKY_PASSWORD, "127.0.0.1", postgres.port, "desk_conversations"
    ).render_as_string(hide_password=False)
    return str(url)


async def test_rasa_tracker_store_survives_a_restart(
    desk_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import read_endpoint_config

    out = tmp_path / "endpoints.yml"
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:1/webhook")
    env = {**os.environ, "DATABASE_URL": desk_database}
    subprocess.run([sys.executable, str(ROOT / "scripts/endpoints.py"), str(out)], env=env, check=True, timeout=60)
    config = read_endpoint_config(str(out), "tracker_store")  # Rasa's own reader, as `rasa run` does
    assert config is not None and config.kwargs["password"] == TRICKY_PASSWORD

    domain = Domain.from_yaml("version: '3.1'\nslots:\n  ticket_no:\n    type: text\n    mappings: []\n")
    first = TrackerStore.create(config, domain)
    events = [
        ActionExecuted("action_listen"),
        UserUttered("本番のSQL Serverが落ちました", intent={"name": "report_problem", "confidence": 0.99}),
        BotUttered("深刻度Aと判断しました"),
        SlotSet("ticket_no", "PS-20261125-0007"),
        ActionExecuted("action_listen"),
    ]
    await first.save(DialogueStateTracker.from_events("conv-restart", events, slots=domain.slots))
    first.engine.dispose()

    restarted = TrackerStore.create(read_endpoint_config(str(out), "tracker_store"), domain)
    assert restarted.engine.url.drivername == "postgresql"
    tracker = await restarted.retrieve("conv-restart")
    assert tracker is not None
    assert tracker.get_slot("ticket_no") == "PS-20261125-0007"
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["本番のSQL Serverが落ちました"]
    assert await restarted.retrieve("never-seen") is None
    restarted.engine.dispose()
