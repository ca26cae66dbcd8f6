"""The one Rasa HTTP client: conversation URLs from the settings, and the call itself."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Iterator, List

import pytest

from govservice.settings import rasa
from govservice.settings import reload as reload_settings


def test_urls_quote_the_sender_and_carry_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URL", "http://rasa.local:5005/")
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    reload_settings()
    assert rasa.conversation_path("a/b c", "tracker") == "/conversations/a%2Fb%20c/tracker"
    assert rasa.conversation_url("s1", "tracker") == "http://rasa.local:5005/conversations/s1/tracker"
    monkeypatch.setenv("RASA_TOKEN", "t0k")
    reload_settings()
    url = rasa.conversation_url("s1", "trigger_intent", {"output_channel": "latest"})
    assert url == "http://rasa.local:5005/conversations/s1/trigger_intent?output_channel=latest&token=t0k"


@pytest.fixture()
def echo() -> Iterator[List[Any]]:
    """A local server that records each request and answers ``{"ok": true}``."""
    seen: List[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802  (http.server's name)
            seen.append(("GET", self.path, None))
            self._answer()

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(("POST", self.path, body))
            self._answer()

        def _answer(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"ok": true}')

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen.append(server.server_port)
    yield seen
    server.shutdown()


def test_call_gets_and_posts_json(echo: List[Any]) -> None:
    base = f"http://127.0.0.1:{echo.pop(0)}"
    assert json.loads(rasa.call(base + "/x")) == {"ok": True}
    rasa.call(base + "/y", {"name": "办件"})
    assert echo == [("GET", "/x", None), ("POST", "/y", {"name": "办件"})]
