"""Intake tickets in SQL (SQLite by default, PostgreSQL by URL), with an outbox for webhooks.

Every method is synchronous and short; the action server calls them through
``asyncio.to_thread``. The engine is created (and the schema migrated) on first use.
A write that should reach a webhook queues an outbox row in the same transaction, so
nothing is lost when the receiver is down; ``tickets.webhook`` delivers them.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tickets.contact import validate_email, validate_phone
from tickets.db import make_engine
from tickets.migrations import migrate
from tickets.models import IntakeTicket, OutboxRow, utcnow
from tickets.settings import TicketSettings

JST = timezone(timedelta(hours=9), "JST")
SEVERITIES = ("A", "B", "C", "undetermined")
HANDOFF_STATES = ("requested", "cancelled", "after_hours")
TARGETS = ("ticket", "agent")
TRANSCRIPT_TURNS = 20
TRANSCRIPT_TEXT = 500
COMMENT_LIMIT = 2000


class TicketNotFound(KeyError):
    """No ticket with that number."""


@dataclass(frozen=True)
class TicketDraft:
    """What a finished triage knows; ``idempotency_key`` makes creation safe to repeat
    (e.g. ``f"{conversation_id}:{triage_started_event_timestamp}"``)."""

    idempotency_key: str
    received_at: datetime
    channel: str | None = None
    conversation_id: str | None = None
    product: str | None = None
    description: str | None = None
    severity: str | None = None  # A | B | C | undetermined | None
    severity_reason: str | None = None
    downgraded: bool | None = None
    contract: str | None = None
    contract_ok: bool | None = None
    scope: str | None = None
    redirect: str | None = None
    reception_route: str | None = None
    reception_starts_at: datetime | None = None
    outcome: str | None = None  # triage | redirect | handoff | …
    company: str | None = None
    contact_name: str | None = None
    phone: str | None = None
    email: str | None = None
    handoff_state: str | None = None

    def validate(self) -> None:
        if not self.idempotency_key or len(self.idempotency_key) > 200:
            raise ValueError("idempotency_key must be 1–200 characters")
        for name in ("received_at", "reception_starts_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES} or None, got {self.severity!r}")
        if self.handoff_state is not None and self.handoff_state not in HANDOFF_STATES:
            raise ValueError(f"handoff_state must be one of {HANDOFF_STATES} or None")


@dataclass(frozen=True)
class TicketView:
    """One ticket as stored (datetimes timezone-aware, UTC)."""

    id: int
    ticket_no: str
    idempotency_key: str
    received_at: datetime
    channel: str | None
    conversation_id: str | None
    product: str | None
    description: str | None
    severity: str | None
    severity_reason: str | None
    downgraded: bool | None
    contract: str | None
    contract_ok: bool | None
    scope: str | None
    redirect: str | None
    reception_route: str | None
    reception_starts_at: datetime | None
    outcome: str | None
    company: str | None
    contact_name: str | None
    phone: str | None
    email: str | None
    handoff_state: str | None
    survey_rating: int | None
    survey_comment: str | None
    survey_skipped: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: IntakeTicket) -> TicketView:
        values: dict[str, Any] = {}
        for item in fields(cls):
            value = getattr(row, item.name)
            if isinstance(value, datetime):
                value = value.astimezone(timezone.utc)
            values[item.name] = value
        values["survey_skipped"] = bool(values["survey_skipped"])
        return cls(**values)

    @property
    def received_day(self) -> date:
        """The JST calendar day the ticket was received."""
        return self.received_at.astimezone(JST).date()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: datetimes as ISO-8601 in JST (webhook payloads, ``--json``)."""
        return {
            key: value.astimezone(JST).isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
        }


@dataclass(frozen=True)
class OutboxItem:
    id: int
    ticket_id: int
    ticket_no: str
    target: str
    event: str
    payload: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    created_at: datetime
    claim_token: str | None = None


def ticket_number(day: date, sequence: int) -> str:
    return f"PS-{day:%Y%m%d}-{sequence:04d}"


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(JST).isoformat()
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), timezone.utc).astimezone(JST).isoformat()
    if isinstance(value, str) and value:
        return value
    return None


