"""Ticket storage and delivery settings, read from the environment in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / '.state' / 'desk.db'}"


def _number(environ: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum or value != value or value == float("inf"):
        raise ValueError(f"{name} must be a finite number ≥ {minimum:g}, got {raw!r}")
    return value


def _integer(environ: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}, got {raw!r}")
    return value


def _optional(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def normalise_database_url(url: str) -> str:
    """``postgres://`` (Heroku and others) is ``postgresql://`` to SQLAlchemy 1.4."""
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://") :]
    return url


@dataclass(frozen=True)
class TicketSettings:
    database_url: str = DEFAULT_DATABASE_URL
    pool_size: int = 5
    max_overflow: int = 5
    ticket_webhook_url: str | None = None
    ticket_webhook_secret: str | None = None
    agent_webhook_url: str | None = None
    agent_webhook_secret: str | None = None
    webhook_timeout: float = 5.0
    webhook_backoff: float = 2.0
    webhook_backoff_max: float = 600.0

    def __post_init__(self) -> None:
        for target in ("ticket", "agent"):
            url = getattr(self, f"{target}_webhook_url")
            secret = getattr(self, f"{target}_webhook_secret")
            name = target.upper()
            if url and not secret:
                raise ValueError(f"{name}_WEBHOOK_URL is set but {name}_WEBHOOK_SECRET is not (deliveries are signed)")
            if url and not url.startswith(("http://", "https://")):
                raise ValueError(f"{name}_WEBHOOK_URL must be an http(s) URL, got {url!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> TicketSettings:
        """Settings from ``environ``; a malformed number raises ValueError naming the variable."""
        return cls(
            database_url=normalise_database_url(environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL),
            pool_size=_integer(environ, "DB_POOL_SIZE", 5, minimum=1),
            max_overflow=_integer(environ, "DB_MAX_OVERFLOW", 5, minimum=0),
            ticket_webhook_url=_optional(environ, "TICKET_WEBHOOK_URL"),
            ticket_webhook_secret=_optional(environ, "TICKET_WEBHOOK_SECRET"),
            agent_webhook_url=_optional(environ, "AGENT_WEBHOOK_URL"),
            agent_webhook_secret=_optional(environ, "AGENT_WEBHOOK_SECRET"),
            webhook_timeout=_number(environ, "WEBHOOK_TIMEOUT", 5.0, minimum=0.001),
            webhook_backoff=_number(environ, "WEBHOOK_BACKOFF", 2.0, minimum=0.0),
            webhook_backoff_max=_number(environ, "WEBHOOK_BACKOFF_MAX", 600.0, minimum=0.0),
        )

    def webhook(self, target: str) -> tuple[str, str] | None:
        """(url, secret) of the "ticket" or "agent" webhook, or None when it is not configured."""
        if target == "ticket" and self.ticket_webhook_url and self.ticket_webhook_secret:
            return self.ticket_webhook_url, self.ticket_webhook_secret
        if target == "agent" and self.agent_webhook_url and self.agent_webhook_secret:
            return self.agent_webhook_url, self.agent_webhook_secret
        return None

    @property
    def targets(self) -> frozenset[str]:
        """The webhook targets that are configured (outbox rows are queued only for these)."""
        return frozenset(t for t in ("ticket", "agent") if self.webhook(t))
