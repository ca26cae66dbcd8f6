"""Human handoff in the console against a stub Rasa HTTP server: queue, transcript, take, reply, hand back."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List
from urllib.parse import parse_qs, urlsplit

import pytest
from sanic import Sanic

from govservice.db import session_scope
from govservice.handoff import queue as handoff
from govservice.settings import reload as reload_settings
from staff.console.rasa_client import HANDED_BACK_TEXT, TAKEN_TEXT
from tests.staff.conftest import bearer
from tests.staff.console_helpers import ESCAPED, SCRIPT, Console


class StubRasa(ThreadingHTTPServer):
    """Answers the conversations API like Rasa and records every call."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: List[Dict[str, Any]] = []
        self.trackers: Dict[str, List[Dict[str, Any]]] = {}
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def posted(self, conversation: str) -> List[Dict[str, Any]]:
        path = f"/conversations/{conversation}/tracker/events"
        return [c for c in self.calls if c["method"] == "POST" and c["path"] == path]


class _Handler(BaseHTTPRequestHandler):
    server: StubRasa

    def _answer(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        url = urlsplit(self.path)
        self.server.calls.append({"method": "GET", "path": url.path, "query": parse_qs(url.query)})
        conversation = url.path.split("/")[2]
        self._answer({"sender_id": conversation, "events": self.server.trackers.get(conversation, [])})

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.calls.append({"method": "POST", "path": url.path, "query": parse_qs(url.query), "body": body})
        self._answer({"sender_id": url.path.split("/")[2], "events": []})

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def rasa(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubRasa]:
    server = StubRasa()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("RASA_URL", server.url)
    monkeypatch.setenv("RASA_TOKEN", "secret-token")
    reload_settings()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture()
def agent(app: Sanic) -> Iterator[Console]:
    console = Console(app)
    console.login("ga_officer")
    assert console.post("/console/handoff/duty", {"on_duty": "1"}).headers["location"].endswith("done=duty_on")
    yield console
    console.post("/console/handoff/duty", {"on_duty": "0"})


def _queue(db_url: str, sender: str, channel: str = "socketio") -> int:
    with session_scope(db_url) as session:
        return int(handoff.request_live(session, channel, sender)[0].id)


def _status(db_url: str, ticket_id: int) -> str:
    with session_scope(db_url) as session:
        return str(handoff.get_ticket(session, ticket_id).status)


def test_take_reply_and_hand_back_through_the_pages(agent: Console, rasa: StubRasa, db_url: str) -> None:
    ticket_id = _queue(db_url, "web-7f3a9c")
    rasa.trackers["web-7f3a9c"] = [
        {"event": "user", "text": f"我要找真人客服{SCRIPT}", "timestamp": 1767225600.0},
        {"event": "bot", "text": "已为您转接人工客服，您前面还有0位", "timestamp": 1767225601.0},
        {"event": "pause"},
        {"event": "user", "text": "我的公积金提取被退回了", "timestamp": 1767225660.0},
    ]
    queue = agent.get("/console/handoff").text
    assert f"#{ticket_id}" in queue and "排队中" in queue and "我正在值班" in queue
    page = agent.get(f"/console/handoff/{ticket_id}").text
    assert "我的公积金提取被退回了" in page and SCRIPT not in page and ESCAPED in page
    assert rasa.calls[-1]["query"] == {"token": ["secret-token"]}

    assert agent.post(f"/console/handoff/{ticket_id}/take").headers["location"].endswith("done=taken")
    take = rasa.posted("web-7f3a9c")[-1]
    expected_query = {"output_channel": ["socketio"], "execute_side_effects": ["true"], "token": ["secret-token"]}
    assert take["query"] == expected_query
    assert take["body"][0] == {"event": "pause"}
    assert take["body"][1]["event"] == "bot" and take["body"][1]["text"] == TAKEN_TEXT
    assert _status(db_url, ticket_id) == handoff.ACTIVE

    assert agent.post(f"/console/handoff/{ticket_id}/reply", {"text": "您好，退回原因是缺少离职证明。"}).status == 303
    reply = rasa.posted("web-7f3a9c")[-1]["body"]
    assert reply == [{"event": "bot", "text": "您好，退回原因是缺少离职证明。",
                      "metadata": {"handoff_agent": "示范市公安局（户政）办件员（演示）（ga_officer）"}}]
    assert agent.post(f"/console/handoff/{ticket_id}/reply", {"text": "  "}).status == 409

    assert agent.post(f"/console/handoff/{ticket_id}/close").headers["location"].endswith("done=closed")
    back = rasa.posted("web-7f3a9c")[-1]["body"]
    assert back == [{"event": "resume"}, {"event": "bot", "text": HANDED_BACK_TEXT},
                    {"event": "action", "name": "action_listen"}]
    assert _status(db_url, ticket_id) == handoff.CLOSED


def test_the_json_api_with_a_bearer_token(app: Sanic, agent: Console, rasa: StubRasa, db_url: str) -> None:
    first, second = _queue(db_url, "wx-openid-1", "wechat"), _queue(db_url, "rest-user-2", "rest")
    headers = bearer("ga_officer")
    _, listing = app.test_client.get("/console/api/handoff", headers=headers)
    mine = {t["id"]: t for t in listing.json["tickets"]}
    assert (mine[first]["position"], mine[second]["position"]) == (1, 2)
    assert listing.json["on_duty"] is True and listing.json["agents_on_duty"] >= 1

    _, taken = app.test_client.post(f"/console/api/handoff/{first}/take", headers=headers)
    assert taken.status == 200 and taken.json["status"] == handoff.ACTIVE
    assert rasa.posted("wx-openid-1")[-1]["query"]["output_channel"] == ["wechat"]
    _, again = app.test_client.post(f"/console/api/handoff/{first}/take", headers=bearer("yb_officer"))
    assert again.status == 409 and "接待" in again.json["error"]
    _, other = app.test_client.post(f"/console/api/handoff/{first}/reply", headers=bearer("admin"), json={"text": "x"})
    assert other.status == 409

    _, sent = app.test_client.post(f"/console/api/handoff/{first}/reply", headers=headers, json={"text": "请稍等"})
    assert sent.status == 200 and rasa.posted("wx-openid-1")[-1]["body"][0]["text"] == "请稍等"
    _, bad = app.test_client.post(f"/console/api/handoff/{first}/reply", headers=headers, json={"words": 1})
    assert bad.status == 400
    _, detail = app.test_client.get(f"/console/api/handoff/{first}", headers=headers)
    assert detail.json["transcript"] == [] and detail.json["agent"] == "ga_officer"

    _, closed = app.test_client.post(f"/console/api/handoff/{first}/close", headers=headers)
    assert closed.status == 200 and closed.json["status"] == handoff.CLOSED
    _, closed_again = app.test_client.post(f"/console/api/handoff/{first}/close", headers=headers)
    assert closed_again.status == 409
    _, admin_close = app.test_client.post(f"/console/api/handoff/{second}/close", headers=bearer("admin"))
    assert admin_close.status == 200  # a waiting conversation handed back by an admin
    _, missing = app.test_client.get("/console/api/handoff/99999", headers=headers)
    assert missing.status == 404


def test_when_rasa_is_down_nothing_is_left_half_done(agent: Console, rasa: StubRasa, db_url: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ticket_id = _queue(db_url, "web-down-1")
    rasa.status = 500
    page = agent.get(f"/console/handoff/{ticket_id}")
    assert page.status == 200 and "对话记录暂时无法获取" in page.text
    response = agent.post(f"/console/handoff/{ticket_id}/take")
    assert response.status == 502 and "HTTP 500" in response.text
    assert _status(db_url, ticket_id) == handoff.ACTIVE  # claimed: taking again retries the greeting
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")
    reload_settings()
    assert agent.post(f"/console/handoff/{ticket_id}/close").status == 502
    assert _status(db_url, ticket_id) == handoff.ACTIVE  # the bot was not resumed, so the ticket stays open
    monkeypatch.setenv("RASA_URL", rasa.url)
    reload_settings()
    rasa.status = 200
    assert agent.post(f"/console/handoff/{ticket_id}/take").status == 303
    assert agent.post(f"/console/handoff/{ticket_id}/close").status == 303


def test_messages_show_masked_in_the_list_and_in_full_to_handle(agent: Console, rasa: StubRasa,
                                                                 db_url: str) -> None:
    with session_scope(db_url) as session:
        ticket = handoff.leave_message(session, "rest", "u-msg", f"社保卡补办问题{SCRIPT}", "13900139000")
        ticket_id = int(ticket.id)
    queue = agent.get("/console/handoff").text
    assert "139****9000" in queue and "13900139000" not in queue
    assert SCRIPT not in queue and ESCAPED in queue
    detail = agent.get(f"/console/handoff/{ticket_id}").text
    assert "13900139000" in detail and "标记为已处理" in detail
    calls = len(rasa.calls)
    assert agent.post(f"/console/handoff/{ticket_id}/close").headers["location"].endswith("done=message_closed")
    assert len(rasa.calls) == calls  # a message involves no conversation to resume
    assert _status(db_url, ticket_id) == handoff.CLOSED
    assert agent.post(f"/console/handoff/{ticket_id}/take").status == 409
