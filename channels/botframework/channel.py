"""The ``teams`` input channel and its output channel."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import jwt
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.botframework._common import (
    _BEARER,
    _TENANT,
    ACTIVITY_DEDUP_MAX,
    ACTIVITY_DEDUP_TTL_SECONDS,
    ALGORITHM,
    BOTFRAMEWORK_ISSUER,
    BOTFRAMEWORK_OPENID_METADATA_URL,
    CLOCK_SKEW_SECONDS,
    DEFAULT_LOGIN_BASE,
    GREET,
    GREET_DEDUP_MAX,
    GREET_DEDUP_SECONDS,
    MAX_BODY_BYTES,
    MAX_ID_CHARS,
    MULTI_TENANT,
    Clock,
    InvalidActivity,
    OnNewMessage,
    SigningKeysUnavailable,
    TeamsAuthError,
    TeamsConfigError,
    _check_base_url,
    _HttpSession,
    _same_url,
    logger,
)
from channels.botframework.activities import _account, _str_field, sender_id
from channels.botframework.auth import OpenIdKeyStore, VerifiedToken
from channels.botframework.cards import hero_card, to_teams_xml
from channels.botframework.connector import BotConnectorClient, ConnectorTokenProvider, ConversationReference
from channels.dedupe import RecentIds, SharedRecentIds
from channels.guard import Rejected, load_json, read_body, text_problem
from channels.limits import TOO_LONG_RESPONSE
from channels.texts import channel_text


class TeamsOutput(OutputChannel):
    """Sends Rasa's responses into one Teams conversation."""

    @classmethod
    def name(cls) -> str:
        return "teams"

    def __init__(self, connector: BotConnectorClient, reference: ConversationReference) -> None:
        self.connector = connector
        self.reference = reference

    def _activity(self, recipient_id: str) -> dict[str, Any]:
        ref = self.reference
        recipient = ref.user if sender_id(ref.user) == recipient_id else {"id": recipient_id}
        activity: dict[str, Any] = {
            "type": "message",
            "from": ref.bot,
            "recipient": recipient,
            "conversation": ref.conversation,
        }
        if ref.channel_id:
            activity["channelId"] = ref.channel_id
        if ref.reply_to_id:
            activity["replyToId"] = ref.reply_to_id
        return activity

    async def _send(self, recipient_id: str, fields: Mapping[str, Any]) -> None:
        activity = self._activity(recipient_id)
        activity.update(fields)
        await self.connector.post_activity(self.reference.service_url, self.reference.conversation["id"], activity)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        if text and text.strip():
            await self._send(recipient_id, {"text": to_teams_xml(text), "textFormat": "xml"})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send(recipient_id, {"attachments": [hero_card(text, buttons)]})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send(recipient_id, {"attachments": [hero_card(None, images=[image])]})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """A custom response is merged into the reply activity (its routing stays ours)."""
        fields = {k: v for k, v in json_message.items() if k not in ("conversation", "from", "serviceUrl")}
        fields.setdefault("type", "message")
        await self._send(recipient_id, fields)


# ----------------------------------------------------------------------------- input


