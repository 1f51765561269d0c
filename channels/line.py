"""LINE Messaging API channel: webhook in, reply (or push) API out.

``credentials.yml``::

    channels.line.LineInput:
      channel_secret: "${LINE_CHANNEL_SECRET}"        # Basic settings tab
      channel_access_token: "${LINE_CHANNEL_TOKEN}"   # Messaging API tab (long-lived)
      # api_base: "https://api.line.me"               # optional, for a local stub

Webhook URL to register in the LINE Developers console:
``https://<host>/webhooks/line/webhook`` (``GET /webhooks/line/`` is a health check).

What a webhook request goes through, in this order, before anything reaches Rasa:

1. no ``X-Line-Signature`` header → 401; ``Content-Length`` above ``MAX_BODY_BYTES``
   → 413 without reading the body; the body is then read in chunks and reading stops
   with 413 as soon as it passes the limit (chunked uploads too);
2. the signature is the base64 HMAC-SHA256 of the raw body with the channel secret,
   compared with ``hmac.compare_digest`` → 401 when it does not match;
3. only then is the body parsed: not UTF-8 JSON, or not ``{"events": [{"type": str,
   …}, …]}`` → 400. An event we cannot use (unknown type, missing fields) is skipped,
   not refused: LINE adds event types over time and a 4xx would only make it retry;
4. events whose ``webhookEventId`` was seen recently (redeliveries) are dropped; the
   others are handed to background tasks and LINE gets 200 at once.

Each event is processed in its own task, one at a time per conversation and in
arrival order. ``message`` (text) and ``postback`` (its ``data``, a Rasa payload such
as ``/inform_contract{"contract": "pack5"}``) go to Rasa as the message text;
``follow`` sends ``/greet`` so the bot greets the new friend; other message types
(stickers, images, …) get the domain's ``utter_channel_non_text`` without involving Rasa;
everything else (``unfollow``, ``join``, …) and events in ``standby`` mode are ignored.

The bot's messages for one event are collected and sent with that event's reply token
(5 messages per request; the rest by push, 5 at a time). When LINE refuses the reply
with 400 (reply token invalid or expired) the messages are pushed instead. Buttons
become quick replies on the last message. Every HTTP call has a timeout; failures
are logged without credentials and never raised.

The background tasks live in this process. The dedupe spans every Rasa replica when
``REDIS_URL`` is set (``channels.dedupe``; the production profile sets it), otherwise it
is per process.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.dedupe import RecentIds, SharedRecentIds
from channels.guard import Rejected, load_json, read_body, text_problem
from channels.limits import LINE_MAX_BODY_BYTES, TOO_LONG_RESPONSE
from channels.texts import channel_text

logger = logging.getLogger(__name__)

# Sentences this channel sends without the bot live in the domain (domain/conversation.yml, utter_channel_*).
NON_TEXT_RESPONSE = "utter_channel_non_text"  # stickers, images, video, audio, files, locations
ERROR_RESPONSE = "utter_channel_error"  # the assistant failed to handle a message
BUTTONS_ONLY_RESPONSE = "utter_channel_choose"  # a response with buttons but no text
# ------------------------------------------------------------------------------------
# Protocol constants
# ------------------------------------------------------------------------------------
DEFAULT_API_BASE = "https://api.line.me"
REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"
SIGNATURE_HEADER = "X-Line-Signature"
FOLLOW_PAYLOAD = "/greet"

MAX_BODY_BYTES = LINE_MAX_BODY_BYTES  # the limits live in channels.limits
REQUEST_TIMEOUT_SECONDS = 10.0
SHUTDOWN_DRAIN_SECONDS = 15.0
DEDUPE_CACHE_SIZE = 10_000
# How long Redis remembers an event id (LINE redelivers for a limited time; a day is ample).
DEDUPE_TTL_SECONDS = 24 * 3600

MAX_MESSAGES_PER_REQUEST = 5
MAX_TEXT_CHARS = 5000  # UTF-16 code units, as LINE counts text
MAX_QUICK_REPLY_ITEMS = 13
MAX_LABEL_CHARS = 20  # LINE counts labels in grapheme clusters; we count code points (≥)
MAX_DISPLAY_TEXT_CHARS = 300
MAX_POSTBACK_DATA_CHARS = 300  # counted in UTF-16 code units to be safe
MAX_IMAGE_URL_CHARS = 2000
ELLIPSIS = "…"

JsonDict = dict[str, Any]


# ------------------------------------------------------------------------------------
# Signature, body shape
# ------------------------------------------------------------------------------------
def compute_signature(channel_secret: str, body: bytes) -> str:
    """LINE's signature of a body: base64(HMAC-SHA256(channel secret, raw body))."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_is_valid(channel_secret: str, body: bytes, signature: str) -> bool:
    """Constant-time comparison of the header with the expected signature."""
    expected = compute_signature(channel_secret, body).encode("ascii")
    return hmac.compare_digest(expected, signature.encode("utf-8", errors="replace"))


