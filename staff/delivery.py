"""Background delivery of the notification outbox for the staff app.

Delivery runs on one worker thread owned by the app. An API call only asks for a run and
answers at once, so a slow or failing Rasa neither slows nor fails it; a periodic run retries
what failed (:func:`govservice.notifications.outbox.deliver_pending` applies the backoff).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Optional

from govservice.notifications.outbox import DeliveryReport, deliver_pending

logger = logging.getLogger(__name__)


class DeliveryWorker:
    """Runs :func:`deliver_pending` in the background, one run at a time."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="staff-notify")
        self._lock = threading.Lock()
        self._queued: Optional[Future] = None

    def trigger(self) -> Optional[Future]:
        """Ask for a delivery run and return at once; never raises.

        A run that is queued but not started yet already covers everything committed before it
        starts, so bursts of status changes share one run.
        """
        with self._lock:
            queued = self._queued
            if queued is not None and not queued.running() and not queued.done():
                return queued
            try:
                self._queued = self._executor.submit(self._run)
            except RuntimeError:  # shutting down: the periodic retry of the next start delivers it
                logger.warning("notification delivery not started: worker is shut down")
                return None
            return self._queued

    def _run(self) -> Optional[DeliveryReport]:
        try:
            report = deliver_pending(self._database_url)
        except Exception:  # noqa: BLE001 - e.g. the database is briefly unavailable; the next run retries
            logger.exception("notification delivery run failed")
            return None
        if report.retrying or report.failed:
            logger.warning("notifications: %s", report)
        return report

    async def retry_forever(self, interval_seconds: float) -> None:
        """Trigger a run every ``interval_seconds`` (until cancelled), waiting for each to end."""
        while True:
            await asyncio.sleep(interval_seconds)
            future = self.trigger()
            if future is not None:
                await asyncio.wrap_future(future)

    def shutdown(self, wait: bool = False) -> None:
        """Stop accepting runs; ``wait``: block until the queued and running ones have finished."""
        self._executor.shutdown(wait=wait)
