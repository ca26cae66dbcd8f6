"""endpoints.prod.yml: the production stores are chosen by configuration, from the environment alone.

The first tests only read the file (no network). With ``TEST_STORES=prod`` the stores it names are
built against the local Redis and RabbitMQ: two lock stores, as two Rasa servers hold them,
serialise the turns of one conversation.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path
from typing import Dict, List

import pytest
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore, TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain

from bot.tracker_store import RedactingTrackerStore
from govservice.store_urls import store_environment
from tests.store_backends import TEST_REDIS_URL, redis_client, redis_database, require_prod_stores

pytestmark = pytest.mark.stores  # again against Redis and RabbitMQ with TEST_STORES=prod

ENDPOINTS = Path(__file__).resolve().parent.parent / "endpoints.prod.yml"


def _environment(prefix: str) -> Dict[str, str]:
    database = str(redis_database())
    given = {"REDIS_URL": TEST_REDIS_URL, "TRACKER_REDIS_DB": database, "LOCK_REDIS_DB": database,
             "REDIS_KEY_PREFIX": prefix, "PROD_EVENTS_QUEUE": f"govtest_{prefix}"}
    return {**store_environment(given), "ACTION_SERVER_URL": "http://127.0.0.1:9/webhook", "ACTION_SERVER_TOKEN": "t"}


@pytest.fixture()
def endpoints(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AvailableEndpoints:
    """The file read with a test environment (a copy: Rasa caches what it read by path)."""
    prefix = f"govtest{uuid.uuid4().hex[:12]}"
    for name, value in _environment(prefix).items():
        monkeypatch.setenv(name, value)
    copy = tmp_path / "endpoints.prod.yml"
    shutil.copy(ENDPOINTS, copy)
    return AvailableEndpoints.read_endpoints(str(copy))


def test_trackers_go_to_redis_behind_the_redacting_store(endpoints: AvailableEndpoints) -> None:
    config = endpoints.tracker_store
    assert config is not None and config.type == "bot.tracker_store.RedactingTrackerStore"
    inner = config.kwargs["inner"]
    assert inner["type"] == "redis" and str(inner["db"]) == str(redis_database())
    assert inner["key_prefix"].startswith("govtest")


def test_locks_go_to_redis_and_events_to_the_named_queue(endpoints: AvailableEndpoints) -> None:
    assert endpoints.lock_store is not None and endpoints.lock_store.type == "redis"
    broker = endpoints.event_broker
    assert broker is not None and broker.type == "overrides.event_broker.RetryingPikaEventBroker"
    queue = broker.kwargs["queues"][0]
    assert queue.startswith("govtest_") and broker.kwargs["exchange_name"] == queue


def test_the_stores_rasa_builds_from_it(endpoints: AvailableEndpoints) -> None:
    store = TrackerStore.create(endpoints.tracker_store, Domain.empty())
    assert isinstance(store, RedactingTrackerStore) and isinstance(store.inner, RedisTrackerStore)
    assert store.event_broker is None  # the broker belongs to the inner store only (bot/tracker_store.py)
    lock_store = LockStore.create(endpoints.lock_store)
    assert isinstance(lock_store, RedisLockStore) and lock_store.key_prefix.endswith(":lock:")


async def _turns(stores: List[LockStore], sender: str) -> List[str]:
    log: List[str] = []

    async def turn(index: int) -> None:
        async with stores[index].lock(sender, lock_lifetime=10, wait_time_in_seconds=0.02):
            log.append(f"{index} start")
            await asyncio.sleep(0.3)
            log.append(f"{index} end")

    await asyncio.gather(turn(0), turn(1))
    return log


def test_two_rasa_servers_take_turns_on_one_conversation(endpoints: AvailableEndpoints) -> None:
    """Two lock stores built from the file, as two processes hold them, never overlap one conversation."""
    require_prod_stores()
    stores = [LockStore.create(endpoints.lock_store) for _ in range(2)]
    sender = f"lock-{uuid.uuid4().hex[:8]}"
    try:
        log = asyncio.run(_turns(stores, sender))
    finally:
        prefix = endpoints.lock_store.kwargs["key_prefix"]
        client = redis_client()
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    assert log in (["0 start", "0 end", "1 start", "1 end"], ["1 start", "1 end", "0 start", "0 end"])
