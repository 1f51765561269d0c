from __future__ import annotations

import pytest

from tickets.settings import DEFAULT_DATABASE_URL, ROOT, TicketSettings


def test_defaults() -> None:
    settings = TicketSettings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL == f"sqlite:///{ROOT}/.state/desk.db"
    assert (settings.pool_size, settings.max_overflow) == (5, 5)
    assert (settings.webhook_timeout, settings.webhook_backoff, settings.webhook_backoff_max) == (5.0, 2.0, 600.0)
    assert settings.targets == frozenset()
    assert settings.webhook("ticket") is None


def test_from_env() -> None:
    settings = TicketSettings.from_env(
        {
            "DATABASE_URL": "postgres://desk:pw@db.internal:5432/desk",
            "DB_POOL_SIZE": "10",
            "DB_MAX_OVERFLOW": "0",
            "TICKET_WEBHOOK_URL": "https://tickets.example/hook",
            "TICKET_WEBHOOK_SECRET": "s1",
            "WEBHOOK_TIMEOUT": "2.5",
            "WEBHOOK_BACKOFF": "1",
        }
    )
    assert settings.database_url == "postgresql://desk:pw@db.internal:5432/desk"
    assert (settings.pool_size, settings.max_overflow, settings.webhook_timeout) == (10, 0, 2.5)
    assert settings.webhook("ticket") == ("https://tickets.example/hook", "s1")
    assert settings.targets == frozenset({"ticket"})


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"DB_POOL_SIZE": "five"}, "DB_POOL_SIZE"),
        ({"DB_POOL_SIZE": "0"}, "DB_POOL_SIZE"),
        ({"DB_MAX_OVERFLOW": "-1"}, "DB_MAX_OVERFLOW"),
        ({"WEBHOOK_TIMEOUT": "soon"}, "WEBHOOK_TIMEOUT"),
        ({"WEBHOOK_TIMEOUT": "0"}, "WEBHOOK_TIMEOUT"),
        ({"WEBHOOK_BACKOFF": "nan"}, "WEBHOOK_BACKOFF"),
        ({"WEBHOOK_BACKOFF_MAX": "inf"}, "WEBHOOK_BACKOFF_MAX"),
        ({"AGENT_WEBHOOK_URL": "https://agents.example/hook"}, "AGENT_WEBHOOK_SECRET"),
        ({"TICKET_WEBHOOK_URL": "ftp://x", "TICKET_WEBHOOK_SECRET": "s"}, "TICKET_WEBHOOK_URL"),
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        TicketSettings.from_env(env)
