"""Rasa's REST channel with request validation in front of it.

Rasa 3.6's ``RestInput`` lets Sanic read the whole body (up to 100 MB) before its
handler runs and answers 500 when the JSON body is not an object, a field has the
wrong type or a number is too large to convert. This channel keeps the same URL
(``/webhooks/rest/webhook``), payload (``{"sender": str, "message": str,
"metadata"?: object, "input_channel"?: str}``), ``?stream=true`` option and answer (the
list of bot messages), but checks the request first, in this order (limits in
``channels.limits``):

- ``Content-Length`` over ``REST_MAX_BODY_BYTES`` → 413 before the body is read; the
  body is read in chunks and reading stops with 413 once past the limit;
- not UTF-8, nested deeper than ``MAX_JSON_DEPTH``, not JSON → 400;
- not an object, ``sender``/``message``/``metadata``/``input_channel`` of the wrong
  type → 400;
- a ``message`` longer than ``MAX_MESSAGE_CHARS`` → 200 with the polite
  ``utter_channel_too_long`` reply; the bot never sees the message.

When handling the message fails before the bot said anything (e.g. PostgreSQL or Redis
unreachable), the answer is 200 with ``utter_channel_error`` (as on socket.io and LINE).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from channels.guard import Rejected, load_json, read_body, text_problem
from channels.limits import MAX_SENDER_CHARS, REST_MAX_BODY_BYTES, TOO_LONG_RESPONSE
from channels.texts import channel_text

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = REST_MAX_BODY_BYTES
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def validate_body(body: bytes) -> dict[str, Any]:
    """The request body as a checked dict; raises Sanic's 400/413 exceptions.

    The message length is not checked here: an over-long message is answered politely
    (see ``SafeRestInput``), not refused with an error.
    """
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        payload = load_json(body)
    except Rejected as error:
        raise InvalidUsage(error.reason) from None
    if not isinstance(payload, dict):
        raise InvalidUsage("body must be a JSON object")
    message = payload.get("message")
    if message is not None and not isinstance(message, str):
        raise InvalidUsage("'message' must be a string")
    sender = payload.get("sender")
    if sender is not None and (not isinstance(sender, str) or not sender or len(sender) > MAX_SENDER_CHARS):
        raise InvalidUsage(f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} characters")
    metadata = payload.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidUsage("'metadata' must be an object")
    input_channel = payload.get("input_channel")
    if input_channel is not None and (not isinstance(input_channel, str) or len(input_channel) > MAX_SENDER_CHARS):
        raise InvalidUsage("'input_channel' must be a short string")
    return payload


def _or_apology(messages: list[dict[str, Any]], sender: Any) -> list[dict[str, Any]]:
    """What the bot said before it failed or, when it said nothing (the tracker store or
    the lock store unreachable), the polite ``utter_channel_error`` — never silence."""
    return messages or [{"recipient_id": sender, "text": channel_text("utter_channel_error")}]


def _error(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class SafeRestInput(RestInput):
    """``rest`` channel that answers 4xx to malformed requests instead of 500."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        rest_webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def receive(request: Request) -> HTTPResponse | ResponseStream:
            try:
                payload = validate_body(await read_body(request, MAX_BODY_BYTES))
            except Rejected as error:
                return _error(error.status, error.reason)
            except (InvalidUsage, PayloadTooLarge) as error:
                return _error(error.status_code, str(error))
            sender = payload.get("sender")
            text = payload.get("message")
            text = text if isinstance(text, str) else ""
            problem = text_problem(text)
            if problem is not None:
                logger.info("rest: message refused (%s, %d characters)", problem, len(text))
                name = TOO_LONG_RESPONSE if problem == "too_long" else "utter_channel_error"
                return response.json([{"recipient_id": sender, "text": channel_text(name)}])
            input_channel = payload.get("input_channel") or self.name()
            metadata = payload.get("metadata")
            if request.args.get("stream", "").lower() == "true":
                return response.stream(
                    self.stream_response(on_new_message, text, sender, input_channel, metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=input_channel, metadata=metadata)
                )
            except asyncio.CancelledError:
                logger.error("rest: handling a message timed out")
                return response.json(_or_apology(collector.messages, sender))
            except Exception:
                logger.exception("rest: handling a message failed")
                return response.json(_or_apology(collector.messages, sender))
            return response.json(collector.messages)

        rest_webhook.add_route(health, "/", methods=["GET"])
        # Sanic 21.12 types handlers as returning HTTPResponse; ResponseStream works as well.
        handler: Any = receive
        rest_webhook.add_route(handler, "/webhook", methods=["POST"], stream=True)
        return rest_webhook
