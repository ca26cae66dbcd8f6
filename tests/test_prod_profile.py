"""The production profile end to end: scripts/run_prod.sh with two of each server, checked through nginx.

Marker ``prod`` (scripts/test.sh runs it as its own stage; it needs nginx, Redis, PostgreSQL and
RabbitMQ on this machine). The stack runs on test ports (``TEST_PROD_PORT`` 8300, Rasa from
``TEST_PROD_BASE_PORT`` 8310, its own Redis on ``TEST_PROD_REDIS_PORT`` 8380), with ``VAR_DIR`` in a
temporary folder, the database ``TEST_PROD_DATABASE_URL`` (default ``govservice_prodtest``, dropped
at the start and created again by run_prod.sh) and its own event queue. Secrets are given to it, so
the test can log in to the console and find its conversation's events.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import secrets
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterator, List

import aio_pika
import pytest
import redis
import requests
import socketio
import sqlalchemy

import tests.rest_client as rest
from govservice.accounts.demo_officers import demo_password
from govservice.conversation_events import sender_hash
from govservice.settings import reload as reload_settings
from govservice.settings import secrets as gov_secrets
from tests.staff.console_helpers import csrf_of

pytestmark = pytest.mark.prod

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("TEST_PROD_PORT", "8300"))
BASE_PORT = int(os.environ.get("TEST_PROD_BASE_PORT", "8310"))
REDIS_PORT = int(os.environ.get("TEST_PROD_REDIS_PORT", "8380"))
DATABASE_URL = os.environ.get("TEST_PROD_DATABASE_URL", "postgresql://postgres@localhost:5432/govservice_prodtest")
START_SECONDS = int(os.environ.get("PROD_START_SECONDS", "900"))
DOOR = f"http://127.0.0.1:{PORT}"
RAW_ID = rest.ZHANG


class Stack:
    """The running profile: where it is and the secrets it was given."""

    def __init__(self, var_dir: Path, env: Dict[str, str]) -> None:
        self.var_dir = var_dir
        self.env = env

    def log_lines(self, name: str) -> List[str]:
        """Lines of one log under VAR_DIR/log."""
        path = self.var_dir / "log" / name
        return path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []

    def tracker(self, sender: str) -> Dict[str, Any]:
        """The conversation through nginx and Rasa's HTTP API."""
        url = f"{DOOR}/conversations/{sender}/tracker"
        response = requests.get(url, params={"token": self.env["RASA_TOKEN"]}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


def _drop_database(url: str) -> None:
    """Start from an empty database: demo accounts keep the passwords of the secret they were made with."""
    target = sqlalchemy.engine.make_url(url)
    admin = sqlalchemy.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _start(var_dir: Path, env: Dict[str, str]) -> subprocess.Popen:
    log = (var_dir / "run_prod.out").open("w", encoding="utf-8")
    process = subprocess.Popen([str(ROOT / "scripts" / "run_prod.sh")], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + START_SECONDS * 2 + 120
    while time.monotonic() < deadline:
        text = (var_dir / "run_prod.out").read_text(encoding="utf-8", errors="replace")
        if "助手已启动" in text:
            return process
        if process.poll() is not None:
            pytest.fail(f"run_prod.sh stopped:\n{text[-3000:]}")
        time.sleep(2)
    pytest.fail("run_prod.sh did not start in time")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """run_prod.sh with PROD_INSTANCES=2 on the test ports; stopped with Ctrl-C's signal afterwards."""
    var_dir = tmp_path_factory.mktemp("prod-var")
    given = {name: secrets.token_hex(16) for name in ("GOV_SECRET_KEY", "DEMO_OFFICER_SECRET", "RASA_TOKEN")}
    env = {
        **os.environ,
        **given,
        "PROD_INSTANCES": "2",
        "PROD_PORT": str(PORT),
        "PROD_BASE_PORT": str(BASE_PORT),
        "PROD_REDIS_PORT": str(REDIS_PORT),
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": DATABASE_URL,
        "PROD_EVENTS_QUEUE": f"govservice_prodtest_{uuid.uuid4().hex[:8]}",
        # Human handoff and notifications play no part here; the retry loop would only add noise.
        "NOTIFY_RETRY_SECONDS": "0",
    }
    for name in ("REDIS_URL", "WECHAT_REDIS_URL", "ENDPOINTS", "RASA_URL", "ACTION_SERVER_TOKEN"):
        env.pop(name, None)
    _drop_database(DATABASE_URL)  # run_prod.sh creates it again
    process = _start(var_dir, env)
    try:
        yield Stack(var_dir, env)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        asyncio.run(_delete_queue(env["PROD_EVENTS_QUEUE"]))


async def _delete_queue(name: str) -> None:
    """The run's durable queue and its exchange, which would otherwise outlive the test."""
    connection = await aio_pika.connect_robust(os.environ.get("RABBITMQ_URL", "amqp://guest:guest@localhost:5672/"))
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)
        await channel.exchange_delete(name)


@pytest.fixture()
def door(monkeypatch: pytest.MonkeyPatch, stack: Stack) -> Stack:
    """tests/rest_client.py talking to nginx and reading this stack's SMS outbox."""
    monkeypatch.setattr(rest, "BASE", DOOR)
    monkeypatch.setattr(rest, "VAR_DIR", stack.var_dir)
    return stack


def _served_by(stack: Stack, path: str) -> List[str]:
    """The Rasa upstream of each request to ``path`` in nginx's access log, oldest first."""
    rasa_ports = {f"127.0.0.1:{BASE_PORT + i}" for i in range(2)}
    served = []
    for line in stack.log_lines("nginx-access.log"):
        if f" {path} " in line:
            served += [addr for addr in re.findall(r"127\.0\.0\.1:\d+", line) if addr in rasa_ports]
    return served


def test_a_conversation_spans_both_rasa_servers_and_keeps_its_state(door: Stack) -> None:
    sender = f"prod-{uuid.uuid4().hex[:8]}"
    before = len(_served_by(door, "/webhooks/rest/webhook"))
    first = rest.say(sender, "身份证丢了怎么补办，要带什么")
    second = rest.say(sender, "要多少钱")
    third = rest.say(sender, "在哪里办")
    assert "系统暂时繁忙" not in first + second + third
    served = _served_by(door, "/webhooks/rest/webhook")[before:]
    for _ in range(50):  # nginx logs a request after its response went out: the last line may lag
        if len(served) >= 3:
            break
        time.sleep(0.1)
        served = _served_by(door, "/webhooks/rest/webhook")[before:]
    assert len(served) == 3 and len(set(served)) == 2, served  # round robin: both servers took turns
    texts = [e["text"] for e in door.tracker(sender)["events"] if e["event"] == "user"]
    assert texts == ["身份证丢了怎么补办，要带什么", "要多少钱", "在哪里办"]
    assert "身份证" in second or "居民身份证" in second  # the follow-up was answered about the same item


def test_one_conversation_is_served_one_turn_at_a_time_across_servers(door: Stack) -> None:
    """Two messages of one sender sent at once to two different Rasa servers: the lock store orders them."""
    sender = f"lock-{uuid.uuid4().hex[:8]}"
    rest.say(sender, "你好")
    session = rest.session_of(sender)

    def send(index_and_text: tuple) -> int:
        index, text = index_and_text
        url = f"http://127.0.0.1:{BASE_PORT + index}/webhooks/rest/webhook"
        return requests.post(url, json={"sender": sender, "session": session, "message": text}, timeout=120).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(send, [(0, "办身份证要带什么"), (1, "驾照到期了在哪换")]))
    assert statuses == [200, 200]
    events = door.tracker(sender)["events"]
    kinds = [e["event"] if e["event"] != "action" else e["name"] for e in events]
    users = [i for i, kind in enumerate(kinds) if kind == "user"]
    assert len(users) == 3
    for start, end in zip(users, users[1:] + [len(kinds)], strict=True):  # each turn ends before the next begins
        turn = kinds[start:end]
        assert "bot" in turn and turn[-1] == "action_listen", turn


