"""Pluggable SMS gateway. The development default appends to ``var/sms_outbox.jsonl``.

Select another gateway with ``SMS_GATEWAY=package.module:ClassName``; the class is
constructed without arguments and must provide ``send(phone, text)``.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from pathlib import Path
from typing import Optional, Protocol

from govservice.clock import office_iso, utc_now
from govservice.config import VAR_DIR
from govservice.secrets import append_private


class SmsGateway(Protocol):
    """Anything that can deliver a text message to a phone number."""

    def send(self, phone: str, text: str) -> None:
        """Deliver ``text`` to ``phone``."""


class FileOutboxGateway:
    """Writes each message as one JSON line: ``{"phone", "text", "time"}``."""

    _lock = threading.Lock()

    def __init__(self, path: Optional[Path] = None) -> None:
        """Use ``path`` or ``$VAR_DIR/sms_outbox.jsonl``."""
        self.path = path or VAR_DIR / "sms_outbox.jsonl"

    def send(self, phone: str, text: str) -> None:
        """Append the message to the outbox file."""
        line = json.dumps(
            {"phone": phone, "text": text, "time": office_iso(utc_now())},
            ensure_ascii=False,
        )
        with self._lock:  # the codes in it are secrets: mode 0600
            append_private(self.path, line + "\n")


def get_gateway() -> SmsGateway:
    """The gateway named by ``SMS_GATEWAY``; the file outbox by default."""
    spec = os.environ.get("SMS_GATEWAY", "file")
    if spec == "file":
        return FileOutboxGateway()
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)()
