"""The one Rasa HTTP client: conversation URLs from the settings.

The call itself is exercised against a stand-in Rasa by tests/staff/test_console_handoff.py and
tests/govservice/notifications/test_outbox.py.
"""

from __future__ import annotations

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
