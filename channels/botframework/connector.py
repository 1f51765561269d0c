"""Outbound calls: access tokens (single- or multi-tenant) and the Bot Connector REST API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from channels.botframework._common import (
    CONNECTOR_SCOPE,
    MAX_RETRY_AFTER_SECONDS,
    RETRY_STATUSES,
    TOKEN_REFRESH_MARGIN_SECONDS,
    BotConnectorError,
    Clock,
    _HttpSession,
    logger,
)


class ConnectorTokenProvider:
    """Client-credentials access token for the Bot Connector, cached until shortly before expiry."""

    def __init__(self, app_id: str, app_password: str, token_url: str, http: _HttpSession, clock: Clock) -> None:
        self.app_id = app_id
        self._app_password = app_password
        self.token_url = token_url
        self._http = http
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    def invalidate(self) -> None:
        self._token = None

    async def get(self) -> str:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        async with self._lock:
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            return await self._fetch()

    async def _fetch(self) -> str:
        self.fetch_count += 1
        form = {
            "grant_type": "client_credentials",
            "client_id": self.app_id,
            "client_secret": self._app_password,
            "scope": CONNECTOR_SCOPE,
        }
        started = self._clock()
        try:
            session = await self._http.get()
            async with session.post(self.token_url, data=form, headers={"Accept": "application/json"}) as resp:
                status = resp.status
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise BotConnectorError(f"token request to {self.token_url} failed ({type(error).__name__})") from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if status != 200 or not isinstance(token, str) or not token:
            code = body.get("error") if isinstance(body, dict) else None
            raise BotConnectorError(f"token endpoint {self.token_url} answered {status} (error={code!r})")
        try:
            lifetime = max(float(body.get("expires_in", 3600)), 0.0)
        except (TypeError, ValueError):
            lifetime = 3600.0
        self._token = token
        self._refresh_at = started + lifetime - min(TOKEN_REFRESH_MARGIN_SECONDS, lifetime / 2)
        return token


class BotConnectorClient:
    """Posts activities to ``{serviceUrl}/v3/conversations/{id}/activities``."""

    def __init__(self, tokens: ConnectorTokenProvider, http: _HttpSession) -> None:
        self.tokens = tokens
        self._http = http

    async def post_activity(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> bool:
        """True when the Connector accepted the activity; failures are logged, never raised."""
        url = f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        refreshed = retried = False
        while True:
            try:
                token = await self.tokens.get()
            except BotConnectorError as error:
                logger.error("teams: no Bot Connector token, reply to %s dropped: %s", conversation_id, error)
                return False
            try:
                session = await self._http.get()
                async with session.post(url, json=activity, headers={"Authorization": f"Bearer {token}"}) as resp:
                    if 200 <= resp.status < 300:
                        return True
                    status = resp.status
                    retry_after = resp.headers.get("Retry-After")
                    detail = (await resp.text())[:300]
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.error("teams: posting to the Bot Connector at %s failed (%s)", service_url, type(error).__name__)
                return False
            if status in (401, 403) and not refreshed:
                refreshed = True
                self.tokens.invalidate()
                continue
            if status in RETRY_STATUSES and not retried:
                retried = True
                await asyncio.sleep(_retry_delay(retry_after))
                continue
            logger.error("teams: Bot Connector answered %s for conversation %s: %s", status, conversation_id, detail)
            return False


def _retry_delay(retry_after: str | None) -> float:
    try:
        return min(max(float(retry_after or 0.5), 0.0), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        return 0.5


# ---------------------------------------------------------------------------- output


@dataclass(frozen=True)
class ConversationReference:
    """Where and as whom to answer: taken from the incoming activity."""

    service_url: str
    conversation: dict[str, Any]
    bot: dict[str, Any]
    user: dict[str, Any]
    reply_to_id: str | None = None
    channel_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
