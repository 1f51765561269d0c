"""Rasa's socket.io channel with its input checked (what the website widget talks to).

``credentials.yml``::

    channels.socketio.SafeSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true

Same name (``socketio``), path (``/socket.io``), events and replies as Rasa 3.6's
``SocketIOInput``, which this subclasses; python-socketio stays at 5.9.0 (see the
README). What it adds, limits from ``channels.limits``:

- the engine.io HTTP route (long-polling) streams its body: ``Content-Length`` over
  ``SOCKETIO_MAX_PACKET_BYTES`` → 413 before reading, a capped read otherwise, and a
  body that is not UTF-8 → 400 (engine.io's own check runs only after Sanic has read
  up to 100 MB); websocket frames are capped by engine.io's ``max_http_buffer_size``,
  set to the same limit (a larger frame closes that connection);
- ``user_uttered``: a payload that is not an object, a ``message`` that is not a
  string, a missing or unusable ``session_id`` (with session persistence) or metadata
  that is neither an object nor a JSON object string gets the polite
  ``utter_channel_error`` on the sender's socket instead of an exception in a
  background task (Rasa 3.6: ``AttributeError``/``JSONDecodeError``, the customer
  hears nothing); a ``message`` over ``MAX_MESSAGE_CHARS`` gets
  ``utter_channel_too_long``; in both cases the bot never sees it. An exception in
  the bot is answered with ``utter_channel_error`` as well;
- ``session_request`` with a payload that is not an object or a ``session_id`` that
  is not a short string starts a new session instead of raising;
- ``connect`` with a ``jwt_key`` accepts only an ``auth`` object with a string token.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels.guard import Rejected, load_json, read_body, text_problem
from channels.limits import MAX_SENDER_CHARS, SOCKETIO_MAX_PACKET_BYTES, TOO_LONG_RESPONSE
from channels.texts import channel_text

logger = logging.getLogger(__name__)

ERROR_RESPONSE = "utter_channel_error"
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class GuardedSocketBlueprint(SocketBlueprint):
    """Mounts engine.io on a streaming route that enforces the body limit first."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        eio = self.ctx.sio.eio
        limit = SOCKETIO_MAX_PACKET_BYTES

        async def engineio(request: Request) -> HTTPResponse:
            try:
                body = await read_body(request, limit)
                if body:
                    body.decode("utf-8")
            except Rejected as error:
                return response.json({"error": error.reason}, status=error.status)
            except UnicodeDecodeError:
                return response.json({"error": "body must be UTF-8"}, status=400)
            request.body = body
            answer: HTTPResponse = await eio.handle_request(request)
            return answer

        path = "/" + str(self.ctx.socketio_path).strip("/") + "/"
        app.add_route(engineio, path, methods=["GET", "POST", "OPTIONS"], stream=True, name="socketio_engineio")
        app.enable_websocket()  # type: ignore[no-untyped-call]  # Sanic 21.12 leaves it untyped
        super(SocketBlueprint, self).register(app, options)  # the blueprint's own routes, no sio.attach


class SafeSocketIOInput(SocketIOInput):
    """``socketio`` channel that answers malformed or over-long messages politely."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def _sender(self, sid: str, data: dict[str, Any]) -> str | None:
        if not self.session_persistence:
            return sid
        session_id = data.get("session_id")
        if isinstance(session_id, str) and session_id.strip() and len(session_id) <= MAX_SENDER_CHARS:
            return session_id
        return None

    def _metadata(self, data: dict[str, Any]) -> dict[str, Any] | None:
        metadata = data.get(self.metadata_key)
        if metadata is None:
            return {}
        if isinstance(metadata, str):
            try:
                metadata = load_json(metadata.encode("utf-8", "surrogatepass"))
            except Rejected:
                return None
        return metadata if isinstance(metadata, dict) else None

    def blueprint(self, on_new_message: OnNewMessage) -> SocketBlueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[], max_http_buffer_size=SOCKETIO_MAX_PACKET_BYTES)
        socketio_webhook = GuardedSocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        async def say(room: str, response_name: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": channel_text(response_name)}, room=room)

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            if not isinstance(token, str) or not token:
                return False
            return bool(decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        async def disconnect(sid: str) -> None:
            logger.debug("socket.io: %s disconnected", sid)

        async def session_request(sid: str, data: Any = None, *_: Any) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not session_id.strip() or len(session_id) > MAX_SENDER_CHARS:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                sio.enter_room(sid, session_id)  # python-socketio 5.9: not a coroutine
            await sio.emit("session_confirm", session_id, room=sid)

        async def handle_message(sid: str, data: Any = None, *_: Any) -> None:
            if not isinstance(data, dict):
                logger.info("socket.io: %s sent a %s instead of an object", sid, type(data).__name__)
                await say(sid, ERROR_RESPONSE)
                return
            sender = self._sender(sid, data)
            text = data.get("message", "")
            text = "" if text is None else text
            metadata = self._metadata(data)
            if sender is None or not isinstance(text, str) or metadata is None:
                logger.info("socket.io: %s sent an unusable message (session_id, message or metadata)", sid)
                await say(sid, ERROR_RESPONSE)
                return
            problem = text_problem(text)
            if problem is not None:
                logger.info("socket.io: message refused (%s, %d characters)", problem, len(text))
                await say(sid, TOO_LONG_RESPONSE if problem == "too_long" else ERROR_RESPONSE)
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            message = UserMessage(text, output, sender, input_channel=self.name(), metadata=metadata)
            try:
                await on_new_message(message)
            except Exception:
                logger.exception("socket.io: the assistant failed on a message from %s", sender)
                await say(sid, ERROR_RESPONSE)

        socketio_webhook.add_route(health, "/", methods=["GET"])
        sio.on("connect", handler=connect, namespace=self.namespace)
        sio.on("disconnect", handler=disconnect, namespace=self.namespace)
        sio.on("session_request", handler=session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handler=handle_message, namespace=self.namespace)
        return socketio_webhook
