"""Constants, errors and small helpers shared by the Teams channel modules."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from rasa.core.channels.channel import UserMessage
from rasa.shared.exceptions import RasaException

from channels.limits import TEAMS_MAX_BODY_BYTES

logger = logging.getLogger(__name__)

BOTFRAMEWORK_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
BOTFRAMEWORK_ISSUER = "https://api.botframework.com"
DEFAULT_LOGIN_BASE = "https://login.microsoftonline.com"
MULTI_TENANT = "botframework.com"
CONNECTOR_SCOPE = "https://api.botframework.com/.default"
HERO_CARD = "application/vnd.microsoft.card.hero"
GREET = "/greet"

MAX_BODY_BYTES = TEAMS_MAX_BODY_BYTES  # the limits live in channels.limits
MAX_ID_CHARS = 1024
ALGORITHM = "RS256"
CLOCK_SKEW_SECONDS = 300
JWKS_TTL_SECONDS = 24 * 3600
# A token naming an unknown key triggers one fetch of the key set; further such fetches
# wait this long, so random key ids cannot make us hammer the metadata endpoint.
UNKNOWN_KID_REFETCH_INTERVAL_SECONDS = 300
STALE_RETRY_SECONDS = 60
TOKEN_REFRESH_MARGIN_SECONDS = 300
GREET_DEDUP_SECONDS = 600
GREET_DEDUP_MAX = 10_000
# (conversation id, activity id) of the activities accepted recently: a request
# replayed with a still-valid token is acknowledged and dropped.
ACTIVITY_DEDUP_MAX = 10_000
# How long Redis remembers an accepted activity (longer than a Bot Connector token lives).
ACTIVITY_DEDUP_TTL_SECONDS = 2 * 3600
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=5)
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 2.0

_BEARER = re.compile(r"Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*", re.IGNORECASE)
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,253}")

Clock = Callable[[], float]
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class TeamsConfigError(RasaException):
    """The ``teams`` channel's credentials are missing or invalid."""


class TeamsAuthError(Exception):
    """The request is not from the Bot Connector for this bot (→ 401)."""


class SigningKeysUnavailable(Exception):
    """The Bot Framework signing keys could not be fetched (→ 503)."""


class InvalidActivity(Exception):
    """The body is not a usable Bot Framework activity (→ 400, or 413 when ``too_large``)."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


class BotConnectorError(Exception):
    """An outbound call (token or Connector) failed; the message holds no secret."""


# --------------------------------------------------------------------------- helpers


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _check_base_url(url: str, what: str) -> str:
    """``url`` without a trailing slash; https, or http on loopback (emulator, tests)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"{what} must be an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(f"{what} must use https (plain http only on localhost)")
    return url.rstrip("/")


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


class _HttpSession:
    """One aiohttp session per event loop, created on first use."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def get(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(timeout=HTTP_TIMEOUT)
            self._loop = loop
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = None
