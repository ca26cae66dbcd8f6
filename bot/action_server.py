"""The action server: rasa_sdk's app, on localhost, answering only the Rasa server.

``rasa run actions`` listens on 0.0.0.0 and runs any action for anyone: a forged tracker (a
bound sender's slots) would read that person's certificates. This entry point binds to
``ACTION_HOST`` (127.0.0.1 by default) and refuses every request but ``/health`` that lacks the
shared secret (``ACTION_SERVER_TOKEN``, else ``var/action_token``), which endpoints.yml makes
Rasa send as ``Authorization: Bearer <secret>``.

Usage (scripts/run.sh)::

    python -m bot.action_server --port 5055 [--host 127.0.0.1] [--actions bot.actions]
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
from typing import Optional, Sequence

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app as create_sdk_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from govservice import settings
from govservice.settings.secrets import ACTION_TOKEN, stored_secret
from overrides import install

logger = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health"})
UNAUTHORIZED = "未授权：动作服务器只接受智能助手服务器（Rasa）携带共享密钥的请求"


def authorized(header: Optional[str], secret: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <secret>`` (compared in constant time)."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip() or not secret:
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), secret.encode("utf-8"))


def create_app(secret: str, actions: str = "bot.actions") -> Sanic:
    """rasa_sdk's app for ``actions``, without CORS (no browser calls it), behind the shared ``secret``."""
    app = create_sdk_app(actions, cors_origins="")

    @app.middleware("request")
    async def require_secret(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS or authorized(request.headers.get("Authorization"), secret):
            return None
        logger.warning("refused %s %s from %s: no valid secret", request.method, request.path, request.ip)
        return response.json({"error": UNAUTHORIZED}, status=401, dumps=json.dumps, ensure_ascii=False)

    return app


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.action_server", description="动作服务器（仅接受 Rasa 的请求）")
    parser.add_argument("--port", type=int, default=settings.current().action_port)
    parser.add_argument("--host", default=settings.current().action_host)
    parser.add_argument("--actions", default="bot.actions")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the action server until it is stopped."""
    args = _parser().parse_args(argv)
    utils.configure_colored_logging(settings.current().log_level)
    utils.update_sanic_log_level()
    install(rasa_server=False)  # the log-record factory: no raw ID or phone number in a log line
    app = create_app(stored_secret(ACTION_TOKEN), args.actions)
    logger.info("action server on http://%s:%d (shared secret required)", args.host, args.port)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
