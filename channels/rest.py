"""Rasa's REST channel with request validation in front of it.

Rasa 3.6's ``RestInput`` answers 500 when the JSON body is not an object or a field
has the wrong type. This channel keeps the same URL (``/webhooks/rest/webhook``) and
payload (``{"sender": str, "message": str, "metadata"?: object}``) but checks the
request first: too large → 413, anything malformed → 400. Rasa's handler calls
``_extract_sender`` before it reads anything else, so validating there covers
every request; valid requests are handled by Rasa unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 20_000
MAX_SENDER_CHARS = 256


def validate_body(body: bytes) -> dict[str, Any]:
    """The request body as a checked dict; raises Sanic's 400/413 exceptions."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidUsage("body must be UTF-8 JSON") from None
    if not isinstance(payload, dict):
        raise InvalidUsage("body must be a JSON object")
    message = payload.get("message")
    if message is not None and not isinstance(message, str):
        raise InvalidUsage("'message' must be a string")
    if isinstance(message, str) and len(message) > MAX_MESSAGE_CHARS:
        raise PayloadTooLarge(f"'message' longer than {MAX_MESSAGE_CHARS} characters")
    sender = payload.get("sender")
    if sender is not None and (not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_CHARS):
        raise InvalidUsage(f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} characters")
    metadata = payload.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidUsage("'metadata' must be an object")
    return payload


class SafeRestInput(RestInput):
    """``rest`` channel that answers 4xx to malformed requests instead of 500."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> str | None:
        payload = validate_body(req.body or b"")
        sender = payload.get("sender")
        return str(sender) if sender is not None else None

    def _extract_message(self, req: Request) -> str | None:
        message = validate_body(req.body or b"").get("message")
        return message if isinstance(message, str) else ""
