"""Notification outbox: written with the status change, delivered to Rasa over HTTP, retried on failure."""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
from typing import Any, Callable, Dict, Iterator, List

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from govservice.applications import workflow as applications
from govservice.applications.models import Application
from govservice.applications.workflow import accept, start_review, submit_application, withdraw
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.notifications import outbox as notifications
from govservice.notifications.outbox import (
    DELIVERED,
    FAILED,
    MAX_ATTEMPTS,
    PENDING,
    SENDING,
    Notification,
    OutgoingNotification,
    backoff,
    deliver_pending,
    register_sender,
)
from govservice.seed import init_db
from govservice.settings import reload as reload_settings

ZHANG = "11010519491231002X"


@pytest.fixture()
def db_url(new_database: Callable[[str], str]) -> str:
    url = new_database("outbox")
    init_db(url)
    return url


@pytest.fixture(autouse=True)
def no_registered_senders() -> Iterator[None]:
    saved = dict(notifications._SENDERS)
    notifications._SENDERS.clear()
    yield
    notifications._SENDERS.clear()
    notifications._SENDERS.update(saved)


def _submit(url: str, key: str, channel: str = "rest", sender: str = "zhang-web") -> str:
    app = submit_application(
        url,
        idempotency_key=key,
        item_key="social_security_card",
        person_id=ZHANG,
        channel=channel,
        sender=sender,
        form_data={},
    )
    return str(app.number)


def _accepted(url: str, key: str, **kw: Any) -> str:
    number = _submit(url, key, **kw)
    with session_scope(url) as s:
        accept(s, number, "人社小陈", "RS")
    return number


def _rows(url: str) -> List[Notification]:
    with session_scope(url) as s:
        return s.query(Notification).order_by(Notification.id).all()