def test_a_demo_login_works_and_the_tracker_in_redis_is_redacted(door: Stack) -> None:
    sender = f"login-{uuid.uuid4().hex[:8]}"
    replies = rest.login(sender, RAW_ID, "张三", rest.ZHANG_PHONE)
    assert "登录成功" in replies[-1], replies
    client = redis.Redis(port=REDIS_PORT, db=0, decode_responses=True)
    stored = client.get(f"tracker:{sender}")
    assert stored and "login_form" in stored
    assert RAW_ID not in stored and "张三" not in stored.replace("张三商贸", "")
    code = re.search(r"\d{6}", rest.latest_code(rest.ZHANG_PHONE)).group(0)  # type: ignore[union-attr]
    assert code not in stored


def test_conversation_events_arrive_in_the_database(door: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    sender = f"events-{uuid.uuid4().hex[:8]}"
    rest.say(sender, "公积金提取能网上办吗")
    monkeypatch.setenv("GOV_SECRET_KEY", door.env["GOV_SECRET_KEY"])
    reload_settings()
    gov_secrets.secret_key.cache_clear()
    try:
        hashed = sender_hash(sender)
    finally:
        monkeypatch.undo()
        reload_settings()
        gov_secrets.secret_key.cache_clear()
    engine = sqlalchemy.create_engine(DATABASE_URL)
    query = sqlalchemy.text("SELECT event_type, name, channel FROM conversation_events WHERE sender_hash = :h")
    rows: List[Any] = []
    try:
        for _ in range(60):
            with engine.connect() as conn:
                rows = conn.execute(query, {"h": hashed}).all()
            if any(row[0] == "user" for row in rows) and any(row[1] == "action_listen" for row in rows):
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    assert ("user", "rest") in {(row[0], row[2]) for row in rows}, rows
    assert "公积金" not in json.dumps([list(row) for row in rows], ensure_ascii=False)


def test_a_console_session_opened_on_one_staff_app_works_on_the_other(door: Stack) -> None:
    first, second = (f"http://127.0.0.1:{BASE_PORT + 40 + i}" for i in range(2))
    browser = requests.Session()
    page = browser.get(f"{first}/console/login", timeout=30)
    password = demo_password("faq_editor", door.env["DEMO_OFFICER_SECRET"])
    form = {"username": "faq_editor", "password": password, "csrf_token": csrf_of(page.text)}
    login = browser.post(f"{first}/console/login", data=form, allow_redirects=False, timeout=30)
    assert login.status_code == 303, login.text[:500]
    cookies = {"staff_session": browser.cookies["staff_session"]}
    other = requests.get(f"{second}/console/faq", cookies=cookies, allow_redirects=False, timeout=30)
    assert other.status_code == 200 and "知识库编辑（演示）" in other.text  # the logged-in officer's name
    through_door = requests.get(f"{DOOR}/console/faq", cookies=cookies, allow_redirects=False, timeout=30)
    assert through_door.status_code == 200
    stranger = requests.get(f"{second}/console/faq", allow_redirects=False, timeout=30)
    assert stranger.status_code == 303  # no cookie, no session: the check is real


def test_the_widget_channel_works_through_the_door(door: Stack) -> None:
    """Socket.IO (the portal widget) through nginx: long polling stays on the server that opened it."""
    client = socketio.Client(reconnection=False)
    confirmed: queue.Queue[Dict[str, Any]] = queue.Queue()
    replies: queue.Queue[Dict[str, Any]] = queue.Queue()
    client.on("session_confirm", confirmed.put)
    client.on("bot_uttered", replies.put)
    client.connect(DOOR, socketio_path="/socket.io", transports=["polling"], headers={"Origin": DOOR}, wait_timeout=30)
    try:
        client.emit("session_request", {"session_id": None})
        session = confirmed.get(timeout=30)
        client.emit("user_uttered", {"message": "居住证几天能拿到", "session_id": session["session_id"]})
        reply = replies.get(timeout=120)
    finally:
        client.disconnect()
    assert "居住证" in reply["text"] and "系统暂时繁忙" not in reply["text"]
