"""The one HTTP client of Rasa's API: its conversation URLs and the blocking call.

The base URL (``RASA_URL``) and the token (``RASA_TOKEN``, Rasa's ``--auth-token``, sent as
``?token=``) come from :mod:`govservice.settings`. The notification outbox and the staff console's
handoff calls go through here; benchmarks and scripts that talk to another Rasa take
:func:`conversation_path` and add their own address.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Mapping, Optional
from urllib.parse import quote, urlencode

from govservice import settings

TIMEOUT_SECONDS = 10.0


def conversation_path(sender: str, path: str) -> str:
    """``/conversations/{sender}/{path}``, the sender quoted whole (a slash in it stays in the segment)."""
    return f"/conversations/{quote(sender, safe='')}/{path}"


def conversation_url(sender: str, path: str, query: Optional[Mapping[str, str]] = None) -> str:
    """The configured Rasa's URL of ``path`` in ``sender``'s conversation, with the token when one is set."""
    configured = settings.current()
    params = dict(query or {})
    if configured.rasa_token:
        params["token"] = configured.rasa_token
    suffix = f"?{urlencode(params)}" if params else ""
    return f"{configured.rasa_url}{conversation_path(sender, path)}{suffix}"


def call(url: str, body: Optional[Any] = None, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """GET ``url``, or POST ``body`` as JSON; the response body.

    Raises:
        urllib.error.HTTPError: Rasa answered with an error status.
        urllib.error.URLError, OSError: Rasa could not be reached.
    """
    data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
    request = urllib.request.Request(
        url, data=data, method="POST" if data is not None else "GET", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return bytes(response.read())
