"""Redelivery/replay de-duplication shared by every Rasa replica (Redis), with an
in-process fallback.

LINE redelivers a webhook event (same ``webhookEventId``) when our 200 came too late,
and a Teams activity can be replayed with a still-valid token. With one Rasa process
an in-process set of recent ids is enough; behind a load balancer the redelivery may
land on another replica, so when ``REDIS_URL`` is set (the production profile,
``scripts/prod.sh``) the ids are kept in Redis: ``SET <prefix><id> 1 NX EX <ttl>`` is
atomic, so exactly one replica sees "first delivery".

Redis is an optimisation of correctness, never a point of failure: the client is
created lazily with short socket timeouts, and when Redis does not answer the
in-process cache decides (a warning is logged once per outage, Redis is tried again
after ``RETRY_AFTER_SECONDS``). A redelivery that reaches another replica during a
Redis outage may then be processed twice — the same as without Redis — but the
webhook never fails because of it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT_SECONDS = 0.5
RETRY_AFTER_SECONDS = 5.0
KEY_PREFIX = "desk:dedupe:"


class RecentIds:
    """Bounded set of recently seen ids (oldest forgotten first)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def add(self, key: str) -> bool:
        """Remember ``key``; False when it was already known."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True


def redis_url_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if environ is None else environ).get("REDIS_URL", "").strip()
    return value or None


class SharedRecentIds:
    """``await ids.add(key)`` is True only for the first delivery of ``key``, across replicas.

    ``namespace`` separates the channels' keys; ``ttl_seconds`` is how long an id is
    remembered in Redis (the in-process cache keeps the ``local`` capacity instead).
    """

    def __init__(
        self,
        namespace: str,
        local: RecentIds,
        ttl_seconds: int,
        redis_url: str | None = None,
        *,
        socket_timeout: float = SOCKET_TIMEOUT_SECONDS,
        retry_after: float = RETRY_AFTER_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be positive")
        self.namespace = namespace
        self.local = local
        self.ttl_seconds = ttl_seconds
        self.redis_url = redis_url
        self._socket_timeout = socket_timeout
        self._retry_after = retry_after
        self._clock = clock
        self._client: Any = None
        self._down_since: float | None = None

    @classmethod
    def from_env(cls, namespace: str, local: RecentIds, ttl_seconds: int) -> SharedRecentIds:
        return cls(namespace, local, ttl_seconds, redis_url_from_env())

    @property
    def shared(self) -> bool:
        """True when Redis answered the last time it was asked."""
        return self.redis_url is not None and self._down_since is None

    def _key(self, key: str) -> str:
        # Hash: ids come from the network (bounded in length by the channels, but may
        # hold any character); the key stays short and printable.
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"{KEY_PREFIX}{self.namespace}:{digest}"

    def _redis(self) -> Any:
        if self._client is None:
            from redis.asyncio import Redis

            self._client = Redis.from_url(
                str(self.redis_url),
                socket_timeout=self._socket_timeout,
                socket_connect_timeout=self._socket_timeout,
                retry_on_timeout=False,
            )
        return self._client

    async def add(self, key: str) -> bool:
        """Remember ``key``; False when it was already seen (by any replica when shared)."""
        first_here = self.local.add(key)
        if self.redis_url is None:
            return first_here
        now = self._clock()
        if self._down_since is not None and now - self._down_since < self._retry_after:
            return first_here
        try:
            stored = await self._redis().set(self._key(key), 1, nx=True, ex=self.ttl_seconds)
        except Exception as error:  # any Redis/network failure → in-process decision, never a 500
            if self._down_since is None:
                logger.warning(
                    "dedupe(%s): Redis unavailable (%s); using the in-process cache until it is back",
                    self.namespace,
                    type(error).__name__,
                )
            self._down_since = now
            await self._drop_client()
            return first_here
        if self._down_since is not None:
            logger.info("dedupe(%s): Redis is back; ids are shared between replicas again", self.namespace)
            self._down_since = None
        # A key Redis forgot (TTL, Redis restarted) but this process still remembers is a duplicate too.
        return bool(stored) and first_here

    async def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.close(close_connection_pool=True)
            except Exception:  # closing a broken connection may fail too
                logger.debug("dedupe(%s): closing the Redis client failed", self.namespace, exc_info=True)

    async def close(self) -> None:
        await self._drop_client()