class WebhookFormatError(ValueError):
    """The (authentic) body is not a LINE webhook payload."""


def parse_webhook(body: bytes) -> list[JsonDict]:
    """The events of a webhook body; raises ``WebhookFormatError`` on any other shape."""
    try:
        payload = load_json(body)
    except Rejected as error:
        raise WebhookFormatError(error.reason) from None
    if not isinstance(payload, dict):
        raise WebhookFormatError("body must be a JSON object")
    destination = payload.get("destination")
    if destination is not None and not isinstance(destination, str):
        raise WebhookFormatError("'destination' must be a string")
    events = payload.get("events")
    if not isinstance(events, list):
        raise WebhookFormatError("'events' must be a list")
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("type"), str) or not event["type"]:
            raise WebhookFormatError("every event must be an object with a string 'type'")
    return events


# ------------------------------------------------------------------------------------
# Text helpers
# ------------------------------------------------------------------------------------
def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (how LINE counts text)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _joins_previous(char: str) -> bool:
    """True when ``char`` must stay with the character before it."""
    code = ord(char)
    return (
        0xDC00 <= code <= 0xDFFF  # low surrogate (a str holding a raw surrogate pair)
        or code == 0x200D  # zero width joiner
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences
        or unicodedata.category(char) in ("Mn", "Mc", "Me")  # combining marks (incl. ゛゜)
    )


