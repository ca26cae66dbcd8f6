"""``python -m govservice.events``: consume Rasa's event queue into ``conversation_events``.

Reads the ``event_broker`` section of the endpoints file (``--endpoints``, default ``ENDPOINTS``):
the same RabbitMQ, exchange and queue Rasa's Pika broker publishes to. Messages are stored in
batches (:func:`govservice.conversation_events.record_many`: up to :data:`BATCH_SIZE` messages or
what arrived within :data:`BATCH_SECONDS`, one transaction) and acknowledged only after it commits,
so a crash or a database outage loses nothing: RabbitMQ delivers the messages again, and a message
stored twice is kept once. ``scripts/run_prod.sh`` runs and supervises it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import List, Optional, Sequence
from urllib.parse import urlsplit

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from govservice import conversation_events, settings
from govservice.db import session_scope

logger = logging.getLogger(__name__)
BATCH_SIZE = 200
BATCH_SECONDS = 0.5
PREFETCH = 2 * BATCH_SIZE  # unacknowledged messages RabbitMQ hands over: a batch and the next
RETRY_SECONDS = 2.0
SETTLE_SECONDS = 5.0


class BrokerConfigError(ValueError):
    """The endpoints file names no usable Pika broker; the message says why, in Chinese."""


PIKA_TYPES = ("overrides.event_broker.RetryingPikaEventBroker",)
"""Event broker types besides Rasa's ``pika`` that publish with its Pika broker (this one retries held events)."""


def connection_settings(config: Optional[EndpointConfig]) -> dict:
    """aio-pika's connection arguments and the exchange and queue, from Rasa's ``event_broker`` settings.

    Raises:
        BrokerConfigError: no ``event_broker`` of type ``pika``, or it names no queue.
    """
    if config is None or (str(config.type).lower() != "pika" and str(config.type) not in PIKA_TYPES):
        raise BrokerConfigError("端点配置中没有 type: pika 的 event_broker")
    kwargs = config.kwargs
    queues = kwargs.get("queues")
    queue = queues[0] if isinstance(queues, (list, tuple)) and queues else queues
    if not isinstance(queue, str) or not queue:
        raise BrokerConfigError("event_broker 没有配置 queues")
    url = str(config.url or "localhost")
    parts = urlsplit(url if "://" in url else f"amqp://{url}")
    return {
        "host": parts.hostname or "localhost",
        "port": int(kwargs.get("port") or parts.port or 5672),
        "login": str(kwargs.get("username") or parts.username or "guest"),
        "password": str(kwargs.get("password") or parts.password or "guest"),
        "virtualhost": parts.path[1:] or "/",
        "exchange": str(kwargs.get("exchange_name") or "rasa-exchange"),
        "queue": queue,
    }


def store(bodies: List[bytes]) -> None:
    """Record messages in one transaction (blocking: run off the event loop)."""
    with session_scope() as session:
        conversation_events.record_many(session, bodies)


async def settle(message: AbstractIncomingMessage, ack: bool) -> bool:
    """Acknowledge (or requeue) one message; False when its channel is gone.

    aiormq waits for the frame to be written, forever once its connection died with a RabbitMQ
    restart (a whole batch stuck there stopped the consumer: make faults). RabbitMQ requeues every
    unacknowledged message of a closed channel, and a message stored twice is kept once.
    """
    if message.channel.is_closed:
        return False
    try:
        await asyncio.wait_for(message.ack() if ack else message.nack(requeue=True), SETTLE_SECONDS)
    except Exception:  # the connection went down while settling: RabbitMQ delivers the message again
        logger.warning("conversation event not settled; RabbitMQ will deliver it again", exc_info=True)
        return False
    return True


class Batcher:
    """Collects delivered messages and stores them a batch at a time, then acknowledges them."""

    def __init__(self) -> None:
        """An empty batch."""
        self.pending: List[AbstractIncomingMessage] = []
        self.full = asyncio.Event()

    async def handle(self, message: AbstractIncomingMessage) -> None:
        """aio-pika's consumer callback: add the message to the batch."""
        self.pending.append(message)
        if len(self.pending) >= BATCH_SIZE:
            self.full.set()

    async def flush(self) -> None:
        """Store the batch, then acknowledge it; on a database error, hand it back after a pause."""
        batch, self.pending = self.pending, []
        self.full.clear()
        if not batch:
            return
        try:
            await asyncio.to_thread(store, [message.body for message in batch])
        except Exception:  # the database is down: keep the messages for later, never drop them
            logger.exception("storing %d conversation events failed; they will be delivered again", len(batch))
            await asyncio.sleep(RETRY_SECONDS)
            for message in batch:
                await settle(message, ack=False)
            return
        for message in batch:
            await settle(message, ack=True)

    async def run(self, stop: asyncio.Event) -> None:
        """Flush whenever a batch is full or :data:`BATCH_SECONDS` have passed, until ``stop``."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(self.full.wait(), BATCH_SECONDS)
            except asyncio.TimeoutError:
                pass
            await self.flush()
        await self.flush()


async def consume(settings: dict, stop: asyncio.Event) -> None:
    """Consume until ``stop`` is set; aio-pika reconnects by itself when RabbitMQ restarts."""
    connection = await aio_pika.connect_robust(
        host=settings["host"],
        port=settings["port"],
        login=settings["login"],
        password=settings["password"],
        virtualhost=settings["virtualhost"],
    )
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        # Declared exactly as overrides.event_broker declares them, so whichever starts first creates
        # them; durable, so the binding survives a RabbitMQ restart.
        exchange = await channel.declare_exchange(settings["exchange"], type=aio_pika.ExchangeType.FANOUT,
                                                  durable=True)
        queue = await channel.declare_queue(settings["queue"], durable=True)
        await queue.bind(exchange, "")
        batcher = Batcher()
        await queue.consume(batcher.handle)
        logger.info("consuming conversation events from queue %s", settings["queue"])
        await batcher.run(stop)


async def _run(settings: dict) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await consume(settings, stop)


def event_worker_arguments(prog: str) -> argparse.ArgumentParser:
    """The command line of a process storing Rasa's events: ``--endpoints`` (default ``ENDPOINTS``)."""
    parser = argparse.ArgumentParser(prog=prog, description="把对话事件写入统计表")
    parser.add_argument("--endpoints", default=settings.current().endpoints)
    return parser


def start_event_worker() -> None:
    """Logging and the one door, as in every server process, for a process storing Rasa's events."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from overrides import install  # the log-record factory

    install(rasa_server=False)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the consumer until SIGTERM or Ctrl-C; a bad configuration is one Chinese line and status 2."""
    args = event_worker_arguments("python -m govservice.events").parse_args(argv)
    start_event_worker()
    try:
        broker = connection_settings(read_endpoint_config(args.endpoints, "event_broker"))
    except BrokerConfigError as error:
        print(f"配置错误：{error}")
        return 2
    asyncio.run(_run(broker))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
