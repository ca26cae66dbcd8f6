"""The event consumer: settings from the endpoints file, and events from RabbitMQ into the table.

The RabbitMQ test (``TEST_STORES=prod``) publishes with Rasa's own Pika broker to a queue of its
own and runs the consumer against the real broker and the test database.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from types import SimpleNamespace
from typing import Any, Dict, List

import aio_pika
import pytest
import rasa.shared.core.events  # noqa: F401  (Rasa's Pika broker uses it without importing it)
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import select

from govservice.conversation_events import ConversationEvent, sender_hash
from govservice.db import ensure_schema, session_scope
from govservice.events import Batcher, BrokerConfigError, connection_settings, consume, main
from govservice.store_urls import rabbitmq_parts
from overrides.event_broker import RetryingPikaEventBroker
from tests.store_backends import TEST_RABBITMQ_URL, require_prod_stores

pytestmark = pytest.mark.stores  # again against Redis and RabbitMQ with TEST_STORES=prod


def _pika(**kwargs: Any) -> EndpointConfig:
    return EndpointConfig.from_dict({"type": "pika", "url": "amqp://mq.example:5673/gov", "queues": ["q1"], **kwargs})


def test_settings_come_from_rasas_broker_section() -> None:
    settings = connection_settings(_pika(username="rasa", password="pw", exchange_name="x1"))
    assert settings == {"host": "mq.example", "port": 5673, "login": "rasa", "password": "pw",
                        "virtualhost": "gov", "exchange": "x1", "queue": "q1"}


def test_a_plain_host_and_rasas_defaults() -> None:
    settings = connection_settings(_pika(url="localhost", queues="events"))
    assert (settings["host"], settings["port"], settings["virtualhost"]) == ("localhost", 5672, "/")
    assert (settings["exchange"], settings["queue"], settings["login"]) == ("rasa-exchange", "events", "guest")


@pytest.mark.parametrize("config", [None, EndpointConfig.from_dict({"type": "sql"}), _pika(queues=[])])
def test_no_pika_broker_or_no_queue_is_refused(config: Any) -> None:
    with pytest.raises(BrokerConfigError):
        connection_settings(config)


def test_main_says_what_is_missing_in_chinese(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: redis\n", encoding="utf-8")
    assert main(["--endpoints", str(endpoints)]) == 2
    assert "event_broker" in capsys.readouterr().out


async def _consume_published(settings: Dict[str, Any], sender: str) -> None:
    parts = rabbitmq_parts(TEST_RABBITMQ_URL)
    broker = RetryingPikaEventBroker(TEST_RABBITMQ_URL, parts["RABBITMQ_USER"], parts["RABBITMQ_PASSWORD"],
                                     port=parts["RABBITMQ_PORT"], queues=[settings["queue"]],
                                     exchange_name=settings["exchange"], connection_attempts=1)
    await broker.connect()
    stop = asyncio.Event()
    consumer = asyncio.create_task(consume(settings, stop))
    try:
        broker.publish({"sender_id": sender, "event": "user", "timestamp": 1764670000.0, "text": "11010519491231002X",
                        "parse_data": {"intent": {"name": "ask_materials"}}, "input_channel": "wechat"})
        broker.publish({"sender_id": sender, "event": "action", "timestamp": 1764670001.0, "name": "action_listen"})
        for _ in range(100):
            await asyncio.sleep(0.1)
            if len(_stored(sender)) == 2:
                break
    finally:
        stop.set()
        await consumer
        await broker.close()


def _stored(sender: str) -> list:
    with session_scope() as session:
        query = select(ConversationEvent).where(ConversationEvent.sender_hash == sender_hash(sender))
        rows = session.execute(query.order_by(ConversationEvent.occurred_at)).scalars()  # arrival order may differ
        return [(row.event_type, row.name, row.channel) for row in rows]


def test_published_events_arrive_in_the_table_without_their_text() -> None:
    require_prod_stores()
    ensure_schema()
    name = f"govtest_{uuid.uuid4().hex[:12]}"
    settings = connection_settings(_pika(url=TEST_RABBITMQ_URL, queues=[name], exchange_name=name))
    sender = f"consumer-{uuid.uuid4().hex[:8]}"
    try:
        asyncio.run(_consume_published(settings, sender))
    finally:
        asyncio.run(_delete_queue(name))
    assert _stored(sender) == [("user", "ask_materials", "wechat"), ("action", "action_listen", None)]
    with session_scope() as session:
        rows = session.execute(select(ConversationEvent.__table__)).all()
        assert "11010519491231002X" not in json.dumps([list(row) for row in rows], default=str)


async def _delete_queue(name: str) -> None:
    connection = await aio_pika.connect_robust(TEST_RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)
        await channel.exchange_delete(name)


class _Delivered:
    """What the batcher uses of aio-pika's incoming message: its body, ack and nack."""

    def __init__(self, body: bytes) -> None:
        self.body, self.outcome = body, ""
        self.channel = SimpleNamespace(is_closed=False)

    async def ack(self) -> None:
        self.outcome = "ack"

    async def nack(self, requeue: bool = True) -> None:
        self.outcome = f"nack requeue={requeue}"


