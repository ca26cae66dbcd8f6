"""Rasa's Pika event broker: a durable exchange, no event dropped unrouted, held events sent again.

Rasa declares its fanout exchange transient, so a RabbitMQ restart deletes it together with the
queue's binding. Until the consumer (``python -m govservice.events``) binds its queue again, the
broker's restored channel publishes into an exchange bound to nothing, RabbitMQ acknowledges the
unroutable message, and the event is gone: the fault test lost one user event in each of four
conversations that way. This broker declares the exchange durable (with the durable queue, the
binding then survives a restart; ``govservice.events`` declares it the same way, and RabbitMQ
refuses a second declaration that differs, so both change together) and treats a message RabbitMQ
returned as unroutable as a failed publish, which holds it for the retry below.

Rasa's ``PikaEventBroker`` keeps an event whose publish failed in memory and sends the held events
again only from aio-pika's reconnect callback. The RabbitMQ fault test (tests/faults) found events
that failed just after that callback had run, while the robust channel was still being restored:
they stayed in memory until the next reconnect, so the consumer never recorded them. This broker
also tries the held events again every ``RETRY_SECONDS`` while any are held and the connection is up.

Selected in ``endpoints.prod.yml`` as ``type: overrides.event_broker.RetryingPikaEventBroker``, with the
same settings as Rasa's ``pika`` type. It reaches into the broker's private held-event queue, so it
belongs in the one package of Rasa patches when that exists (issue 14, item 5).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional

import aio_pika
import rasa.shared.core.events  # noqa: F401  (rasa/core/brokers/pika.py uses it without importing it)
from pamqp.commands import Basic
from rasa.core.brokers.pika import PikaEventBroker

logger = logging.getLogger(__name__)
RETRY_SECONDS = 5.0


class UnroutedEvent(Exception):
    """RabbitMQ returned the message: no queue was bound to the exchange."""


class _RoutedExchange:
    """An exchange whose ``publish`` fails when RabbitMQ returns the message instead of routing it.

    aio-pika publishes ``mandatory`` by default, but on a channel that does not raise on returns it
    hands the returned message back as the publish result instead of the broker's ``Basic.Ack``.
    """

    def __init__(self, exchange: aio_pika.abc.AbstractExchange) -> None:
        self._exchange = exchange

    async def publish(self, message: aio_pika.abc.AbstractMessage, routing_key: str, **kwargs: Any) -> Any:
        confirmation = await self._exchange.publish(message, routing_key, mandatory=True, **kwargs)
        if confirmation is not None and not isinstance(confirmation, Basic.Ack):
            raise UnroutedEvent(f"RabbitMQ returned the event: nothing is bound to {self._exchange}")
        return confirmation


class RetryingPikaEventBroker(PikaEventBroker):
    """A ``PikaEventBroker`` that retries its held events on a timer as well as on reconnect."""

    retry_seconds = RETRY_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Rasa's Pika broker settings, unchanged."""
        super().__init__(*args, **kwargs)
        self._retry_task: Optional[asyncio.Task] = None

    async def _set_up_exchange(self, channel: aio_pika.RobustChannel) -> Any:
        """Rasa's exchange and queue bindings, but the exchange durable and unroutable events refused."""
        exchange = await channel.declare_exchange(self.exchange_name, type=aio_pika.ExchangeType.FANOUT,
                                                  durable=True)
        await asyncio.gather(*[self._bind_queue(queue_name, channel, exchange) for queue_name in self.queues])
        return _RoutedExchange(exchange)

    async def _publish(self, event: Dict[str, Any], headers: Optional[Dict[str, str]] = None) -> None:
        await super()._publish(event, headers)
        if self._unpublished_events and (self._retry_task is None or self._retry_task.done()):
            self._retry_task = self._loop.create_task(self._retry_held())

    async def _retry_held(self) -> None:
        """Send the held events again every few seconds until none is held; a failure holds it again."""
        while self._unpublished_events:
            await asyncio.sleep(self.retry_seconds)
            if self.is_ready():
                logger.info("publishing %d held events again", len(self._unpublished_events))
                self._publish_unpublished_messages()
