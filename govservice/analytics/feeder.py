"""``python -m govservice.analytics.feeder``: Rasa's SQL event broker's rows into ``conversation_events``.

The embedded profile (endpoints.yml) publishes Rasa's events with its SQL event broker
(``rasa.core.brokers.sql.SQLEventBroker``), which writes each one, as JSON with its text, into the
``events`` table (``id``, ``sender_id``, ``data``) of its own database. The feeder stores new rows
through :func:`govservice.conversation_events.record_many`, so they become exactly the rows the
RabbitMQ path (:mod:`govservice.events`) keeps, then deletes the consumed raw rows: they hold the
messages' text (redacted by the tracker store, still words a citizen typed).

The watermark is the table itself: every row left is one not yet consumed, read in id order. A
watermark kept in the process would skip rows after the table was emptied, because SQLite gives a
table without AUTOINCREMENT (Rasa's) the ids 1, 2, ... again. A crash between storing and deleting
stores the rows once more, and ``record_many`` keeps them once (same message, same digest).
``scripts/run.sh`` runs and supervises it.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Optional, Sequence

import yaml
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, delete, select
from sqlalchemy.engine import Engine

from govservice import conversation_events
from govservice.db import get_engine, session_scope
from govservice.events import BrokerConfigError, event_worker_arguments, start_event_worker

logger = logging.getLogger(__name__)
BATCH_SIZE = 500
POLL_SECONDS = 1.0
RETRY_SECONDS = 5.0

RAW_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)
"""Rasa 3.6's ``SQLEventBroker.SQLBrokerEvent`` table, declared alike so either may create it first."""


SQL_TYPES = ("sql", "bot.event_broker.BufferedSQLEventBroker")
"""Event broker types that write Rasa's ``events`` table (the second queues and writes in batches)."""


def _is_sql(broker_type: object) -> bool:
    return str(broker_type).lower() == "sql" or str(broker_type) in SQL_TYPES


def broker_url(config: Optional[EndpointConfig]) -> str:
    """The database URL of an ``event_broker`` of type ``sql``, built as Rasa builds it.

    Raises:
        BrokerConfigError: no ``event_broker`` of type ``sql``.
    """
    if config is None or not _is_sql(config.type):
        raise BrokerConfigError("端点配置中没有 type: sql 的 event_broker")
    from rasa.core.tracker_store import SQLTrackerStore  # Rasa's tracker store module takes seconds to import

    kwargs = config.kwargs
    return str(
        SQLTrackerStore.get_db_url(
            kwargs.get("dialect", "sqlite"), config.url, kwargs.get("port"), kwargs.get("db", "events.db"),
            kwargs.get("username"), kwargs.get("password"),
        )
    )


def has_sql_broker(endpoints_path: str) -> bool:
    """Whether the endpoints file names an ``event_broker`` of type ``sql`` (read as plain YAML, quickly)."""
    with open(endpoints_path, encoding="utf-8") as file:
        broker = (yaml.safe_load(file) or {}).get("event_broker")
    return isinstance(broker, dict) and _is_sql(broker.get("type", ""))


def source_engine(url: str) -> Engine:
    """The broker's database, its ``events`` table created when Rasa has not yet (private, WAL on SQLite)."""
    engine = get_engine(url)
    RAW_EVENTS.metadata.create_all(engine)
    return engine


def feed_once(source: Engine, target_url: Optional[str] = None, batch: int = BATCH_SIZE) -> int:
    """Move up to ``batch`` raw events into ``conversation_events``; returns how many were consumed.

    Args:
        source: the broker's database (:func:`source_engine`).
        target_url: the project database; the configured one when omitted.
        batch: at most this many rows per call.
    """
    with source.connect() as connection:
        query = select(RAW_EVENTS.c.id, RAW_EVENTS.c.data).order_by(RAW_EVENTS.c.id).limit(batch)
        rows = connection.execute(query).all()
    if not rows:
        return 0
    with session_scope(target_url) as session:
        conversation_events.record_many(session, [str(row.data or "").encode() for row in rows])
    with source.begin() as connection:  # only after the commit: a failure above keeps the raw rows
        connection.execute(delete(RAW_EVENTS).where(RAW_EVENTS.c.id <= rows[-1].id))
    return len(rows)


def run(source: Engine, stop: threading.Event, target_url: Optional[str] = None) -> None:
    """Feed until ``stop`` is set: at once while full batches come, else every :data:`POLL_SECONDS`."""
    while not stop.is_set():
        try:
            full = feed_once(source, target_url) == BATCH_SIZE
        except Exception:  # a database is locked or down: the rows stay and are fed on the next try
            logger.exception("feeding conversation events failed; retrying in %.0f s", RETRY_SECONDS)
            stop.wait(RETRY_SECONDS)
            continue
        if not full:
            stop.wait(POLL_SECONDS)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Feed until SIGTERM or Ctrl-C; a bad configuration is one Chinese line and status 2.

    With ``--check`` only say, by the exit status, whether the endpoints file has an SQL broker.
    """
    parser = event_worker_arguments("python -m govservice.analytics.feeder")
    parser.add_argument("--check", action="store_true", help="只检查：有 SQL 事件代理时退出码为 0，否则为 1")
    args = parser.parse_args(argv)
    if args.check:
        return 0 if has_sql_broker(args.endpoints) else 1
    start_event_worker()
    from rasa.utils.endpoints import read_endpoint_config

    try:
        url = broker_url(read_endpoint_config(args.endpoints, "event_broker"))
    except BrokerConfigError as error:
        print(f"配置错误：{error}")
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run(source_engine(url), stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