def test_outbox_row_is_part_of_the_status_change_transaction(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    number = _submit(db_url, "tx-1")
    with session_scope(db_url) as s:
        accept(s, number, "人社小陈", "RS")
        assert s.query(Notification).count() == 1
        s.rollback()  # the change is abandoned: so is its notification
    assert _rows(db_url) == []

    def broken_outbox(*args: Any) -> None:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(applications, "enqueue_status_change", broken_outbox)
    with pytest.raises(RuntimeError), session_scope(db_url) as s:
        accept(s, number, "人社小陈", "RS")
    with session_scope(db_url) as s:  # no notification, no status change either
        assert s.query(Application).filter_by(number=number).one().status == "已提交"
    monkeypatch.undo()
    with session_scope(db_url) as s:
        accept(s, number, "人社小陈", "RS")
    [row] = _rows(db_url)
    assert (row.application_number, row.application_status, row.status, row.attempts) == (number, "已受理", PENDING, 0)
    assert (row.channel, row.sender, row.person_id) == ("rest", "zhang-web", ZHANG)
    assert number in row.text and "已受理" in row.text and row.delivered_at is None


def test_citizen_steps_are_not_notified(db_url: str) -> None:
    number = _submit(db_url, "wd-1")
    with session_scope(db_url) as s:
        withdraw(s, number, ZHANG)
    assert _rows(db_url) == []


class RasaStub:
    """A real HTTP server standing in for Rasa's trigger_intent endpoint."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: List[Dict[str, Any]] = []

    async def trigger(self, request: web.Request) -> web.Response:
        self.requests.append(
            {"sender": request.match_info["sender"], "query": dict(request.query), "body": await request.json()}
        )
        if self.failures > 0:
            self.failures -= 1
            return web.json_response({"message": "down"}, status=500)
        return web.json_response({"tracker": {}, "messages": []})

    async def start(self, monkeypatch: pytest.MonkeyPatch) -> TestServer:
        app = web.Application()
        app.router.add_post("/conversations/{sender}/trigger_intent", self.trigger)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{server.port}/")
        reload_settings()
        return server


async def _deliver(url: str, now: Any = None) -> notifications.DeliveryReport:
    # deliver_pending blocks: run it in a thread, as the staff app does, so the stub keeps serving.
    return await asyncio.get_running_loop().run_in_executor(None, deliver_pending, url, now)


async def test_default_sender_triggers_the_rasa_intent(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    stub = RasaStub()
    server = await stub.start(monkeypatch)
    monkeypatch.setenv("RASA_TOKEN", "rasa-secret")
    reload_settings()
    try:
        number = _accepted(db_url, "http-1", sender="微信 用户/1")
        report = await _deliver(db_url)
    finally:
        await server.close()
    assert report == notifications.DeliveryReport(delivered=1)
    [request] = stub.requests
    assert request["sender"] == "微信 用户/1"
    assert request["query"] == {"output_channel": "latest", "token": "rasa-secret"}
    assert request["body"] == {
        "name": "query_applications",
        "entities": {"application_no": number, "application_status": "已受理"},
    }
    [row] = _rows(db_url)
    assert (row.status, row.attempts, row.last_error) == (DELIVERED, 1, None) and row.delivered_at is not None


async def test_failed_delivery_is_retried_after_backoff(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    stub = RasaStub(failures=1)
    server = await stub.start(monkeypatch)
    try:
        _accepted(db_url, "retry-1")
        now = utc_now()
        assert await _deliver(db_url, now) == notifications.DeliveryReport(retrying=1)
        [row] = _rows(db_url)
        assert (row.status, row.attempts) == (PENDING, 1) and "500" in row.last_error
        assert row.next_attempt_at == now + backoff(1)
        assert await _deliver(db_url, now + datetime.timedelta(seconds=1)) == notifications.DeliveryReport()
        later = now + backoff(1) + datetime.timedelta(seconds=1)
        assert await _deliver(db_url, later) == notifications.DeliveryReport(delivered=1)
    finally:
        await server.close()
    assert len(stub.requests) == 2 and _rows(db_url)[0].status == DELIVERED


def test_unreachable_rasa_and_giving_up(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASA_URL", "http://127.0.0.1:9")  # discard port: connection refused
    reload_settings()
    _accepted(db_url, "down-1")
    moment = utc_now()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_pending(db_url, moment)
        assert report == (
            notifications.DeliveryReport(failed=1)
            if attempt == MAX_ATTEMPTS
            else notifications.DeliveryReport(retrying=1)
        )
        moment += backoff(attempt) + datetime.timedelta(seconds=1)
    [row] = _rows(db_url)
    assert (row.status, row.attempts) == (FAILED, MAX_ATTEMPTS) and "URLError" in row.last_error
    assert deliver_pending(db_url, moment + datetime.timedelta(days=1)) == notifications.DeliveryReport()


def test_registered_channel_sender_and_expired_claims(db_url: str) -> None:
    sent: List[OutgoingNotification] = []
    register_sender("wechat", sent.append)
    number = _accepted(db_url, "wx-1", channel="wechat", sender="openid-1")
    with session_scope(db_url) as s:  # a deliverer died after claiming the notification
        s.query(Notification).update({"status": SENDING, "claimed_at": utc_now(), "attempts": 1})
    assert deliver_pending(db_url) == notifications.DeliveryReport()  # the claim is still fresh
    later = utc_now() + notifications.CLAIM_TIMEOUT + datetime.timedelta(seconds=1)
    assert deliver_pending(db_url, later) == notifications.DeliveryReport(delivered=1)
    assert [(m.channel, m.sender, m.application_number, m.attempt) for m in sent] == [("wechat", "openid-1", number, 2)]
    register_sender("wechat", None)
    assert notifications.sender_for("wechat") is notifications.rasa_trigger_intent


def test_concurrent_deliverers_send_each_notification_once(db_url: str) -> None:
    numbers = [_accepted(db_url, f"conc-{i}") for i in range(5)]
    with session_scope(db_url) as s:
        for number in numbers:
            start_review(s, number, "人社小陈", "RS")
    sent: List[str] = []
    lock = threading.Lock()

    def slow(message: OutgoingNotification) -> None:
        time.sleep(0.01)
        with lock:
            sent.append(f"{message.application_number}:{message.application_status}")

    register_sender("rest", slow)
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        deliver_pending(db_url)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sent) == sorted(f"{n}:{s}" for n in numbers for s in ("已受理", "审核中"))
    assert {row.status for row in _rows(db_url)} == {DELIVERED}