def _batch_outcomes(monkeypatch: pytest.MonkeyPatch, fail: bool) -> List[str]:
    stored: List[List[bytes]] = []

    def store(bodies: List[bytes]) -> None:
        if fail:
            raise OSError("database down")
        stored.append(bodies)

    monkeypatch.setattr("govservice.events.store", store)
    monkeypatch.setattr("govservice.events.RETRY_SECONDS", 0.0)
    messages = [_Delivered(f"m{i}".encode()) for i in range(3)]

    async def go() -> None:
        batcher = Batcher()
        for message in messages:
            await batcher.handle(message)  # type: ignore[arg-type]
        stop = asyncio.Event()
        stop.set()
        await batcher.run(stop)

    asyncio.run(go())
    assert stored == ([] if fail else [[b"m0", b"m1", b"m2"]])  # one transaction for the batch
    return [m.outcome for m in messages]


def test_a_batch_is_acknowledged_only_after_it_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _batch_outcomes(monkeypatch, fail=False) == ["ack"] * 3


def test_a_batch_the_database_refused_goes_back_to_the_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _batch_outcomes(monkeypatch, fail=True) == ["nack requeue=True"] * 3


async def _flush_after_restart(name: str) -> tuple:
    """Deliver a message, lose the connection as a RabbitMQ restart does, then flush and consume again."""
    publisher = await aio_pika.connect_robust(TEST_RABBITMQ_URL)
    async with publisher:
        channel = await publisher.channel()
        queue = await channel.declare_queue(name, durable=True)
        await channel.default_exchange.publish(aio_pika.Message(b'{"event": "restart"}'), routing_key=name)
    consumer = await aio_pika.connect(TEST_RABBITMQ_URL)
    batcher = Batcher()
    channel = await consumer.channel()
    queue = await channel.declare_queue(name, durable=True)
    await queue.consume(batcher.handle)
    for _ in range(50):
        if batcher.pending:
            break
        await asyncio.sleep(0.1)
    delivered = batcher.pending[0]
    await consumer.close()  # the channel the message came on is gone
    await asyncio.wait_for(batcher.flush(), 3)  # before the fix: waited forever on the dead channel
    again = await aio_pika.connect(TEST_RABBITMQ_URL)
    async with again:
        redelivered = await (await (await again.channel()).declare_queue(name, durable=True)).get(timeout=5)
        await redelivered.ack()
        await (await again.channel()).queue_delete(name)
    return delivered.body, redelivered.body, redelivered.redelivered


def test_a_batch_whose_channel_died_is_stored_and_left_for_redelivery(monkeypatch: pytest.MonkeyPatch) -> None:
    require_prod_stores()
    stored: List[List[bytes]] = []
    monkeypatch.setattr("govservice.events.store", stored.append)
    first, again, redelivered = asyncio.run(_flush_after_restart(f"govtest_{uuid.uuid4().hex[:12]}"))
    # Stored once now; RabbitMQ delivers it again, and record_many keeps a message stored twice once.
    assert stored == [[first]] and again == first and redelivered
