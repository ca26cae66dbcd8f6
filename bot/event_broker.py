"""Rasa's SQL event broker, written a batch at a time by a background thread.

Rasa publishes every event of a turn synchronously on the server's event loop, and its
``SQLEventBroker`` opens a connection and commits once per event: 1.5 ms each on this machine
(median of 300 on SQLite, WAL or not), and a turn publishes about ten. Here publishing only queues
the serialised event; one thread writes whatever has queued in one transaction, at most
:data:`GATHER_SECONDS` later, and keeps a batch the database refused until it is written. Events
still queued when the process is killed are lost to the analytics only: the tracker store holds the
conversation itself. ``endpoints.yml`` selects it as the embedded default's broker.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from rasa.core.brokers.sql import SQLEventBroker

logger = logging.getLogger(__name__)

GATHER_SECONDS = 0.05
"""After the first event of a batch, how long the writer lets the rest of the turn's events queue."""
MAX_BATCH = 500
RETRY_SECONDS = 1.0
CLOSE_SECONDS = 10.0

_Row = Tuple[Optional[str], str]  # sender id, the event as JSON


class BufferedSQLEventBroker(SQLEventBroker):
    """``SQLEventBroker`` whose ``publish`` returns at once; a writer thread stores the events in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Rasa's SQL broker (same settings), plus the queue and its writer thread."""
        super().__init__(*args, **kwargs)
        self.pending: queue.SimpleQueue[Optional[_Row]] = queue.SimpleQueue()
        self.writer = threading.Thread(target=self.write_forever, name="sql-event-broker", daemon=True)
        self.writer.start()

    def publish(self, event: Dict[str, Any]) -> None:
        """Queue the event; it is written within about :data:`GATHER_SECONDS`."""
        self.pending.put((event.get("sender_id"), json.dumps(event)))

    def write(self, rows: List[_Row]) -> None:
        """Store ``rows`` in one transaction."""
        with self.session_scope() as session:
            session.add_all([self.SQLBrokerEvent(sender_id=sender, data=data) for sender, data in rows])
            session.commit()

    def take(self) -> Tuple[List[_Row], bool]:
        """Wait for events, gather what else comes shortly; the rows and whether ``close`` asked to stop."""
        first = self.pending.get()
        if first is None:
            return [], True
        time.sleep(GATHER_SECONDS)
        rows = [first]
        while len(rows) < MAX_BATCH:
            try:
                row = self.pending.get_nowait()
            except queue.Empty:
                break
            if row is None:
                return rows, True
            rows.append(row)
        return rows, False

    def write_forever(self) -> None:
        """The writer thread: write each batch, retrying one the database refused, until closed."""
        stop = False
        while not stop:
            rows, stop = self.take()
            while rows:
                try:
                    self.write(rows)
                    rows = []
                except Exception:  # the database is locked or gone: keep the batch and try again
                    logger.exception("writing %d events to the SQL event broker failed; retrying", len(rows))
                    time.sleep(RETRY_SECONDS)

    async def close(self) -> None:
        """Write what is queued, then stop the writer (at most :data:`CLOSE_SECONDS`)."""
        self.pending.put(None)
        await asyncio.to_thread(self.writer.join, CLOSE_SECONDS)
