"""The production profile's nginx.conf: every instance behind its upstream, busy replies from the channels."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

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
    assert wechat and "return 200 'success';" in wechat.group(1)


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
