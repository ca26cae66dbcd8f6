"""The action server answers only requests carrying the Rasa server's shared secret."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from sanic import Sanic

from bot.action_server import UNAUTHORIZED, _parser, authorized, create_app
from govservice.settings import reload as reload_settings

SECRET = "a-shared-secret-for-tests"


def action_call(action: str) -> Dict[str, Any]:
    """What the Rasa server posts to ``/webhook`` to run ``action``."""
    return {
        "next_action": action,
        "sender_id": "forged-sender",
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": "forged-sender",
            "slots": {},
            "latest_message": {"text": "最近的政务大厅在哪", "intent": {"name": "ask_hall"}, "entities": []},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture(scope="module")
def app(catalog) -> Sanic:  # type: ignore[no-untyped-def]
    return create_app(SECRET)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-secret"}, {"Authorization": SECRET}, {"Authorization": "Bearer "},
     {"Authorization": f"Basic {SECRET}"}, {"X-Token": SECRET}],
)
async def test_requests_without_the_secret_are_refused_in_chinese(app: Sanic, headers: Dict[str, str]) -> None:
    _, ran = await app.asgi_client.post("/webhook", json=action_call("action_nearest_hall"), headers=headers)
    _, listed = await app.asgi_client.get("/actions", headers=headers)
    for response in (ran, listed):
        assert response.status == 401, headers
        assert response.json == {"error": UNAUTHORIZED} and "未授权" in response.text


async def test_a_query_token_is_not_enough(app: Sanic) -> None:
    _, response = await app.asgi_client.post(f"/webhook?token={SECRET}", json=action_call("action_nearest_hall"))
    assert response.status == 401


async def test_the_secret_is_served_and_health_stays_open(app: Sanic) -> None:
    headers = {"Authorization": f"Bearer {SECRET}"}
    _, ran = await app.asgi_client.post("/webhook", json=action_call("action_nearest_hall"), headers=headers)
    assert ran.status == 200, ran.text
    assert ran.json["responses"] and ran.json["responses"][0]["text"]
    _, listed = await app.asgi_client.get("/actions", headers=headers)
    assert listed.status == 200 and {"name": "action_nearest_hall"} in listed.json
    _, health = await app.asgi_client.get("/health")
    assert health.status == 200 and health.json == {"status": "ok"}


def test_authorized_compares_the_whole_bearer_secret() -> None:
    assert authorized(f"Bearer {SECRET}", SECRET) and authorized(f"bearer {SECRET}", SECRET)
    assert not authorized(f"Bearer {SECRET}x", SECRET) and not authorized(f"Bearer {SECRET[:-1]}", SECRET)
    assert not authorized(None, SECRET) and not authorized("Bearer ", "")


def test_it_listens_on_localhost_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACTION_HOST", raising=False)
    reload_settings()
    assert _parser().parse_args([]).host == "127.0.0.1"
    monkeypatch.setenv("ACTION_HOST", "0.0.0.0")
    reload_settings()
    assert _parser().parse_args([]).host == "0.0.0.0"
