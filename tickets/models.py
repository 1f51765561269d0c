"""Tables (SQLAlchemy 1.4 declarative; SQLite and PostgreSQL).

Datetimes are stored in UTC: ``timestamptz`` on PostgreSQL, naive UTC on SQLite, and
always come back timezone-aware. The schema is created and upgraded by
``tickets.migrations`` only.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base

Base: Any = declarative_base()


class UTCDateTime(TypeDecorator):  # type: ignore[type-arg]
    """A timezone-aware datetime stored as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"timezone-aware datetime required, got {value!r}")
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class IntakeTicket(Base):  # type: ignore[misc]
    __tablename__ = "intake_tickets"

    id = Column(Integer, primary_key=True)
    ticket_no = Column(String(32), nullable=False, unique=True)
    idempotency_key = Column(String(200), nullable=False, unique=True)
    received_at = Column(UTCDateTime, nullable=False)
    channel = Column(String(40))
    conversation_id = Column(String(255))
    product = Column(String(200))
    description = Column(Text)
    severity = Column(String(16))  # A | B | C | undetermined | NULL
    severity_reason = Column(Text)
    downgraded = Column(Boolean)
    contract = Column(String(40))
    contract_ok = Column(Boolean)
    scope = Column(String(40))
    redirect = Column(String(40))
    reception_route = Column(String(40))
    reception_starts_at = Column(UTCDateTime)
    outcome = Column(String(40))  # triage | redirect | handoff | …
    company = Column(String(200))
    contact_name = Column(String(120))
    phone = Column(String(40))
    email = Column(String(254))
    handoff_state = Column(String(20))  # NULL | requested | cancelled | after_hours
    survey_rating = Column(Integer)
    survey_comment = Column(Text)
    survey_skipped = Column(Boolean, nullable=False, default=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class TicketCounter(Base):  # type: ignore[misc]
    __tablename__ = "ticket_counters"

    day = Column(String(8), primary_key=True)  # JST day, "20261125"
    last = Column(Integer, nullable=False)


class OutboxRow(Base):  # type: ignore[misc]
    __tablename__ = "outbox"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("intake_tickets.id"), nullable=False, index=True)
    target = Column(String(16), nullable=False)  # ticket | agent
    event = Column(String(40), nullable=False)
    payload = Column(Text, nullable=False)  # JSON, fixed when queued: every retry sends the same bytes
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at = Column(UTCDateTime)
    last_error = Column(Text)
    claimed_until = Column(UTCDateTime)  # a forwarder is sending it until then
    claim_token = Column(String(32))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class SchemaVersion(Base):  # type: ignore[misc]
    __tablename__ = "schema_version"

    id = Column(Integer, primary_key=True)  # always 1: one row
    version = Column(Integer, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)
