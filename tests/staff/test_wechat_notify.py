"""WeChat status notifications: template message first, then the conversation via Rasa."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Iterator, List

import pytest

from govservice.notifications import outbox as notifications
from govservice.notifications.outbox import OutgoingNotification
from govservice.settings import reload as reload_settings
from staff import wechat_notify

MESSAGE = OutgoingNotification(1, "20261128GA000001", "已办结", "wechat", "o_openid_1", "【办件通知】…")


@pytest.fixture()
def rasa_stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[List[str]]:
    """A local HTTP server standing in for Rasa's trigger_intent endpoint (the HTTP boundary)."""
    paths: List[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            paths.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{server.server_port}")
    reload_settings()
    yield paths
    server.shutdown()


def test_install_registers_the_wechat_sender() -> None:
    wechat_notify.install()
    assert notifications.sender_for("wechat") is wechat_notify.send_wechat_notification
    notifications.register_sender("wechat", None)


def test_conversation_update_counts_when_the_template_cannot_be_sent(
    catalog, rasa_stub: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WECHAT_APPID", raising=False)  # no official account configured here
    reload_settings()
    wechat_notify.send_wechat_notification(MESSAGE)
    assert rasa_stub and rasa_stub[0].startswith("/conversations/o_openid_1/trigger_intent")


def test_nothing_delivered_raises_for_a_retry(catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WECHAT_APPID", raising=False)
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    reload_settings()
    with pytest.raises(wechat_notify.NotDelivered):
        wechat_notify.send_wechat_notification(MESSAGE)


def test_a_reminder_is_shown_in_the_conversation_by_the_bot_then_it_listens(
    catalog, rasa_stub: List[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WECHAT_APPID", raising=False)
    reload_settings()
    reminder = OutgoingNotification(2, "", "", "wechat", "o_openid_2", "【证照到期提醒】…", reminder_id=999_999)
    wechat_notify.send_wechat_notification(reminder)
    assert [p.split("?")[0] for p in rasa_stub] == ["/conversations/o_openid_2/execute"] * 2
