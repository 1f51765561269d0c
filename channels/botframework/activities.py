"""Reading the fields of inbound Bot Framework activities."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from channels.botframework._common import MAX_ID_CHARS, InvalidActivity


def _str_field(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _account(value: Any, what: str) -> dict[str, Any]:
    """A channel account (``from``, ``recipient``, member) with a usable ``id``."""
    if not isinstance(value, dict):
        raise InvalidActivity(f"'{what}' must be an object")
    account_id = _str_field(value, "id") or _str_field(value, "aadObjectId")
    if account_id is None or len(account_id) > MAX_ID_CHARS:
        raise InvalidActivity(f"'{what}' needs an 'id'")
    kept = {k: v for k, v in value.items() if k in ("id", "name", "aadObjectId", "role") and isinstance(v, str)}
    kept["id"] = _str_field(value, "id") or account_id
    return kept


def sender_id(account: Mapping[str, Any]) -> str:
    """Rasa's sender id for a Teams account: ``id``, or ``aadObjectId`` without one."""
    return str(account.get("id") or account.get("aadObjectId"))


# ------------------------------------------------------------------------ HTTP plumbing
