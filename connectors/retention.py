"""The retention task inside the Rasa server (credentials.yml: ``connectors.retention.RetentionInput``).

Rasa's default tracker store is in memory, inside the Rasa server process: only code running in
that process can delete its conversations. An input channel is Rasa's plug-in point there; this
one serves no route, it starts a background task once the server (and its agent) is up:

* every ``ERASURE_POLL_SECONDS`` (default 30): the conversations citizens asked to delete;
* every ``RETENTION_INTERVAL_SECONDS`` (default 3600): the expired conversations
  (:mod:`bot.conversation_retention`) and the back-office records (:mod:`govservice.privacy.retention`).

Each deletion holds the conversation's lock, so it never interleaves with a turn in flight.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic

from bot import conversation_retention
from govservice import settings
from govservice.clock import utc_now
from govservice.privacy import retention

logger = logging.getLogger(__name__)


async def retention_loop(app: Sanic, poll_seconds: float, interval_seconds: float) -> None:
    """Run until cancelled; a failed pass is logged and retried at the next tick."""
    last_sweep = 0.0
    loop = asyncio.get_running_loop()
    while True:
        agent = getattr(app.ctx, "agent", None)
        store = getattr(agent, "tracker_store", None)
        if agent is not None and store is not None:
            now = utc_now()
            try:
                await conversation_retention.erase_requested(store, now, agent.lock_store)
                if loop.time() - last_sweep >= interval_seconds:
                    last_sweep = loop.time()
                    policy = retention.Policy.configured()
                    report = await conversation_retention.sweep(store, policy, now, agent.lock_store)
                    counts = retention.run_back_office(policy, now)
                    logger.info("retention pass: %s %s", report, counts)
            except Exception:  # the server must go on serving; the next tick tries again
                logger.exception("retention pass failed")
        await asyncio.sleep(poll_seconds)


class RetentionInput(InputChannel):
    """Not a channel for messages: the server-side retention task (see the module docstring)."""

    @classmethod
    def name(cls) -> str:
        """The URL prefix ``/webhooks/retention`` (no routes under it)."""
        return "retention"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """A blueprint whose listeners start and stop the task."""
        blueprint = Blueprint("retention", __name__)

        @blueprint.listener("after_server_start")
        async def start(app: Sanic, _: Any) -> None:
            poll = settings.current().erasure_poll_seconds
            task = asyncio.get_running_loop().create_task(retention_loop(app, poll, retention.interval_seconds()))
            app.ctx.retention_task = task

        @blueprint.listener("before_server_stop")
        async def stop(app: Sanic, _: Any) -> None:
            task = getattr(app.ctx, "retention_task", None)
            if task is not None:
                task.cancel()

        return blueprint
