"""Ticket drafts for tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from tickets.store import TicketDraft


def draft(received_at: datetime | str = "2026-11-25T10:00:00+09:00", **fields: Any) -> TicketDraft:
    when = datetime.fromisoformat(received_at) if isinstance(received_at, str) else received_at
    values: dict[str, Any] = {
        "idempotency_key": fields.pop("idempotency_key", f"conv-{uuid.uuid4().hex}:1"),
        "received_at": when.astimezone(timezone.utc) if when.tzinfo else when,
        "channel": "rest",
        "conversation_id": "conv-1",
        "product": "SQL Server",
        "description": "本番のSQL Serverが落ちて受注業務が止まっています",
        "severity": "A",
        "severity_reason": "サーバーの停止",
        "downgraded": False,
        "contract": "pack5",
        "contract_ok": True,
        "scope": "in_scope",
        "reception_route": "phone",
        "outcome": "triage",
    }
    values.update(fields)
    return TicketDraft(**values)
