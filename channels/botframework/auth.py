"""Inbound authentication: Bot Connector JWTs checked against the Bot Framework signing keys."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from channels.botframework._common import (
    JWKS_TTL_SECONDS,
    STALE_RETRY_SECONDS,
    UNKNOWN_KID_REFETCH_INTERVAL_SECONDS,
    Clock,
    SigningKeysUnavailable,
    _check_base_url,
    _HttpSession,
    logger,
)


@dataclass(frozen=True)
class SigningKey:
    public_key: RSAPublicKey
    endorsements: frozenset[str]


@dataclass(frozen=True)
class VerifiedToken:
    claims: dict[str, Any]
    endorsements: frozenset[str]


class OpenIdKeyStore:
    """The Bot Framework signing keys (OpenID metadata → ``jwks_uri``), cached with a TTL."""

    def __init__(
        self,
        metadata_url: str,
        http: _HttpSession,
        clock: Clock,
        ttl: float = JWKS_TTL_SECONDS,
        unknown_kid_interval: float = UNKNOWN_KID_REFETCH_INTERVAL_SECONDS,
    ) -> None:
        self.metadata_url = metadata_url
        self._http = http
        self._clock = clock
        self._ttl = ttl
        self._unknown_kid_interval = unknown_kid_interval
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._last_unknown_kid_fetch: float | None = None
        self._generation = 0
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    async def get(self, kid: str) -> SigningKey | None:
        """The key ``kid``; None when even a fresh key set lacks it."""
        refreshed = False
        now = self._clock()
        if self._fetched_at is None or now - self._fetched_at >= self._ttl:
            refreshed = await self._refresh(self._generation, stale_ok=True)
        key = self._keys.get(kid)
        if key is not None or refreshed:
            return key
        last = self._last_unknown_kid_fetch
        if last is not None and now - last < self._unknown_kid_interval:
            return None
        self._last_unknown_kid_fetch = now
        logger.info("teams: token signed with unknown key id, fetching the Bot Framework keys again")
        await self._refresh(self._generation, stale_ok=True)
        return self._keys.get(kid)

    async def _refresh(self, seen_generation: int, *, stale_ok: bool) -> bool:
        """Fetch the key set unless another request did since ``seen_generation``."""
        async with self._lock:
            if self._generation != seen_generation:
                return True
            try:
                keys = await self._fetch()
            except SigningKeysUnavailable as error:
                if stale_ok and self._keys:
                    logger.warning("teams: could not refresh the Bot Framework keys (%s); using cached keys", error)
                    if self._fetched_at is not None:  # try again in a minute, not on every request
                        self._fetched_at = max(self._fetched_at, self._clock() - self._ttl + STALE_RETRY_SECONDS)
                    return False
                raise
            self._keys = keys
            self._fetched_at = self._clock()
            self._generation += 1
            return True

    async def _get_json(self, session: aiohttp.ClientSession, url: str) -> Any:
        async with session.get(url, headers={"Accept": "application/json"}) as resp:
            if resp.status != 200:
                raise SigningKeysUnavailable(f"{url} answered {resp.status}")
            return await resp.json(content_type=None)

    async def _fetch(self) -> dict[str, SigningKey]:
        self.fetch_count += 1
        session = await self._http.get()
        try:
            metadata = await self._get_json(session, self.metadata_url)
            jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
            if not isinstance(jwks_uri, str):
                raise SigningKeysUnavailable("OpenID metadata has no jwks_uri")
            _check_base_url(jwks_uri, "jwks_uri")
            jwks = await self._get_json(session, jwks_uri)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise SigningKeysUnavailable(f"{type(error).__name__} fetching the signing keys") from None
        raw_keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(raw_keys, list):
            raise SigningKeysUnavailable("key set has no 'keys' list")
        keys: dict[str, SigningKey] = {}
        for raw in raw_keys:
            if not isinstance(raw, dict) or raw.get("kty") != "RSA" or raw.get("use", "sig") != "sig":
                continue
            kid = raw.get("kid")
            if not isinstance(kid, str) or not kid:
                continue
            try:
                loaded = RSAAlgorithm.from_jwk(json.dumps(raw))
            except (jwt.PyJWTError, ValueError, TypeError, KeyError):
                logger.warning("teams: skipping an unreadable signing key")
                continue
            public = loaded.public_key() if isinstance(loaded, RSAPrivateKey) else loaded
            endorsements = raw.get("endorsements")
            if not isinstance(endorsements, list):
                endorsements = []
            names = frozenset(e for e in endorsements if isinstance(e, str))
            keys[kid] = SigningKey(public, names)
        if not keys:
            raise SigningKeysUnavailable("key set holds no usable RSA signing key")
        return keys
