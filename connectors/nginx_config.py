"""The nginx configuration of the production profile: one public door in front of every server.

``scripts/run_prod.sh`` writes it under ``VAR_DIR`` and runs nginx on it as an ordinary process.
Rendered here rather than kept as a file so the busy replies nginx gives when no Rasa server
answers are the channels' own (:data:`connectors.common.BUSY_REPLY`), defined once.

Command line::

    python -m connectors.nginx_config --var DIR --log DIR --listen 8000 --base-port 8010 --instances 2
"""

from __future__ import annotations

import argparse
import grp
import json
import math
import os
import pwd
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence

from connectors.common import BUSY_REPLY
from govservice.applications.materials_check import MAX_UPLOAD_BYTES

TEMPLATE = Path(__file__).with_name("nginx.conf.in")
MAX_INSTANCES = 20
"""Ports are BASE+i for Rasa, BASE+20+i for actions and BASE+40+i for staff (CHAIN interface)."""
ACTION_OFFSET, STAFF_OFFSET, PORTAL_OFFSET, ACTIONS_DOOR_OFFSET = 20, 40, 60, 61


@dataclass(frozen=True)
class Layout:
    """Where every process of the profile listens.

    Attributes:
        listen: nginx's public ``listen`` value (a port, or ``address:port``).
        base_port: Rasa server ``i`` listens on ``base_port + i``; the other roles are offset.
        instances: how many Rasa servers, action servers and staff apps.
    """

    listen: str
    base_port: int
    instances: int

    def __post_init__(self) -> None:
        """Refuse layouts whose ports would overlap or leave the valid range."""
        if not 1 <= self.instances <= MAX_INSTANCES:
            raise ValueError(f"PROD_INSTANCES 应在 1 到 {MAX_INSTANCES} 之间，而不是 {self.instances}")
        if not 1024 <= self.base_port <= 65535 - ACTIONS_DOOR_OFFSET:
            raise ValueError(f"PROD_BASE_PORT 无效：{self.base_port}")

    def rasa_port(self, index: int) -> int:
        """Rasa server ``index``."""
        return self.base_port + index

    def action_port(self, index: int) -> int:
        """Action server ``index``."""
        return self.base_port + ACTION_OFFSET + index

    def staff_port(self, index: int) -> int:
        """Staff app ``index``."""
        return self.base_port + STAFF_OFFSET + index

    @property
    def portal_port(self) -> int:
        """The portal (one instance)."""
        return self.base_port + PORTAL_OFFSET

    @property
    def actions_door_port(self) -> int:
        """The internal door to the action servers, which Rasa's ``action_endpoint`` names."""
        return self.base_port + ACTIONS_DOOR_OFFSET


def _servers(ports: Sequence[int]) -> str:
    # A failed instance is left alone for a few seconds, then tried again (it is restarted).
    return "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;" for port in ports)


def _nginx_string(text: str) -> str:
    """``text`` inside nginx single quotes: a dollar sign would be read as a variable."""
    if "$" in text or "'" in text or "\\" in text:
        raise ValueError("a busy reply must not contain $, ' or \\ (nginx would alter it)")
    return text


def busy_bodies() -> Dict[str, str]:
    """The JSON bodies nginx answers with when no Rasa server can take a message."""
    rest = json.dumps([{"recipient_id": "", "text": BUSY_REPLY}], ensure_ascii=False)
    error = json.dumps({"error": BUSY_REPLY}, ensure_ascii=False)
    return {"busy_rest": _nginx_string(rest), "busy_error": _nginx_string(error)}


def render(layout: Layout, var_dir: Path, log_dir: Path, read_timeout_seconds: int = 60) -> str:
    """The whole nginx.conf for ``layout``, with pid, temp files and logs under the given folders."""
    indexes = range(layout.instances)
    values = {
        "user": f"{pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name}",
        "var": str(var_dir),
        "log": str(log_dir),
        "listen": layout.listen,
        "max_body": f"{math.ceil(MAX_UPLOAD_BYTES / 2**20) + 1}m",
        "read_timeout": f"{read_timeout_seconds}s",
        "rasa_servers": _servers([layout.rasa_port(i) for i in indexes]),
        "action_servers": _servers([layout.action_port(i) for i in indexes]),
        "staff_servers": _servers([layout.staff_port(i) for i in indexes]),
        "portal_port": str(layout.portal_port),
        "actions_port": str(layout.actions_door_port),
        **busy_bodies(),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        raise ValueError("nginx template has a placeholder without a value")
    return text


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print the configuration; a bad layout is one Chinese line and status 2."""
    parser = argparse.ArgumentParser(prog="python -m connectors.nginx_config", description="生成生产配置的 nginx.conf")
    parser.add_argument("--var", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--base-port", type=int, required=True)
    parser.add_argument("--instances", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        layout = Layout(args.listen, args.base_port, args.instances)
    except ValueError as error:
        print(f"配置错误：{error}", file=sys.stderr)
        return 2
    sys.stdout.write(render(layout, args.var.resolve(), args.log.resolve()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