class TeamsInput(InputChannel):
    """Microsoft Teams via the Bot Framework Connector (``/webhooks/teams/webhook``)."""

    @classmethod
    def name(cls) -> str:
        return "teams"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TeamsInput:
        creds = credentials or {}

        def text(key: str) -> str | None:
            value = creds.get(key)
            if value is None or isinstance(value, (bool, dict, list)):
                return None
            return str(value).strip() or None

        app_id, app_password = text("app_id"), text("app_password")
        missing = [key for key, value in (("app_id", app_id), ("app_password", app_password)) if value is None]
        if app_id is None or app_password is None:
            raise TeamsConfigError(
                f"The '{cls.name()}' channel needs {' and '.join(repr(m) for m in missing)} in credentials.yml "
                "(the Microsoft App ID and a client secret of the Azure Bot resource)."
            )
        return cls(
            app_id,
            app_password,
            tenant_id=text("tenant_id"),
            login_base=text("login_base") or DEFAULT_LOGIN_BASE,
            openid_metadata_url=text("openid_metadata_url") or BOTFRAMEWORK_OPENID_METADATA_URL,
        )

    def __init__(
        self,
        app_id: str,
        app_password: str,
        tenant_id: str | None = None,
        login_base: str = DEFAULT_LOGIN_BASE,
        openid_metadata_url: str = BOTFRAMEWORK_OPENID_METADATA_URL,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        if not app_id or not app_password:
            raise TeamsConfigError(f"The '{self.name()}' channel needs 'app_id' and 'app_password'.")
        if tenant_id is not None and not _TENANT.fullmatch(tenant_id):
            raise TeamsConfigError(f"'tenant_id' must be a tenant GUID or domain, got {tenant_id!r}")
        try:
            login = _check_base_url(login_base, "login_base")
            metadata_url = _check_base_url(openid_metadata_url, "openid_metadata_url")
        except ValueError as error:
            raise TeamsConfigError(f"'{self.name()}' channel: {error}") from None
        self.app_id = app_id
        self.tenant_id = tenant_id
        self.token_url = f"{login}/{tenant_id or MULTI_TENANT}/oauth2/v2.0/token"
        self._clock = clock
        self._http = _HttpSession()
        self.keys = OpenIdKeyStore(metadata_url, self._http, clock)
        self.tokens = ConnectorTokenProvider(app_id, app_password, self.token_url, self._http, clock)
        self.connector = BotConnectorClient(self.tokens, self._http)
        self._tasks: set[asyncio.Task[None]] = set()
        self._turn_locks: dict[str, asyncio.Lock] = {}
        self._turn_waiting: dict[str, int] = {}
        self._greeted: OrderedDict[tuple[str, str], float] = OrderedDict()
        # Shared by every replica when REDIS_URL is set (channels.dedupe), per process otherwise.
        self._delivered = SharedRecentIds.from_env("teams", RecentIds(ACTIVITY_DEDUP_MAX), ACTIVITY_DEDUP_TTL_SECONDS)

    # -- authentication ----------------------------------------------------------

    async def authenticate(self, authorization: str | None) -> VerifiedToken:
        """Checks the Bot Connector's bearer token; raises TeamsAuthError."""
        match = _BEARER.fullmatch(authorization or "")
        if match is None:
            raise TeamsAuthError("missing or malformed 'Authorization: Bearer' header")
        token = match.group(1)
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TeamsAuthError("malformed token") from None
        if header.get("alg") != ALGORITHM:
            raise TeamsAuthError("token is not signed with RS256")
        if unverified.get("iss") != BOTFRAMEWORK_ISSUER:
            raise TeamsAuthError("token is not issued by the Bot Framework")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TeamsAuthError("token names no signing key")
        key = await self.keys.get(kid)
        if key is None:
            raise TeamsAuthError("token signed with an unknown key")
        try:
            claims = jwt.decode(
                token,
                key.public_key,
                algorithms=[ALGORITHM],
                audience=self.app_id,
                issuer=BOTFRAMEWORK_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise TeamsAuthError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise TeamsAuthError("token not valid yet") from None
        except jwt.InvalidAudienceError:
            raise TeamsAuthError("token is for another bot") from None
        except jwt.InvalidSignatureError:
            raise TeamsAuthError("token signature does not verify") from None
        except jwt.PyJWTError as error:
            raise TeamsAuthError(f"invalid token ({type(error).__name__})") from None
        return VerifiedToken(claims, key.endorsements)

    @staticmethod
    def check_activity_binding(verified: VerifiedToken, activity: Mapping[str, Any]) -> None:
        """The token must be for this activity's ``serviceUrl`` and channel."""
        claim = verified.claims.get("serviceurl")
        if claim is not None:
            service_url = activity.get("serviceUrl")
            if not isinstance(claim, str) or not isinstance(service_url, str) or not _same_url(claim, service_url):
                raise TeamsAuthError("the token's serviceurl does not match the activity's serviceUrl")
        channel_id = activity.get("channelId")
        if verified.endorsements and isinstance(channel_id, str) and channel_id not in verified.endorsements:
            raise TeamsAuthError("the signing key is not endorsed for this channel")

    # -- activities → Rasa messages ----------------------------------------------

    def _reference(self, activity: Mapping[str, Any], user: dict[str, Any], reply: bool) -> ConversationReference:
        service_url = activity.get("serviceUrl")
        if not isinstance(service_url, str) or len(service_url) > MAX_ID_CHARS:
            raise InvalidActivity("'serviceUrl' is required")
        try:
            service_url = _check_base_url(service_url, "serviceUrl")
        except ValueError as error:
            raise InvalidActivity(str(error)) from None
        conversation = activity.get("conversation")
        if not isinstance(conversation, dict):
            raise InvalidActivity("'conversation' must be an object")
        conversation_id = _str_field(conversation, "id")
        if conversation_id is None or len(conversation_id) > MAX_ID_CHARS:
            raise InvalidActivity("'conversation.id' is required")
        kept = {
            k: v
            for k, v in conversation.items()
            if k in ("id", "conversationType", "tenantId", "isGroup") and isinstance(v, (str, bool))
        }
        activity_id = _str_field(activity, "id")
        return ConversationReference(
            service_url=service_url,
            conversation=kept,
            bot=_account(activity.get("recipient"), "recipient"),
            user=user,
            reply_to_id=activity_id if reply else None,
            channel_id=_str_field(activity, "channelId"),
        )

    def _metadata(self, activity: Mapping[str, Any], ref: ConversationReference) -> dict[str, Any]:
        channel_data = activity.get("channelData")
        tenant = channel_data.get("tenant") if isinstance(channel_data, dict) else None
        teams: dict[str, Any] = {
            "activity_id": activity.get("id"),
            "channel_id": ref.channel_id,
            "service_url": ref.service_url,
            "conversation": ref.conversation,
            "user": ref.user,
            "tenant_id": tenant.get("id") if isinstance(tenant, dict) else ref.conversation.get("tenantId"),
            "locale": activity.get("locale"),
        }
        for key in ("value", "attachments"):
            if activity.get(key) is not None:
                teams[key] = activity[key]
        return {"teams": teams}

    @staticmethod
    def message_text(activity: Mapping[str, Any]) -> str:
        """``value.payload`` of a clicked button, else the text without @mentions of the bot."""
        value = activity.get("value")
        if isinstance(value, dict):
            payload = value.get("payload")
            if isinstance(payload, str) and payload.strip():
                return payload.strip()
        text = activity.get("text")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise InvalidActivity("'text' must be a string")
        recipient = activity.get("recipient")
        bot_id = recipient.get("id") if isinstance(recipient, dict) else None
        entities = activity.get("entities")
        for entity in entities if isinstance(entities, list) else []:
            if not isinstance(entity, dict) or entity.get("type") != "mention":
                continue
            mentioned = entity.get("mentioned")
            mention_text = entity.get("text")
            if isinstance(mentioned, dict) and mentioned.get("id") == bot_id and isinstance(mention_text, str):
                text = text.replace(mention_text, "")
        return text.strip()

    def _message(self, activity: Mapping[str, Any]) -> UserMessage:
        user = _account(activity.get("from"), "from")
        text = self.message_text(activity)
        ref = self._reference(activity, user, reply=True)
        return UserMessage(
            text=text,
            output_channel=TeamsOutput(self.connector, ref),
            sender_id=sender_id(user),
            input_channel=self.name(),
            message_id=_str_field(activity, "id"),
            metadata=self._metadata(activity, ref),
        )

    def _is_bot(self, account: Mapping[str, Any], bot: Mapping[str, Any]) -> bool:
        account_id = account.get("id")
        return account_id in (bot.get("id"), self.app_id, f"28:{self.app_id}")

    def _greetings(self, activity: Mapping[str, Any]) -> list[UserMessage]:
        members = activity.get("membersAdded")
        if members is None:
            return []
        if not isinstance(members, list):
            raise InvalidActivity("'membersAdded' must be a list")
        bot = _account(activity.get("recipient"), "recipient")
        targets: list[dict[str, Any]] = []
        bot_added = False
        for raw in members:
            try:
                member = _account(raw, "membersAdded[]")
            except InvalidActivity:
                continue
            if self._is_bot(member, bot):
                bot_added = True
            else:
                targets.append(member)
        conversation = activity.get("conversation")
        personal = isinstance(conversation, dict) and conversation.get("conversationType", "personal") == "personal"
        if bot_added and personal and not targets:
            try:
                installer = _account(activity.get("from"), "from")
            except InvalidActivity:
                installer = None
            if installer is not None and not self._is_bot(installer, bot):
                targets.append(installer)
        messages: list[UserMessage] = []
        for member in targets:
            ref = self._reference(activity, member, reply=False)
            if not self._first_greeting(ref.conversation["id"], sender_id(member)):
                continue
            messages.append(
                UserMessage(
                    text=GREET,
                    output_channel=TeamsOutput(self.connector, ref),
                    sender_id=sender_id(member),
                    input_channel=self.name(),
                    metadata=self._metadata(activity, ref),
                )
            )
        return messages

    def _first_greeting(self, conversation_id: str, member_id: str) -> bool:
        """False when this member was greeted in this conversation moments ago (a redelivery)."""
        now = self._clock()
        while self._greeted:
            oldest_key, oldest_at = next(iter(self._greeted.items()))
            if now - oldest_at < GREET_DEDUP_SECONDS and len(self._greeted) < GREET_DEDUP_MAX:
                break
            del self._greeted[oldest_key]
        key = (conversation_id, member_id)
        if key in self._greeted:
            return False
        self._greeted[key] = now
        return True

    def to_rasa(self, activity: Mapping[str, Any]) -> list[UserMessage]:
        """The Rasa messages an activity asks for (none for activities we ignore)."""
        kind = activity.get("type")
        if not isinstance(kind, str) or not kind:
            raise InvalidActivity("not a Bot Framework activity: 'type' is missing")
        if kind == "message":
            return [self._message(activity)]
        if kind == "conversationUpdate":
            return self._greetings(activity)
        logger.debug("teams: ignoring a %r activity", kind)
        return []

    # -- background turns ----------------------------------------------------------

    def _dispatch(self, message: UserMessage, on_new_message: OnNewMessage) -> None:
        sender = str(message.sender_id)
        self._turn_locks.setdefault(sender, asyncio.Lock())
        self._turn_waiting[sender] = self._turn_waiting.get(sender, 0) + 1
        task = asyncio.get_running_loop().create_task(self._run_turn(sender, message, on_new_message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_turn(self, sender: str, message: UserMessage, on_new_message: OnNewMessage) -> None:
        try:
            async with self._turn_locks[sender]:
                await on_new_message(message)
        except Exception:
            logger.exception("teams: handling a message from %s failed", sender)
        finally:
            self._turn_waiting[sender] -= 1
            if self._turn_waiting[sender] == 0:
                del self._turn_waiting[sender]
                del self._turn_locks[sender]

    async def wait_idle(self) -> None:
        """Waits until every message handed to Rasa has been handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Lets running turns finish (up to 10 s), then closes the HTTP session."""
        try:
            await asyncio.wait_for(self.wait_idle(), 10)
        except asyncio.TimeoutError:
            logger.warning("teams: closing with %d turn(s) still running", len(self._tasks))
        await self._http.close()

    # -- HTTP ------------------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        teams_webhook = Blueprint("teams_webhook", __name__)

        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def webhook(request: Request) -> HTTPResponse:
            try:
                body = await read_body(request, MAX_BODY_BYTES)
            except Rejected as error:
                code = "payload_too_large" if error.status == 413 else "invalid_request"
                return _error(error.status, code, error.reason)
            return await self.handle(body, request.headers.get("Authorization"), on_new_message)

        async def close_session(app: Any, loop: Any) -> None:
            await self.close()

        teams_webhook.add_route(health, "/", methods=["GET"])
        teams_webhook.add_route(webhook, "/webhook", methods=["POST"], stream=True)
        teams_webhook.listener(close_session, "after_server_stop")
        return teams_webhook

    async def handle(self, body: bytes, authorization: str | None, on_new_message: OnNewMessage) -> HTTPResponse:
        """One webhook request: 413/401/503/400 or 200 with the turn started in the background."""
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "payload_too_large", f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            verified = await self.authenticate(authorization)
        except TeamsAuthError as error:
            logger.warning("teams: rejected a request: %s", error)
            return _unauthorized(str(error))
        except SigningKeysUnavailable as error:
            logger.error("teams: cannot check the request, signing keys unavailable: %s", error)
            return _error(503, "keys_unavailable", "Bot Framework signing keys unavailable")
        try:
            activity = load_json(body)
        except Rejected as error:
            return _error(400, "invalid_json", error.reason)
        if not isinstance(activity, dict):
            return _error(400, "invalid_activity", "body must be a JSON object (a Bot Framework activity)")
        try:
            self.check_activity_binding(verified, activity)
        except TeamsAuthError as error:
            logger.warning("teams: rejected a request: %s", error)
            return _unauthorized(str(error))
        try:
            messages = self.to_rasa(activity)
        except InvalidActivity as error:
            if error.too_large:
                return _error(413, "payload_too_large", str(error))
            return _error(400, "invalid_activity", str(error))
        if messages and not await self._first_delivery(activity):
            logger.info("teams: activity %s already received, replay ignored", activity.get("id"))
            return response.json({"status": "accepted"})
        for message in messages:
            problem = text_problem(message.text or "")
            if problem is not None:
                logger.info("teams: message refused (%s, %d characters)", problem, len(message.text or ""))
                name = TOO_LONG_RESPONSE if problem == "too_long" else "utter_channel_error"
                self._dispatch(message, _answer_only(channel_text(name)))
                continue
            self._dispatch(message, on_new_message)
        return response.json({"status": "accepted"})

    async def _first_delivery(self, activity: Mapping[str, Any]) -> bool:
        """False when this activity (conversation, id) was accepted moments ago: a replay."""
        activity_id = _str_field(activity, "id")
        conversation = activity.get("conversation")
        conversation_id = _str_field(conversation, "id") if isinstance(conversation, dict) else None
        if activity_id is None or conversation_id is None:
            return True
        return await self._delivered.add(f"{conversation_id}\x1f{activity_id}")


def _answer_only(text: str) -> OnNewMessage:
    """A stand-in for the bot that only sends ``text`` back (the bot never sees the message)."""

    async def answer(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, text)

    return answer


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HTTPResponse:
    return response.json({"error": code, "message": message}, status=status, headers=headers)


def _unauthorized(message: str) -> HTTPResponse:
    return _error(401, "unauthorized", message, {"WWW-Authenticate": 'Bearer realm="teams"'})
