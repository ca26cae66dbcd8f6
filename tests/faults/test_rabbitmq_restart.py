"""Fault: the system RabbitMQ stopped and started (rabbitmqctl stop_app / start_app) under load.

The only test allowed to touch a system service, briefly; RabbitMQ is always started again.
"""

from __future__ import annotations

import time

from tests.faults.scenario import run_fault
from tests.faults.stack import Stack, rabbitmqctl

DOWN_SECONDS = 8


def stop_and_start_rabbitmq() -> float:
    """Stop RabbitMQ for a few seconds; the seconds until it runs again."""
    started = time.monotonic()
    try:
        rabbitmqctl("stop_app")
        time.sleep(DOWN_SECONDS)
    finally:
        rabbitmqctl("start_app")
    return round(time.monotonic() - started, 1)


def test_rabbitmq_stopped_and_started_under_load(stack: Stack) -> None:
    # The event broker publishes in the background: turns are answered and stored while it is down.
    run_fault(stack, "RabbitMQ stopped and started", stop_and_start_rabbitmq, offsets=[6]).assert_clean()
