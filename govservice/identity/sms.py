"""Pluggable SMS gateway. The development default appends to ``var/sms_outbox.jsonl``.

Select another gateway with ``SMS_GATEWAY=package.module:ClassName``; the class is
constructed without arguments and must provide ``send(phone, text)``. :func:`get_gateway`
hands messages to it on a worker thread: a login reply must not wait for the SMS, or its
timing would tell whether the name matched (only a match sends one).
"""

from __future__ import annotations

import importlib
import json
import logging
import queue
import threading
from functools import cache
from pathlib import Path
from typing import Optional, Protocol, Tuple

from govservice import settings
from govservice.clock import office_iso, utc_now
from govservice.settings.secrets import append_private

logger = logging.getLogger(__name__)


class SmsGateway(Protocol):
    """Anything that can deliver a text message to a phone number."""

    def send(self, phone: str, text: str) -> None:
        """Deliver ``text`` to ``phone``."""


class FileOutboxGateway:
    """Writes each message as one JSON line: ``{"phone", "text", "time"}``."""

    _lock = threading.Lock()

    def __init__(self, path: Optional[Path] = None) -> None:
        """Use ``path`` or ``$VAR_DIR/sms_outbox.jsonl``."""
        self.path = path or settings.current().var_dir / "sms_outbox.jsonl"

    def send(self, phone: str, text: str) -> None:
        """Append the message to the outbox file."""
        line = json.dumps(
            {"phone": phone, "text": text, "time": office_iso(utc_now())},
            ensure_ascii=False,
        )
        with self._lock:  # the codes in it are secrets: mode 0600
            append_private(self.path, line + "\n")


class BackgroundGateway:
    """Queues each message for ``inner``, which sends it on a worker thread."""

    def __init__(self, inner: SmsGateway) -> None:
        """Start the worker (a daemon: messages still queued at exit are lost, and resent on request)."""
        self.inner = inner
        self._queue: queue.Queue[Tuple[str, str]] = queue.Queue()
        threading.Thread(target=self._deliver, name="sms-gateway", daemon=True).start()

    def send(self, phone: str, text: str) -> None:
        """Queue the message and return at once."""
        self._queue.put((phone, text))

    def join(self) -> None:
        """Wait until every queued message has been handed to the gateway."""
        self._queue.join()

    def _deliver(self) -> None:
        while True:
            phone, text = self._queue.get()
            try:
                self.inner.send(phone, text)
            except Exception as error:  # noqa: BLE001  (one failed SMS must not stop the others)
                # The type only: a gateway's message may quote the phone number.
                logger.error("短信发送失败：%s", type(error).__name__)
            finally:
                self._queue.task_done()


@cache
def _background(spec: str) -> BackgroundGateway:
    if spec == "file":
        return BackgroundGateway(FileOutboxGateway())
    module_name, _, class_name = spec.partition(":")
    return BackgroundGateway(getattr(importlib.import_module(module_name), class_name)())


def get_gateway() -> BackgroundGateway:
    """The gateway named by ``SMS_GATEWAY`` (the file outbox by default), sending in the background."""
    return _background(settings.current().sms_gateway)
