"""The action server's link to the intake-ticket store (受付票) and its webhooks.

The store and the background delivery are created on first use, never at import,
from the environment (``tickets.settings``). Every call runs in a worker thread so
the event loop keeps serving other conversations, and a database failure is logged
(with personal data masked) and reported as ``None``: the customer still gets the
triage outcome, with a polite note instead of a ticket number.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from typing import Any, Callable, Dict, List, TypeVar

from rasa_sdk import Tracker

from tickets.masking import install_pii_filter
from tickets.settings import TicketSettings
from tickets.store import TicketDraft, TicketStore, TicketView
from tickets.webhook import BackgroundDelivery, Forwarder

logger = logging.getLogger(__name__)

T = TypeVar("T")
DECLINED = "declined"  # slot value: the customer chose not to give this detail
TRANSCRIPT_TURNS = 20

_lock = threading.Lock()
_store: TicketStore | None = None
_delivery: BackgroundDelivery | None = None


def store() -> TicketStore:
    """The process-wide ticket store (created lazily, once)."""
    with _lock:
        return _store_unlocked()


def _store_unlocked() -> TicketStore:
    global _store
    if _store is None:
        install_pii_filter()
        _store = TicketStore.from_settings(TicketSettings.from_env())
    return _store


def delivery() -> BackgroundDelivery:
    global _delivery
    with _lock:
        if _delivery is None:
            _delivery = BackgroundDelivery(Forwarder(_store_unlocked(), TicketSettings.from_env()))
        return _delivery


def reset_for_tests() -> None:
    """Forget the store (tests point ``DATABASE_URL`` at a fresh database)."""
    global _store, _delivery
    with _lock:
        _store = None
        _delivery = None


async def _call(label: str, func: Callable[[], T]) -> T | None:
    try:
        result = await asyncio.to_thread(func)
    except Exception:
        logger.exception("intake ticket: %s failed", label)
        return None
    try:
        delivery().kick()
    except Exception:
        logger.exception("intake ticket: could not schedule webhook delivery")
    return result


def _contact(tracker: Tracker, slot: str) -> str | None:
    value = tracker.get_slot(slot)
    if not value or value == DECLINED:
        return None
    return str(value)


def idempotency_key(tracker: Tracker, kind: str) -> str:
    """Same conversation + same customer message + same kind = the same ticket.

    A retried action run (the Rasa server resending after a timeout) sees the same
    latest user event, so it finds the ticket made the first time.
    """
    stamp = "0"
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            stamp = f"{float(event.get('timestamp') or 0):.6f}"
            break
    return f"{tracker.sender_id}:{kind}:{stamp}"[:200]


def channel_of(tracker: Tracker) -> str:
    channel = tracker.get_latest_input_channel()
    return str(channel) if channel else "unknown"


def transcript(tracker: Tracker, turns: int = TRANSCRIPT_TURNS) -> List[Dict[str, Any]]:
    """The last customer and bot messages, oldest first, for the person taking over."""
    lines: List[Dict[str, Any]] = []
    for event in tracker.events:
        kind = event.get("event")
        text = event.get("text")
        if kind not in ("user", "bot") or not text:
            continue
        stamp = event.get("timestamp")
        at = dt.datetime.fromtimestamp(float(stamp), dt.timezone.utc).isoformat() if stamp else None
        lines.append({"at": at, "from": "customer" if kind == "user" else "bot", "text": str(text)[:500]})
    return lines[-turns:]


def customer_words(tracker: Tracker, turns: int = 5, before_latest: bool = False) -> str | None:
    """The customer's last messages joined, for a ticket with no triaged description
    (``before_latest``: without the latest message, which said something else)."""
    lines = transcript(tracker, TRANSCRIPT_TURNS + 1)
    if before_latest:
        latest = max((i for i, line in enumerate(lines) if line["from"] == "customer"), default=None)
        lines = lines[:latest] if latest is not None else lines
    said = [line["text"] for line in lines if line["from"] == "customer" and not line["text"].startswith("/")]
    return " / ".join(said[-turns:])[:2000] or None


def draft_from_tracker(
    tracker: Tracker,
    *,
    kind: str,
    received_at: dt.datetime,
    outcome: str,
    description: str | None = None,
    severity: str | None = None,
    severity_reason: str | None = None,
    downgraded: bool | None = None,
    contract_ok: bool | None = None,
    scope: str | None = None,
    redirect: str | None = None,
    reception_route: str | None = None,
    reception_starts_at: dt.datetime | None = None,
) -> TicketDraft:
    contract = tracker.get_slot("contract")
    return TicketDraft(
        idempotency_key=idempotency_key(tracker, kind),
        received_at=received_at,
        channel=channel_of(tracker),
        conversation_id=tracker.sender_id,
        product=tracker.get_slot("product"),
        description=description if description is not None else tracker.get_slot("problem_description"),
        severity=severity if severity is not None else tracker.get_slot("severity"),
        severity_reason=severity_reason if severity_reason is not None else tracker.get_slot("severity_reason"),
        downgraded=downgraded,
        contract=str(contract) if contract else None,
        contract_ok=contract_ok,
        scope=scope,
        redirect=redirect,
        reception_route=reception_route,
        reception_starts_at=reception_starts_at,
        outcome=outcome,
        company=_contact(tracker, "contact_company"),
        contact_name=_contact(tracker, "contact_name"),
        phone=_contact(tracker, "contact_phone"),
        email=_contact(tracker, "contact_email"),
    )


async def create_ticket(draft: TicketDraft) -> TicketView | None:
    return await _call("create", lambda: store().create_ticket(draft))


async def record_survey(ticket_no: str, rating: int | None, comment: str | None, skipped: bool) -> bool:
    result = await _call(
        "survey", lambda: store().record_survey(ticket_no, rating=rating, comment=comment, skipped=skipped)
    )
    return result is not None


async def set_handoff(ticket_no: str, state: str, history: List[Dict[str, Any]] | None = None) -> bool:
    result = await _call("handoff", lambda: store().set_handoff(ticket_no, state, history))
    return result is not None


async def relay_to_agent(ticket_no: str, text: str) -> bool:
    result = await _call("relay", lambda: store().enqueue_agent_message(ticket_no, text) or True)
    return result is not None


async def get_ticket(ticket_no: str) -> TicketView | None:
    return await _call("get", lambda: store().get(ticket_no))


async def ticket_for_problem(tracker: Tracker, description: str | None, draft: TicketDraft) -> TicketView | None:
    """One ticket per problem: the conversation's ticket when it was made for the same
    description (or for the same out-of-scope request), otherwise a new one."""
    existing = tracker.get_slot("ticket_no")
    same_text = bool(description) and description == tracker.get_slot("ticket_problem")
    same_redirect = draft.outcome == "redirect" and draft.scope is not None and draft.scope == tracker.get_slot("scope")
    if existing and (same_text or same_redirect):
        found = await _call("get", lambda: store().get(str(existing)))
        if found is not None:
            return await _brought_up_to_date(found, draft)
    return await create_ticket(draft)


async def _brought_up_to_date(ticket: TicketView, draft: TicketDraft) -> TicketView:
    """The problem's ticket, with what is known now (a handoff's ticket that the triage
    then completed gets the triage's severity, contract, route and contact details)."""
    if ticket.idempotency_key == draft.idempotency_key:
        return ticket  # a retried action run: nothing new
    contact = {
        "company": draft.company,
        "contact_name": draft.contact_name,
        "phone": draft.phone,
        "email": draft.email,
    }
    updated = await _call(
        "update triage",
        lambda: store().update_triage(
            ticket.ticket_no,
            contract=draft.contract,
            contract_ok=draft.contract_ok,
            severity=draft.severity,
            severity_reason=draft.severity_reason,
            downgraded=draft.downgraded,
            reception_route=draft.reception_route,
            reception_starts_at=draft.reception_starts_at,
            outcome=draft.outcome,
        ),
    )
    if any(value is not None for value in contact.values()):
        updated = await _call("update contact", lambda: store().update_contact(ticket.ticket_no, **contact)) or updated
    return updated or ticket


async def update_contact(ticket_no: str, slots: Dict[str, Any]) -> bool:
    """Corrected contact details (by slot name) onto an existing ticket."""
    fields = {
        "company": slots.get("contact_company"),
        "contact_name": slots.get("contact_name"),
        "phone": slots.get("contact_phone"),
        "email": slots.get("contact_email"),
    }
    result = await _call("update contact", lambda: store().update_contact(ticket_no, **fields))
    return result is not None


async def update_triage(ticket_no: str, **fields: Any) -> bool:
    """A contract or severity corrected after the ticket was made (or what a triage
    decided about a ticket made earlier for the same problem), onto that ticket."""
    result = await _call("update triage", lambda: store().update_triage(ticket_no, **fields))
    return result is not None
