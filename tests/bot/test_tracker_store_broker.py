"""What the event broker publishes is the redacted conversation: the broker sits behind the wrapper.

The unit tests collect what the wrapped store publishes in a list; the RabbitMQ test
(``TEST_STORES=prod``) publishes through Rasa's own Pika broker to a queue of its own and reads
the messages back from RabbitMQ.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Dict, List, Optional

import aio_pika
import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.tracker_store import FailSafeTrackerStore

from bot.tracker_store import RedactingTrackerStore
from govservice.store_urls import rabbitmq_parts
from tests.bot.test_tracker_store import DOMAIN, _assert_clean, login_conversation
from tests.store_backends import TEST_RABBITMQ_URL, require_prod_stores

pytestmark = pytest.mark.stores  # again against Redis and RabbitMQ with TEST_STORES=prod


class ListBroker(EventBroker):
    """Keeps every published event, in order."""

    def __init__(self) -> None:
        self.events: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.events.append(event)


def test_the_wrapped_store_publishes_every_event_redacted(inner_store: Optional[Dict[str, Any]]) -> None:
    broker = ListBroker()
    store = RedactingTrackerStore(domain=DOMAIN, inner=inner_store, event_broker=broker)
    tracker = login_conversation(f"pub-{uuid.uuid4().hex[:8]}")
    asyncio.run(store.save(tracker))
    assert [event["event"] for event in broker.events] == [event.type_name for event in tracker.events]
    _assert_clean(json.dumps(broker.events, ensure_ascii=False))


def test_a_later_turn_publishes_only_its_new_events(inner_store: Optional[Dict[str, Any]]) -> None:
    broker = ListBroker()
    store = RedactingTrackerStore(domain=DOMAIN, inner=inner_store, event_broker=broker)
    sender = f"pub-{uuid.uuid4().hex[:8]}"
    asyncio.run(store.save(login_conversation(sender)))
    published = len(broker.events)
    tracker = asyncio.run(store.retrieve(sender))
    tracker.update(login_conversation(sender).events[-1])  # the same message with an ID and a phone again
    asyncio.run(store.save(tracker))
    assert len(broker.events) == published + 1
    _assert_clean(json.dumps(broker.events[-1], ensure_ascii=False))


class BrokenStore(RedactingTrackerStore):
    """The redacting store while its inner store is down."""

    async def save(self, tracker: Any) -> None:
        raise ConnectionError("Redis is down")


def test_rasas_fallback_store_publishes_nothing_raw_while_the_inner_store_is_down() -> None:
    """Rasa's FailSafeTrackerStore hands the wrapper's broker to an in-memory fallback that saves raw."""
    broker = ListBroker()
    store = FailSafeTrackerStore(BrokenStore(domain=DOMAIN, event_broker=broker))
    asyncio.run(store.save(login_conversation("down")))
    assert broker.events == []


async def _published_through_rabbitmq(inner: Optional[Dict[str, Any]], queue: str, sender: str) -> List[bytes]:
    parts = rabbitmq_parts(TEST_RABBITMQ_URL)
    broker = PikaEventBroker(
        TEST_RABBITMQ_URL,
        parts["RABBITMQ_USER"],
        parts["RABBITMQ_PASSWORD"],
        port=parts["RABBITMQ_PORT"],
        queues=[queue],
        exchange_name=queue,
        connection_attempts=1,
    )
    await broker.connect()
    connection = await aio_pika.connect_robust(TEST_RABBITMQ_URL)
    try:
        store = RedactingTrackerStore(domain=DOMAIN, inner=inner, event_broker=broker)
        tracker = login_conversation(sender)
        await store.save(tracker)
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True)
        bodies: List[bytes] = []
        for _ in range(100):  # publishing runs in background tasks: collect until all arrived
            message = await declared.get(no_ack=True, fail=False)
            if message is None:
                if len(bodies) >= len(tracker.events):
                    break
                await asyncio.sleep(0.1)
                continue
            bodies.append(message.body)
        await declared.delete(if_unused=False, if_empty=False)
        await channel.exchange_delete(queue)
        return bodies
    finally:
        await connection.close()
        await broker.close()


def test_what_reaches_rabbitmq_is_redacted(inner_store: Optional[Dict[str, Any]]) -> None:
    require_prod_stores()
    queue = f"govtest_{uuid.uuid4().hex[:12]}"
    sender = f"mq-{uuid.uuid4().hex[:8]}"
    bodies = asyncio.run(_published_through_rabbitmq(inner_store, queue, sender))
    events = [json.loads(body) for body in bodies]
    assert len(events) == len(login_conversation(sender).events)
    assert {event["sender_id"] for event in events} == {sender}
    _assert_clean(b"\n".join(bodies).decode("utf-8"))
