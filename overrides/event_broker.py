"""Rasa's Pika event broker, with the events it could not publish sent again until they go.

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

import rasa.shared.core.events  # noqa: F401  (rasa/core/brokers/pika.py uses it without importing it)
from rasa.core.brokers.pika import PikaEventBroker

logger = logging.getLogger(__name__)
RETRY_SECONDS = 5.0


class RetryingPikaEventBroker(PikaEventBroker):
    """A ``PikaEventBroker`` that retries its held events on a timer as well as on reconnect."""

    retry_seconds = RETRY_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Rasa's Pika broker settings, unchanged."""
        super().__init__(*args, **kwargs)
        self._retry_task: Optional[asyncio.Task] = None

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
