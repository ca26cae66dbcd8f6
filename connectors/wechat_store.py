"""Short-lived shared state of the WeChat channel: dedup claims, numbered choices, delivery windows.

Redis (``SET NX EX``) when ``WECHAT_REDIS_URL`` or ``REDIS_URL`` is set, so every Rasa and
action-server process sees the same claims and windows; an in-memory TTL dict otherwise. All
calls block (briefly): the channel runs them in an executor.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache
from typing import Any, Callable, Dict, Optional, Tuple, TypeVar

import redis
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from govservice import settings

logger = logging.getLogger(__name__)
T = TypeVar("T")


class MemoryStore:
    """An in-process store with expiry, for a single Rasa process without Redis."""

    def __init__(self) -> None:
        self._data: Dict[str, Tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._next_prune = 1024

    def _live(self, key: str, now: float) -> Optional[str]:
        entry = self._data.get(key)
        return entry[1] if entry and entry[0] > now else None

    def _set(self, key: str, value: str, ttl: float, now: float) -> None:
        self._data[key] = (now + ttl, value)
        if len(self._data) >= self._next_prune:  # amortised: prune when the dict has doubled
            self._data = {k: v for k, v in self._data.items() if v[0] > now}
            self._next_prune = max(1024, 2 * len(self._data))

    def claim(self, key: str, ttl: float) -> bool:
        """Set ``key`` unless it is already set; True when this caller set it."""
        now = time.monotonic()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._set(key, "1", ttl, now)
            return True

    def get(self, key: str) -> Optional[str]:
        """The value of ``key``, or None when missing or expired."""
        with self._lock:
            return self._live(key, time.monotonic())

    def put(self, key: str, value: str, ttl: float) -> None:
        """Set ``key`` to ``value`` for ``ttl`` seconds."""
        with self._lock:
            self._set(key, value, ttl, time.monotonic())

    def delete(self, key: str) -> None:
        """Remove ``key``."""
        with self._lock:
            self._data.pop(key, None)


class RedisStore:
    """The same operations on Redis, shared by every Rasa and action-server process.

    A Redis outage must not silence the channel: a failed claim counts as "new" (a rare double
    answer beats a lost one), a failed read as "missing".
    """

    def __init__(self, client: redis.Redis, prefix: str = "wechat:") -> None:
        self.client = client
        self.prefix = prefix

    def _call(self, default: T, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except redis.RedisError:
            logger.warning("Redis unavailable for the WeChat channel; continuing without it", exc_info=True)
            return default

    def claim(self, key: str, ttl: float) -> bool:
        """``SET NX EX``: True when this caller set the key."""
        return bool(self._call(True, self.client.set, self.prefix + key, "1", nx=True, ex=max(1, int(ttl))))

    def get(self, key: str) -> Optional[str]:
        """The value of ``key``, or None."""
        value = self._call(None, self.client.get, self.prefix + key)
        return value.decode() if isinstance(value, bytes) else value

    def put(self, key: str, value: str, ttl: float) -> None:
        """Set ``key`` to ``value`` for ``ttl`` seconds."""
        self._call(None, self.client.set, self.prefix + key, value, ex=max(1, int(ttl)))

    def delete(self, key: str) -> None:
        """Remove ``key``."""
        self._call(None, self.client.delete, self.prefix + key)


Store = MemoryStore | RedisStore


def redis_url() -> Optional[str]:
    """``WECHAT_REDIS_URL``, else ``REDIS_URL``, else None (in-memory)."""
    return settings.current().wechat_redis_url


def make_store(url: Optional[str], prefix: str = "wechat:") -> Store:
    """A Redis store when a URL is given, else an in-memory one."""
    if not url:
        return MemoryStore()
    return RedisStore(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2), prefix)


def session_storage(store: Store) -> SessionStorage:
    """The access_token storage for wechatpy: in Redis when the store is, so processes share one access_token."""
    if isinstance(store, RedisStore):
        return RedisStorage(store.client, prefix=store.prefix + "wechatpy")
    return MemoryStorage()


@lru_cache(maxsize=1)
def get_store() -> Store:
    """The process-wide store (Redis when configured), shared by the channel and notifications."""
    return make_store(redis_url(), settings.current().wechat_redis_prefix)
