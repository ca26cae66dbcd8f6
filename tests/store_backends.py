"""The stores the store tests run against: the embedded ones always, Redis too with ``TEST_STORES=prod``.

``make test`` runs the unit stage twice for these tests: once as is (in-memory tracker and lock
stores) and once with ``TEST_STORES=prod`` against the local Redis. The Redis tests use
``TEST_REDIS_URL`` (default ``redis://localhost:6379/15``, a database no process of the project
uses) and a fresh alphanumeric key prefix per test, deleted afterwards, so they never touch
anybody's conversations. RabbitMQ tests use ``TEST_RABBITMQ_URL`` (default the local broker) and
a queue and exchange named per test.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, Dict, Iterator, Optional

import pytest
import redis

from govservice.store_urls import redis_parts

TEST_STORES = os.environ.get("TEST_STORES", "embedded")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379/15")
TEST_RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@localhost:5672/")
BACKENDS = ("memory", "redis")


def require_prod_stores() -> None:
    """Skip unless the run asked for the production stores (``TEST_STORES=prod``)."""
    if TEST_STORES != "prod":
        pytest.skip("Redis/RabbitMQ store tests run with TEST_STORES=prod (scripts/test.sh)")


def redis_database() -> int:
    """The test database number of ``TEST_REDIS_URL``."""
    path = TEST_REDIS_URL.rsplit("/", 1)[-1]
    return int(path) if path.isdigit() else 0


def redis_inner_config(prefix: str) -> Dict[str, Any]:
    """Rasa's ``type: redis`` store settings for the test database under ``prefix``."""
    parts = redis_parts(TEST_REDIS_URL)
    return {
        "type": "redis",
        "url": parts["REDIS_HOST"],
        "port": int(parts["REDIS_PORT"]),
        "password": parts["REDIS_PASSWORD"] or None,
        "db": redis_database(),
        "key_prefix": prefix,
    }


def redis_client() -> redis.Redis:
    """A client on the test database; the test is skipped when Redis does not answer."""
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"TEST_STORES=prod but Redis at {TEST_REDIS_URL} does not answer: {error}")
    return client


@pytest.fixture()
def redis_prefix() -> Iterator[str]:
    """A fresh key prefix on the test Redis database; every key under it is deleted afterwards."""
    require_prod_stores()
    client = redis_client()
    prefix = f"govtest{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(params=BACKENDS)
def inner_store(request: pytest.FixtureRequest) -> Iterator[Optional[Dict[str, Any]]]:
    """The redacting store's ``inner`` settings: None (in memory), or Redis under a fresh prefix."""
    if request.param == "memory":
        yield None
        return
    prefix = request.getfixturevalue("redis_prefix")
    yield redis_inner_config(prefix)