def _safe_cut(text: str, units: int, *, utf16: bool) -> int:
    """Largest index ≤ ``units`` long (UTF-16 units or code points) that splits no character.

    Never inside a surrogate pair; also backs off combining marks, variation selectors
    and ZWJ sequences when it can do so without producing an empty piece.
    """
    cut = 0
    used = 0
    for char in text:
        width = 2 if utf16 and ord(char) > 0xFFFF else 1
        if used + width > units:
            break
        used += width
        cut += 1
    if cut >= len(text):
        return len(text)
    hard = cut
    while cut > 0 and (_joins_previous(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    if cut == 0:
        cut = hard
        if 0xD800 <= ord(text[cut - 1]) <= 0xDBFF and cut > 1:  # lone high surrogate
            cut -= 1
    return cut


def truncate(text: str, limit: int) -> str:
    """``text`` shortened to ``limit`` code points, ending with "…" when cut."""
    if len(text) <= limit:
        return text
    return text[: _safe_cut(text, limit - len(ELLIPSIS), utf16=False)] + ELLIPSIS


_SENTENCE_ENDS = ("。", "！", "？", "!", "?")


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-16 code units.

    A piece ends preferably at a line break, else after a sentence end (。！？), found
    in the second half of the allowed window; otherwise it is cut at the limit, never
    inside a surrogate pair or before a combining mark. Empty pieces are dropped.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_len(rest) <= limit:
            pieces.append(rest)
            break
        cut = _safe_cut(rest, limit, utf16=True)
        window = rest[:cut]
        floor = max(1, cut // 2)
        newline = window.rfind("\n", floor)
        if newline > 0:
            head, rest = window[:newline], rest[newline + 1 :]
        else:
            end = max(window.rfind(mark, floor) for mark in _SENTENCE_ENDS)
            if end > 0:
                head, rest = window[: end + 1], rest[end + 1 :]
            else:
                head, rest = window, rest[cut:]
        head = head.rstrip()
        rest = rest.lstrip("\n")
        if head:
            pieces.append(head)
    return pieces


# ------------------------------------------------------------------------------------
# Message objects
# ------------------------------------------------------------------------------------
def text_messages(text: str) -> list[JsonDict]:
    """LINE text message objects for ``text`` (split to LINE's limit)."""
    return [{"type": "text", "text": piece} for piece in split_text(text)]


def quick_reply_item(button: JsonDict) -> JsonDict | None:
    """A Rasa button as a LINE quick-reply postback action, or None when unusable.

    ``label`` is the title shortened to 20 characters with "…", ``displayText`` the
    title (what the customer's chat shows). ``data`` is the payload; a payload longer
    than LINE's 300 characters is never cut (a cut payload is a broken intent): the
    title is sent instead, which the NLU understands, and the button is dropped when
    the title is too long as well.
    """
    raw_title = button.get("title")
    raw_payload = button.get("payload")
    title = raw_title.strip() if isinstance(raw_title, str) else ""
    payload = raw_payload.strip() if isinstance(raw_payload, str) else ""
    if not payload:
        payload = title
    if not title:
        title = payload
    if not title:
        return None
    data = payload
    if utf16_len(data) > MAX_POSTBACK_DATA_CHARS:
        if utf16_len(title) > MAX_POSTBACK_DATA_CHARS:
            logger.warning("LINE: button dropped, payload and title longer than %d", MAX_POSTBACK_DATA_CHARS)
            return None
        logger.warning("LINE: button payload longer than %d characters, its title is sent instead", len(data))
        data = title
    return {
        "type": "action",
        "action": {
            "type": "postback",
            "label": truncate(title, MAX_LABEL_CHARS),
            "data": data,
            "displayText": truncate(title, MAX_DISPLAY_TEXT_CHARS),
        },
    }


def quick_reply_items(buttons: Iterable[Any]) -> list[JsonDict]:
    """At most 13 quick-reply items: the first usable buttons, in order."""
    items: list[JsonDict] = []
    for button in buttons:
        if len(items) == MAX_QUICK_REPLY_ITEMS:
            logger.info("LINE: more buttons than %d quick replies, the rest are not shown", MAX_QUICK_REPLY_ITEMS)
            break
        item = quick_reply_item(button) if isinstance(button, dict) else None
        if item is not None:
            items.append(item)
    return items


def batches(messages: list[JsonDict], size: int = MAX_MESSAGES_PER_REQUEST) -> list[list[JsonDict]]:
    """``messages`` in consecutive groups of at most ``size``."""
    return [messages[start : start + size] for start in range(0, len(messages), size)]


# ------------------------------------------------------------------------------------
# Output channels
# ------------------------------------------------------------------------------------
class LineOutput(OutputChannel):
    """Collects the bot's messages for one event as LINE message objects."""

    @classmethod
    def name(cls) -> str:
        return "line"

    def __init__(self) -> None:
        self._messages: list[JsonDict] = []
        self._quick_reply: list[JsonDict] = []

    def take_messages(self) -> list[JsonDict]:
        """The collected messages, the last one carrying the quick replies; clears them."""
        messages = [dict(message) for message in self._messages]
        if messages and self._quick_reply:
            messages[-1]["quickReply"] = {"items": self._quick_reply}
        self._messages = []
        self._quick_reply = []
        return messages

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Like Rasa's, without mutating ``message`` and tolerating buttons without text."""
        raw_text = message.get("text")
        text = raw_text if isinstance(raw_text, str) else ""
        buttons = message.get("buttons") or message.get("quick_replies")
        if isinstance(buttons, list) and buttons:
            await self.send_text_with_buttons(recipient_id, text, buttons)
        elif text.strip():
            await self.send_text_message(recipient_id, text)
        custom = message.get("custom")
        if isinstance(custom, dict) and custom:
            await self.send_custom_json(recipient_id, custom)
        image = message.get("image")
        if isinstance(image, str) and image:
            await self.send_image_url(recipient_id, image)
        attachment = message.get("attachment")
        if isinstance(attachment, str) and attachment:
            await self.send_attachment(recipient_id, attachment)
        elements = message.get("elements")
        if isinstance(elements, list) and elements:
            await self.send_elements(recipient_id, elements)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self._messages.extend(text_messages(text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_message(recipient_id, text if text.strip() else channel_text(BUTTONS_ONLY_RESPONSE))
        items = quick_reply_items(buttons)
        if items:  # LINE shows only the last message's quick replies: the newest set wins
            self._quick_reply = items

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        if image.startswith("https://") and len(image) <= MAX_IMAGE_URL_CHARS:
            self._messages.append({"type": "image", "originalContentUrl": image, "previewImageUrl": image})
        else:  # LINE fetches images over HTTPS only
            await self.send_text_message(recipient_id, image)

    async def send_attachment(self, recipient_id: str, attachment: str, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, str(attachment))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """``{"line": <message object or list of them>}`` is sent as is; anything else is not."""
        raw = json_message.get("line")
        objects = raw if isinstance(raw, list) else [raw]
        usable = [obj for obj in objects if isinstance(obj, dict) and isinstance(obj.get("type"), str)]
        if not usable:
            logger.warning("LINE: custom payload without a 'line' message object is not sent")
        self._messages.extend(usable)


class LinePushOutput(LineOutput):
    """Output for messages Rasa sends on its own (reminders, triggered intents): pushed at once."""

    def __init__(self, channel: LineInput) -> None:
        super().__init__()
        self._channel = channel

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await super().send_response(recipient_id, message)
        await self._channel.deliver(None, recipient_id, self.take_messages())


# ------------------------------------------------------------------------------------
# Input channel
# ------------------------------------------------------------------------------------
@dataclass
class _Turn:
    lock: asyncio.Lock
    users: int = 0


def _conversation(source: Any) -> tuple[str, str] | None:
    """(Rasa sender id, push target) of an event source, or None without one.

    The sender is the user (one conversation per person, even in a group); pushes go
    where a reply would have gone: the group or room, else the user.
    """
    if not isinstance(source, dict):
        return None
    ids = {key: source.get(key) for key in ("userId", "groupId", "roomId")}
    present = [value for value in ids.values() if isinstance(value, str) and value]
    if not present:
        return None
    sender = present[0]
    group = next((v for k, v in ids.items() if k != "userId" and isinstance(v, str) and v), None)
    return sender, group or sender


class LineInput(InputChannel):
    """LINE Messaging API webhook (``/webhooks/line/webhook``)."""

    @classmethod
    def name(cls) -> str:
        return "line"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> LineInput:
        if not credentials:
            raise RasaException(
                "The LINE channel needs credentials: add 'channels.line.LineInput:' with "
                "'channel_secret' and 'channel_access_token' to credentials.yml."
            )
        missing = [
            key
            for key in ("channel_secret", "channel_access_token")
            if not isinstance(credentials.get(key), str) or not str(credentials.get(key)).strip()
        ]
        if missing:
            raise RasaException(
                f"The LINE channel is missing {' and '.join(repr(key) for key in missing)} in "
                "credentials.yml (channels.line.LineInput). Copy the channel secret (Basic settings) "
                "and a channel access token (Messaging API) from the LINE Developers console."
            )
        api_base = credentials.get("api_base") or DEFAULT_API_BASE
        if not isinstance(api_base, str) or not api_base.startswith(("https://", "http://")):
            raise RasaException("The LINE channel's 'api_base' must be an http(s) URL.")
        return cls(
            channel_secret=str(credentials["channel_secret"]).strip(),
            channel_access_token=str(credentials["channel_access_token"]).strip(),
            api_base=api_base,
        )

    def __init__(
        self,
        channel_secret: str,
        channel_access_token: str,
        api_base: str = DEFAULT_API_BASE,
        *,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
        max_body_bytes: int = MAX_BODY_BYTES,
        dedupe_size: int = DEDUPE_CACHE_SIZE,
    ) -> None:
        if not channel_secret or not channel_access_token:
            raise RasaException("The LINE channel needs a channel secret and a channel access token.")
        self._secret = channel_secret
        self._token = channel_access_token
        self.api_base = api_base.rstrip("/")
        self.request_timeout = request_timeout
        self.max_body_bytes = max_body_bytes
        self._seen = SharedRecentIds.from_env("line", RecentIds(dedupe_size), DEDUPE_TTL_SECONDS)
        self._tasks: set[asyncio.Task[None]] = set()
        self._turns: dict[str, _Turn] = {}

    def __repr__(self) -> str:  # never show the credentials
        return f"LineInput(api_base={self.api_base!r})"

    def get_output_channel(self) -> OutputChannel | None:
        return LinePushOutput(self)

    # ------------------------------------------------------------------ webhook
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        line_webhook = Blueprint("line_webhook", __name__)

        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def receive(request: Request) -> HTTPResponse:
            signature = request.headers.get(SIGNATURE_HEADER)
            if not signature:
                return _error(401, "missing signature")
            try:
                body = await read_body(request, self.max_body_bytes)
            except Rejected as error:
                return _error(error.status, error.reason)
            if not signature_is_valid(self._secret, body, signature):
                logger.warning("LINE: request with an invalid signature refused")
                return _error(401, "invalid signature")
            try:
                events = parse_webhook(body)
            except WebhookFormatError as error:
                return _error(400, str(error))
            for event in events:
                event_id = event.get("webhookEventId")
                if isinstance(event_id, str) and event_id and not await self._seen.add(event_id):
                    logger.info("LINE: event %s already received, redelivery ignored", event_id)
                    continue
                self._spawn(self._process(event, on_new_message))
            return response.json({"status": "ok"})

        async def drain(*_: Any) -> None:
            if not await self.wait_until_idle(SHUTDOWN_DRAIN_SECONDS):
                logger.warning("LINE: %d event(s) still in progress at shutdown", len(self._tasks))

        line_webhook.add_route(health, "/", methods=["GET"])
        line_webhook.add_route(receive, "/webhook", methods=["POST"], stream=True)
        line_webhook.listener(drain, "before_server_stop")
        return line_webhook

    # ------------------------------------------------------------------ background work
    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Wait for the events in progress; False when ``timeout`` passed first."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    @contextlib.asynccontextmanager
    async def _turn(self, conversation: str) -> AsyncIterator[None]:
        """One event at a time per conversation, in arrival order (asyncio.Lock is FIFO)."""
        turn = self._turns.get(conversation)
        if turn is None:
            turn = self._turns[conversation] = _Turn(asyncio.Lock())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[conversation]

    async def _process(self, event: JsonDict, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        try:
            conversation = _conversation(event.get("source"))
            if conversation is None:
                logger.info("LINE: %s event without a source ignored", event["type"])
                return
            async with self._turn(conversation[0]):
                await self._handle_event(event, conversation, on_new_message)
        except Exception:
            logger.exception("LINE: unexpected error while handling a %s event", event.get("type"))

    async def _handle_event(
        self,
        event: JsonDict,
        conversation: tuple[str, str],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        kind = event["type"]
        if event.get("mode") == "standby":
            logger.debug("LINE: %s event in standby mode ignored", kind)
            return
        sender_id, push_to = conversation
        token = event.get("replyToken")
        reply_token = token if isinstance(token, str) and token else None

        text: str
        if kind == "message":
            message = event.get("message")
            if not isinstance(message, dict):
                logger.warning("LINE: message event without a message ignored")
                return
            if message.get("type") != "text":
                await self.deliver(reply_token, push_to, text_messages(channel_text(NON_TEXT_RESPONSE)))
                return
            if not isinstance(message.get("text"), str):
                logger.warning("LINE: text message without text ignored")
                return
            text = message["text"]
            problem = text_problem(text)
            if problem is not None:
                logger.info("LINE: message refused (%s, %d characters)", problem, len(text))
                name = TOO_LONG_RESPONSE if problem == "too_long" else ERROR_RESPONSE
                await self.deliver(reply_token, push_to, text_messages(channel_text(name)))
                return
        elif kind == "postback":
            postback = event.get("postback")
            data = postback.get("data") if isinstance(postback, dict) else None
            if not isinstance(data, str) or not data.strip() or text_problem(data) is not None:
                logger.warning("LINE: postback event without usable data ignored")
                return
            text = data
        elif kind == "follow":
            text = FOLLOW_PAYLOAD
        else:
            logger.debug("LINE: %s event ignored", kind)
            return

        event_id = event.get("webhookEventId")
        delivery = event.get("deliveryContext")
        output = LineOutput()
        user_message = UserMessage(
            text,
            output,
            sender_id,
            input_channel=self.name(),
            message_id=event_id if isinstance(event_id, str) and event_id else None,
            metadata={
                "line_event_type": kind,
                "line_source_type": event["source"].get("type"),
                "line_redelivery": bool(isinstance(delivery, dict) and delivery.get("isRedelivery")),
            },
        )
        try:
            await on_new_message(user_message)
        except Exception:
            logger.exception("LINE: the assistant failed on a %s event", kind)
            output.take_messages()
            await self.deliver(reply_token, push_to, text_messages(channel_text(ERROR_RESPONSE)))
            return
        await self.deliver(reply_token, push_to, output.take_messages())

    # ------------------------------------------------------------------ LINE API
    async def deliver(self, reply_token: str | None, to: str, messages: list[JsonDict]) -> None:
        """Send ``messages``: the first 5 by reply (when there is a token), the rest by push.

        A reply refused with 400 (token invalid or expired) is pushed instead. Any other
        failure stops delivery (later messages would arrive without the earlier ones).
        """
        groups = batches(messages)
        if not groups:
            return
        timeout = aiohttp.ClientTimeout(total=self.request_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            pending = groups
            if reply_token is not None:
                status = await self._post(session, REPLY_PATH, {"replyToken": reply_token, "messages": groups[0]})
                if status is not None and 200 <= status < 300:
                    pending = groups[1:]
                elif status == 400:
                    logger.warning("LINE: reply refused (reply token invalid or expired?), pushing instead")
                else:
                    logger.error("LINE: reply failed, %d message(s) not delivered", len(messages))
                    return
            for number, group in enumerate(pending):
                status = await self._post(session, PUSH_PATH, {"to": to, "messages": group})
                if status is None or not 200 <= status < 300:
                    left = sum(len(rest) for rest in pending[number:])
                    logger.error("LINE: push failed, %d message(s) not delivered", left)
                    return

    async def _post(self, session: aiohttp.ClientSession, path: str, payload: JsonDict) -> int | None:
        """POST to the LINE API; the HTTP status, or None when there was no answer."""
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        try:
            async with session.post(
                self.api_base + path,
                data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.request_timeout),
            ) as answer:
                if not 200 <= answer.status < 300:
                    detail = (await answer.text(errors="replace"))[:300]
                    logger.warning("LINE: %s answered %d: %s", path, answer.status, detail)
                return answer.status
        except asyncio.TimeoutError:
            logger.error("LINE: %s did not answer within %.1f s", path, self.request_timeout)
        except aiohttp.ClientError as error:
            logger.error("LINE: %s request failed (%s)", path, type(error).__name__)
        return None


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)
