"""The production profile's nginx.conf: every instance behind its upstream, busy replies from the channels."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

from connectors.common import BUSY_REPLY
from connectors.nginx_config import Layout, busy_bodies, main, render

NGINX = Path("/usr/sbin/nginx")


def _conf(tmp_path: Path, instances: int = 2) -> str:
    return render(Layout("8300", 8310, instances), tmp_path, tmp_path / "log")


def _upstream(conf: str, name: str) -> list[str]:
    block = re.search(r"upstream " + name + r" \{(.*?)\}", conf, re.S)
    assert block, name
    return re.findall(r"server (127\.0\.0\.1:\d+)", block.group(1))


def test_every_instance_is_in_its_upstream_on_the_agreed_ports(tmp_path: Path) -> None:
    conf = _conf(tmp_path, instances=3)
    assert _upstream(conf, "rasa") == ["127.0.0.1:8310", "127.0.0.1:8311", "127.0.0.1:8312"]
    assert _upstream(conf, "actions") == ["127.0.0.1:8330", "127.0.0.1:8331", "127.0.0.1:8332"]
    assert _upstream(conf, "staff") == ["127.0.0.1:8350", "127.0.0.1:8351", "127.0.0.1:8352"]
    assert _upstream(conf, "portal") == ["127.0.0.1:8370"]
    assert "listen 127.0.0.1:8371;" in conf and "listen 8300;" in conf


def test_no_sticky_sessions_for_conversations_and_no_resent_posts(tmp_path: Path) -> None:
    conf = _conf(tmp_path)
    rasa = re.search(r"upstream rasa \{(.*?)\}", conf, re.S)
    assert rasa and "hash" not in rasa.group(1) and "sticky" not in rasa.group(1)
    assert "proxy_next_upstream error timeout;" in conf
    assert not re.search(r"proxy_next_upstream [^;]*non_idempotent", conf)


def test_the_rest_busy_reply_is_the_channels_json_list(tmp_path: Path) -> None:
    body = json.loads(busy_bodies()["busy_rest"])
    assert body == [{"recipient_id": "", "text": BUSY_REPLY}]
    assert "系统暂时繁忙" in body[0]["text"]  # what bench/load.py looks for
    conf = _conf(tmp_path)
    assert f"return 200 '{busy_bodies()['busy_rest']}';" in conf
    wechat = re.search(r"location @busy_wechat \{(.*?)\}", conf, re.S)
    # WeChat must retry, not take the message as handled ("success" would drop it).
    assert wechat and "return 503 'busy';" in wechat.group(1) and "success" not in wechat.group(1)


def test_socketio_gets_the_upgrade_headers(tmp_path: Path) -> None:
    block = re.search(r"location /socket\.io/ \{(.*?)\}", _conf(tmp_path), re.S)
    assert block and "proxy_set_header Upgrade $http_upgrade;" in block.group(1)
    assert "proxy_set_header Connection $connection_upgrade;" in block.group(1)


@pytest.mark.parametrize("instances,base", [(0, 8310), (21, 8310), (2, 80), (2, 65500)])
def test_bad_layouts_are_refused(instances: int, base: int) -> None:
    with pytest.raises(ValueError):
        Layout("8300", base, instances)


def test_main_reports_a_bad_layout_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--var", str(tmp_path), "--log", str(tmp_path), "--listen", "8300", "--base-port", "8310"]
    assert main([*args, "--instances", "0"]) == 2
    assert "PROD_INSTANCES" in capsys.readouterr().err


@pytest.mark.skipif(not NGINX.exists(), reason="nginx not installed (scripts/setup_nginx.sh)")
def test_nginx_accepts_the_generated_file(tmp_path: Path) -> None:
    (tmp_path / "log").mkdir()
    (tmp_path / "nginx" / "tmp").mkdir(parents=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(_conf(tmp_path), encoding="utf-8")
    command = [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "log" / "e.log")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


# --- the generated file served by a real nginx, in front of stand-ins for the Rasa servers -------

LISTEN, BASE = 5350, 5360  # the prod helper's test ports; nothing else listens on them


class CountingHandler(BaseHTTPRequestHandler):
    """A Rasa server that answers every POST with one message and counts them."""

    hits: List[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        CountingHandler.hits.append(body.decode())
        payload = json.dumps([{"recipient_id": "s", "text": "答复"}], ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def _swallowing_server(port: int, hits: List[bytes]) -> socket.socket:
    """A Rasa server that reads a whole request and dies before answering."""
    server = socket.create_server(("127.0.0.1", port))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                hits.append(data)

    threading.Thread(target=serve, daemon=True).start()
    return server


@pytest.fixture()
def nginx(tmp_path: Path) -> Iterator[str]:
    """nginx on the generated file (2 instances); yields its URL."""
    if not NGINX.exists():
        pytest.skip("nginx not installed (scripts/setup_nginx.sh)")
    (tmp_path / "log").mkdir()
    (tmp_path / "nginx" / "tmp").mkdir(parents=True)
    conf = tmp_path / "nginx" / "nginx.conf"
    conf.write_text(render(Layout(f"127.0.0.1:{LISTEN}", BASE, 2), tmp_path, tmp_path / "log"), encoding="utf-8")
    process = subprocess.Popen([str(NGINX), "-p", str(tmp_path / "nginx"), "-c", str(conf), "-g", "daemon off;",
                                "-e", str(tmp_path / "log" / "e.log")])
    url = f"http://127.0.0.1:{LISTEN}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", LISTEN), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _post(url: str, path: str, body: bytes = b'{"sender": "s", "message": "hi"}') -> Tuple[int, str]:
    request = urllib.request.Request(url + path, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_with_no_rasa_server_up_citizens_get_the_channels_busy_reply(nginx: str) -> None:
    status, body = _post(nginx, "/webhooks/rest/webhook")
    assert status == 200 and json.loads(body) == [{"recipient_id": "", "text": BUSY_REPLY}]
    assert _post(nginx, "/webhooks/wechat/webhook", b"<xml></xml>") == (503, "busy")
    status, body = _post(nginx, "/webhooks/upload/file")
    assert status == 503 and json.loads(body) == {"error": BUSY_REPLY}


def test_a_refused_connection_goes_to_the_next_server(nginx: str) -> None:
    """Nothing listens on Rasa 0: every message still reaches Rasa 1, once."""
    CountingHandler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", BASE + 1), CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        results = [_post(nginx, "/webhooks/rest/webhook", f'{{"sender": "s", "message": "{i}"}}'.encode())
                   for i in range(4)]
    finally:
        server.shutdown()
        server.server_close()
    assert [status for status, _ in results] == [200] * 4
    assert all("答复" in body for _, body in results)
    assert sorted(json.loads(hit)["message"] for hit in CountingHandler.hits) == ["0", "1", "2", "3"]


def test_a_message_that_reached_a_server_is_never_sent_to_another(nginx: str) -> None:
    """Rasa 0 takes the request and dies: the citizen is told to retry, Rasa 1 never sees that message."""
    CountingHandler.hits = []
    swallowed: List[bytes] = []
    dying = _swallowing_server(BASE, swallowed)
    server = ThreadingHTTPServer(("127.0.0.1", BASE + 1), CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        results = [_post(nginx, "/webhooks/rest/webhook", f'{{"sender": "s", "message": "{i}"}}'.encode())
                   for i in range(6)]
    finally:
        server.shutdown()
        server.server_close()
        dying.close()
    answered = [json.loads(hit)["message"] for hit in CountingHandler.hits]
    busy = [i for i, (_, body) in enumerate(results) if BUSY_REPLY in body]
    assert swallowed and busy  # some messages reached the dying server
    assert all(status == 200 for status, _ in results)
    assert sorted(answered + [str(i) for i in busy]) == [str(i) for i in range(6)]  # each went to one server only