def summarise_transcript(transcript: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The last 20 turns as ``{"at", "from": "customer"|"bot", "text"}``, texts cut to 500 characters.

    Accepts these dicts or Rasa events (``{"event": "user"|"bot", "text", "timestamp"}``).
    """
    turns: list[dict[str, Any]] = []
    for entry in transcript or ():
        speaker = str(entry.get("from") or entry.get("event") or entry.get("speaker") or "")
        if speaker in ("customer", "user"):
            who = "customer"
        elif speaker in ("bot", "assistant"):
            who = "bot"
        else:
            continue
        message = entry.get("text")
        if not isinstance(message, str) or not message.strip():
            continue
        cut = message if len(message) <= TRANSCRIPT_TEXT else message[: TRANSCRIPT_TEXT - 1] + "…"
        turns.append({"at": _iso(entry.get("at", entry.get("timestamp"))), "from": who, "text": cut})
    return turns[-TRANSCRIPT_TURNS:]


def _jst_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), JST).astimezone(timezone.utc)


class TicketStore:
    """Tickets and their outbox. ``targets``: the webhook targets to queue rows for."""

    def __init__(self, url: str, pool_size: int = 5, max_overflow: int = 5, *, targets: Iterable[str] = ()) -> None:
        self.url = url
        self.pool_size = pool_size
        self.max_overflow = max_overflow
        self.targets = frozenset(targets)
        unknown = self.targets - set(TARGETS)
        if unknown:
            raise ValueError(f"unknown webhook targets: {sorted(unknown)}")
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: TicketSettings) -> TicketStore:
        return cls(settings.database_url, settings.pool_size, settings.max_overflow, targets=settings.targets)

    # ------------------------------------------------------------ engine
    @property
    def engine(self) -> Engine:
        """Created, and the schema migrated, on first use."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = make_engine(self.url, self.pool_size, self.max_overflow)
                    migrate(engine)
                    self._engine = engine
        return self._engine

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def _session(self) -> Session:
        return Session(self.engine, future=True, expire_on_commit=False)

    # ------------------------------------------------------------ tickets
    def create_ticket(self, draft: TicketDraft) -> TicketView:
        """Create the ticket, or return the one already created with ``draft.idempotency_key``."""
        draft.validate()
        for _attempt in range(5):
            try:
                with self._session() as session, session.begin():
                    existing = self._by_key(session, draft.idempotency_key)
                    if existing is not None:
                        return TicketView.from_row(existing)
                    day = draft.received_at.astimezone(JST).date()
                    values = asdict(draft)
                    row = IntakeTicket(ticket_no=ticket_number(day, self._next_sequence(session, day)), **values)
                    now = utcnow()
                    row.created_at = row.updated_at = now
                    row.survey_skipped = False
                    session.add(row)
                    session.flush()
                    view = TicketView.from_row(row)
                    self._enqueue(session, view, "ticket", "ticket.created", {})
                return view
            except IntegrityError:
                # Another thread or process created it first (unique idempotency_key).
                found = self.find_by_key(draft.idempotency_key)
                if found is not None:
                    return found
        raise RuntimeError(f"could not create a ticket for key {draft.idempotency_key!r}")

    @staticmethod
    def _by_key(session: Session, key: str) -> IntakeTicket | None:
        row: IntakeTicket | None = session.execute(
            select(IntakeTicket).where(IntakeTicket.idempotency_key == key)
        ).scalar_one_or_none()
        return row

    @staticmethod
    def _next_sequence(session: Session, day: date) -> int:
        """Increment the JST day's counter inside the caller's transaction (row-locked on PostgreSQL,
        BEGIN IMMEDIATE on SQLite), so concurrent tickets never share a number."""
        key = f"{day:%Y%m%d}"
        session.execute(
            text(
                "INSERT INTO ticket_counters (day, last) VALUES (:day, 1) "
                "ON CONFLICT (day) DO UPDATE SET last = ticket_counters.last + 1"
            ),
            {"day": key},
        )
        value = session.execute(text("SELECT last FROM ticket_counters WHERE day = :day"), {"day": key}).scalar_one()
        return int(value)

    def _locked(self, session: Session, ticket_no: str) -> IntakeTicket:
        row: IntakeTicket | None = session.execute(
            select(IntakeTicket).where(IntakeTicket.ticket_no == ticket_no).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise TicketNotFound(ticket_no)
        return row

    def _enqueue(
        self, session: Session, view: TicketView, target: str, event: str, extra: Mapping[str, Any]
    ) -> int | None:
        if target not in self.targets:
            return None
        now = utcnow()
        body = {"event": event, "sent_at": now.astimezone(JST).isoformat(), "ticket": view.as_dict(), **extra}
        row = OutboxRow(
            ticket_id=view.id,
            target=target,
            event=event,
            payload=json.dumps(body, ensure_ascii=False, sort_keys=True),
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return int(row.id)

    def update_contact(
        self,
        ticket_no: str,
        company: str | None = None,
        contact_name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
    ) -> TicketView:
        """Set the given contact fields (``None`` leaves a field as it is); queues ``ticket.updated``.
        Phone and e-mail are validated again (ValueError) and stored in their normal form."""
        if phone is not None:
            checked = validate_phone(phone)
            if checked.value is None:
                raise ValueError(f"invalid phone number ({checked.error})")
            phone = checked.value
        if email is not None:
            mail = validate_email(email)
            if mail.value is None:
                raise ValueError(f"invalid e-mail address ({mail.error})")
            email = mail.value
        with self._session() as session, session.begin():
            row = self._locked(session, ticket_no)
            for name, value in (
                ("company", company),
                ("contact_name", contact_name),
                ("phone", phone),
                ("email", email),
            ):
                if value is not None:
                    setattr(row, name, value)
            row.updated_at = utcnow()
            session.flush()
            view = TicketView.from_row(row)
            self._enqueue(session, view, "ticket", "ticket.updated", {})
        return view

    def update_triage(
        self,
        ticket_no: str,
        *,
        contract: str | None = None,
        contract_ok: bool | None = None,
        severity: str | None = None,
        severity_reason: str | None = None,
        downgraded: bool | None = None,
        reception_route: str | None = None,
        reception_starts_at: datetime | None = None,
        outcome: str | None = None,
    ) -> TicketView:
        """What the triage decided, said or corrected after the ticket was made
        (「契約は旧価格のパックでした」, an outage that became A, a handoff's ticket that the
        triage then completed): set the given fields (``None`` leaves a field as it is);
        queues ``ticket.updated`` when anything changed."""
        if severity is not None and severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
        if reception_starts_at is not None and reception_starts_at.tzinfo is None:
            raise ValueError("reception_starts_at must be timezone-aware")
        values: dict[str, Any] = {
            "contract": contract,
            "contract_ok": contract_ok,
            "severity": severity,
            "severity_reason": severity_reason,
            "downgraded": downgraded,
            "reception_route": reception_route,
            "reception_starts_at": reception_starts_at,
            "outcome": outcome,
        }
        with self._session() as session, session.begin():
            row = self._locked(session, ticket_no)
            before = TicketView.from_row(row)
            changed = False
            for name, value in values.items():
                if value is not None and getattr(before, name) != value:
                    setattr(row, name, value)
                    changed = True
            if changed:
                row.updated_at = utcnow()
            session.flush()
            view = TicketView.from_row(row)
            if changed:
                self._enqueue(session, view, "ticket", "ticket.updated", {})
        return view

    def record_survey(self, ticket_no: str, rating: int | None, comment: str | None, skipped: bool) -> TicketView:
        """Store the satisfaction survey (rating 1–5 or None); queues ``survey.recorded``."""
        if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
            raise ValueError(f"rating must be 1–5 or None, got {rating!r}")
        cleaned = comment.strip()[:COMMENT_LIMIT] if comment and comment.strip() else None
        with self._session() as session, session.begin():
            row = self._locked(session, ticket_no)
            row.survey_rating = rating
            row.survey_comment = cleaned
            row.survey_skipped = bool(skipped)
            row.updated_at = utcnow()
            session.flush()
            view = TicketView.from_row(row)
            survey = {"rating": rating, "comment": cleaned, "skipped": bool(skipped)}
            self._enqueue(session, view, "ticket", "survey.recorded", {"survey": survey})
        return view

    def set_handoff(
        self, ticket_no: str, state: str | None, transcript: Sequence[Mapping[str, Any]] | None = None
    ) -> TicketView:
        """Record the handoff state. ``requested`` queues ``handoff.requested`` for the agent webhook
        with the ticket and the transcript summary; ``cancelled`` after a request queues
        ``handoff.cancelled``. Every change also queues ``ticket.updated``."""
        if state is not None and state not in HANDOFF_STATES:
            raise ValueError(f"handoff state must be one of {HANDOFF_STATES} or None, got {state!r}")
        with self._session() as session, session.begin():
            row = self._locked(session, ticket_no)
            previous = row.handoff_state
            row.handoff_state = state
            row.updated_at = utcnow()
            session.flush()
            view = TicketView.from_row(row)
            if state == "requested":
                self._enqueue(
                    session, view, "agent", "handoff.requested", {"transcript": summarise_transcript(transcript)}
                )
            elif state == "cancelled" and previous == "requested":
                self._enqueue(session, view, "agent", "handoff.cancelled", {})
            if state != previous:
                self._enqueue(session, view, "ticket", "ticket.updated", {})
        return view

    def enqueue_agent_message(self, ticket_no: str, text: str) -> int | None:
        """A customer message during a handoff, for the agent webhook; the outbox id, or None when
        no agent webhook is configured."""
        with self._session() as session, session.begin():
            row = self._locked(session, ticket_no)
            view = TicketView.from_row(row)
            cut = text if len(text) <= COMMENT_LIMIT else text[: COMMENT_LIMIT - 1] + "…"
            message = {"at": utcnow().astimezone(JST).isoformat(), "from": "customer", "text": cut}
            return self._enqueue(session, view, "agent", "handoff.message", {"message": message})

    def get(self, ticket_no: str) -> TicketView | None:
        with self._session() as session:
            row = session.execute(select(IntakeTicket).where(IntakeTicket.ticket_no == ticket_no)).scalar_one_or_none()
            return TicketView.from_row(row) if row is not None else None

    def find_by_key(self, key: str) -> TicketView | None:
        with self._session() as session:
            row = self._by_key(session, key)
            return TicketView.from_row(row) if row is not None else None

    def list_tickets(
        self,
        since: date | None = None,
        until: date | None = None,
        severity: str | None = None,
        redirect: str | None = None,
        limit: int = 100,
    ) -> list[TicketView]:
        """Newest first. ``since``/``until`` are JST days, both inclusive; ``severity`` "none" means
        no severity; ``redirect`` "none" means not redirected."""
        query = select(IntakeTicket)
        if since is not None:
            query = query.where(IntakeTicket.received_at >= _jst_midnight_utc(since))
        if until is not None:
            query = query.where(IntakeTicket.received_at < _jst_midnight_utc(until + timedelta(days=1)))
        if severity is not None:
            query = query.where(
                IntakeTicket.severity.is_(None) if severity == "none" else IntakeTicket.severity == severity
            )
        if redirect is not None:
            query = query.where(
                IntakeTicket.redirect.is_(None) if redirect == "none" else IntakeTicket.redirect == redirect
            )
        query = query.order_by(IntakeTicket.received_at.desc(), IntakeTicket.id.desc()).limit(max(0, limit))
        with self._session() as session:
            return [TicketView.from_row(row) for row in session.execute(query).scalars()]

    # ------------------------------------------------------------ outbox
    def claim_due(self, targets: Iterable[str], now: datetime, limit: int, hold: timedelta) -> list[OutboxItem]:
        """Claim up to ``limit`` due, undelivered rows (oldest first) for ``hold``: a second forwarder
        skips them (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; BEGIN IMMEDIATE serialises SQLite)."""
        wanted = sorted(set(targets))
        if not wanted or limit <= 0:
            return []
        token = uuid.uuid4().hex
        with self._session() as session, session.begin():
            rows = (
                session.execute(
                    select(OutboxRow)
                    .where(
                        OutboxRow.delivered_at.is_(None),
                        OutboxRow.target.in_(wanted),
                        OutboxRow.next_attempt_at <= now,
                        (OutboxRow.claimed_until.is_(None)) | (OutboxRow.claimed_until < now),
                    )
                    .order_by(OutboxRow.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            for row in rows:
                row.claimed_until = now + hold
                row.claim_token = token
            session.flush()
            numbers = self._ticket_numbers(session, {int(row.ticket_id) for row in rows})
            return [self._item(row, numbers) for row in rows]

    @staticmethod
    def _ticket_numbers(session: Session, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        result = session.execute(select(IntakeTicket.id, IntakeTicket.ticket_no).where(IntakeTicket.id.in_(ids)))
        return {int(i): str(no) for i, no in result}

    @staticmethod
    def _item(row: OutboxRow, numbers: Mapping[int, str]) -> OutboxItem:
        return OutboxItem(
            id=int(row.id),
            ticket_id=int(row.ticket_id),
            ticket_no=numbers.get(int(row.ticket_id), "?"),
            target=str(row.target),
            event=str(row.event),
            payload=str(row.payload),
            attempts=int(row.attempts),
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            last_error=row.last_error,
            created_at=row.created_at,
            claim_token=row.claim_token,
        )

    def mark_delivered(self, item: OutboxItem, now: datetime) -> bool:
        with self._session() as session, session.begin():
            result = session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item.id, OutboxRow.claim_token == item.claim_token)
                .values(delivered_at=now, attempts=OutboxRow.attempts + 1, claimed_until=None, claim_token=None,
                        last_error=None)
            )  # fmt: skip
            return bool(result.rowcount)

    def mark_failed(self, item: OutboxItem, now: datetime, error: str, next_attempt_at: datetime) -> bool:
        with self._session() as session, session.begin():
            result = session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item.id, OutboxRow.claim_token == item.claim_token)
                .values(attempts=OutboxRow.attempts + 1, last_error=error[:1000], next_attempt_at=next_attempt_at,
                        claimed_until=None, claim_token=None)
            )  # fmt: skip
            return bool(result.rowcount)

    def outbox(self, pending_only: bool = True, limit: int = 200) -> list[OutboxItem]:
        """Outbox rows, oldest first; by default only the undelivered ones."""
        query = select(OutboxRow)
        if pending_only:
            query = query.where(OutboxRow.delivered_at.is_(None))
        query = query.order_by(OutboxRow.id).limit(limit)
        with self._session() as session:
            rows = session.execute(query).scalars().all()
            numbers = self._ticket_numbers(session, {int(row.ticket_id) for row in rows})
            return [self._item(row, numbers) for row in rows]

    def pending_count(self, targets: Iterable[str]) -> int:
        wanted = sorted(set(targets))
        if not wanted:
            return 0
        with self._session() as session:
            query = select(func.count(OutboxRow.id)).where(
                OutboxRow.delivered_at.is_(None), OutboxRow.target.in_(wanted)
            )
            return int(session.execute(query).scalar_one())

    def next_due_at(self, targets: Iterable[str]) -> datetime | None:
        """When the earliest undelivered row for ``targets`` is next due (None: nothing pending)."""
        wanted = sorted(set(targets))
        if not wanted:
            return None
        with self._session() as session:
            rows = session.execute(
                select(OutboxRow.next_attempt_at, OutboxRow.claimed_until).where(
                    OutboxRow.delivered_at.is_(None), OutboxRow.target.in_(wanted)
                )
            ).all()
        times = [max(due, claimed) if claimed is not None else due for due, claimed in rows]
        return min(times) if times else None
