"""The retrying Pika broker sends held events while connected, not only on reconnect (real RabbitMQ)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import List

import aio_pika
import pytest

from govservice.store_urls import rabbitmq_parts
from overrides.event_broker import RetryingPikaEventBroker
from tests.store_backends import TEST_RABBITMQ_URL, require_prod_stores

pytestmark = pytest.mark.stores  # against RabbitMQ with TEST_STORES=prod


async def _drain(queue_name: str) -> List[str]:
    connection = await aio_pika.connect(TEST_RABBITMQ_URL)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        texts = []
        while (message := await queue.get(fail=False)) is not None:
            texts.append(json.loads(message.body)["text"])
            await message.ack()
        await queue.delete(if_unused=False, if_empty=False)
        await channel.exchange_delete(queue_name)  # durable: it would outlive the test
        return texts
    finally:
        await connection.close()


def _broker(name: str) -> RetryingPikaEventBroker:
    parts = rabbitmq_parts(TEST_RABBITMQ_URL)
    broker = RetryingPikaEventBroker(TEST_RABBITMQ_URL, parts["RABBITMQ_USER"], parts["RABBITMQ_PASSWORD"],
                                     port=parts["RABBITMQ_PORT"], queues=[name], exchange_name=name)
    broker.retry_seconds = 0.5
    return broker


async def _until_none_held(broker: RetryingPikaEventBroker) -> None:
    for _ in range(40):
        await asyncio.sleep(0.25)
        if not broker._unpublished_events:
            break
    await asyncio.sleep(0.5)
    assert not broker._unpublished_events


async def _held_event_goes_out() -> List[str]:
    name = f"faults_broker_{uuid.uuid4().hex[:8]}"
    broker = _broker(name)
    await broker.connect()
    try:
        # What a publish that failed after the reconnect callback leaves behind (tests/faults found it).
        broker._unpublished_events.append({"event": "user", "text": "held", "sender_id": "s"})
        broker.publish({"event": "user", "text": "live", "sender_id": "s"})
        await _until_none_held(broker)
    finally:
        await broker.close()
    return await _drain(name)


def test_a_held_event_is_published_while_connected() -> None:
    require_prod_stores()
    assert sorted(asyncio.run(_held_event_goes_out())) == ["held", "live"]


async def _unrouted_event_is_held() -> List[str]:
    name = f"faults_unrouted_{uuid.uuid4().hex[:8]}"
    broker = _broker(name)
    await broker.connect()
    connection = await aio_pika.connect(TEST_RABBITMQ_URL)
    try:
        channel = await connection.channel()
        # What a RabbitMQ restart did to Rasa's transient exchange: the queue's binding gone.
        queue = await channel.declare_queue(name, durable=True)
        await queue.unbind(name, "")
        broker.publish({"event": "user", "text": "unrouted", "sender_id": "s"})
        for _ in range(40):
            await asyncio.sleep(0.1)
            if broker._unpublished_events:
                break
        assert [e["text"] for e in broker._unpublished_events] == ["unrouted"]  # held, not dropped
        await queue.bind(name, "")
        await _until_none_held(broker)
    finally:
        await connection.close()
        await broker.close()
    return await _drain(name)


def test_an_event_nothing_was_bound_to_receive_is_held_and_sent_again() -> None:
    require_prod_stores()
    assert asyncio.run(_unrouted_event_is_held()) == ["unrouted"]


async def _exchange_survives_restart_declaration(name: str) -> bool:
    """A passive declaration of a durable exchange with durable=False is refused, so ask directly."""
    connection = await aio_pika.connect(TEST_RABBITMQ_URL)
    try:
        channel = await connection.channel()
        try:
            await channel.declare_exchange(name, type=aio_pika.ExchangeType.FANOUT, durable=False)
        except aio_pika.exceptions.ChannelPreconditionFailed:
            return True
        return False
    finally:
        await connection.close()


async def _declared(name: str) -> bool:
    broker = _broker(name)
    await broker.connect()
    try:
        return await _exchange_survives_restart_declaration(name)
    finally:
        await broker.close()
        await _drain(name)


def test_the_exchange_is_durable_so_its_binding_survives_a_restart() -> None:
    require_prod_stores()
    assert asyncio.run(_declared(f"faults_durable_{uuid.uuid4().hex[:8]}"))
