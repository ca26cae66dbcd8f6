"""The staff web app: blueprints for the department API and the staff console.

API routes (documented in ``docs/openapi.yml``): ``/health``, ``/api/v1/me``, ``/api/v1/applications…``
and ``/api/v1/followups…``; the console's pages and its JSON API live under ``/console``
(``docs/console.md``). Settings come from the environment: ``DATABASE_URL`` (the back-office
database), ``NOTIFY_RETRY_SECONDS`` (default 30; 0 disables the periodic retry of notifications),
``RASA_URL`` and ``RASA_TOKEN`` (where notifications go, see :mod:`govservice.notifications.outbox`).
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from govservice import settings
from govservice.db import ensure_schema
from govservice.settings import database_url as configured_database_url
from staff import api_applications, api_followups, auth, console, wechat_notify
from staff.delivery import DeliveryWorker
from staff.web import register_error_handlers, reply


async def health(_: Request) -> HTTPResponse:
    """``GET /health``: the process is up (no authentication, no database access)."""
    return reply({"status": "ok"})


def create_app(
    database_url: Optional[str] = None, *, retry_seconds: Optional[float] = None, name: str = "staff"
) -> Sanic:
    """Build the app.

    Args:
        database_url: the back-office database; ``DATABASE_URL`` (or the SQLite default) when None.
        retry_seconds: how often undelivered notifications are retried; ``NOTIFY_RETRY_SECONDS``
            (default 30) when None; 0 disables the periodic retry (a status change still triggers
            delivery at once).
        name: the Sanic app name (unique per process).
    """
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    wechat_notify.install()
    app.ctx.database_url = database_url or configured_database_url()
    # Not shut down when the server stops: sanic-testing restarts the server per request, and the
    # worker's single thread ends with the process.
    app.ctx.delivery = DeliveryWorker(app.ctx.database_url)
    if retry_seconds is None:
        retry_seconds = settings.current().notify_retry_seconds
    app.ctx.retry_seconds = retry_seconds
    app.add_route(health, "/health", methods=["GET"])
    for blueprint in (auth.blueprint(), api_applications.blueprint(), api_followups.blueprint()):
        app.blueprint(blueprint)
    console.install(app)
    register_error_handlers(app)
    app.register_listener(_migrate, "before_server_start")
    app.register_listener(_start_retries, "after_server_start")
    app.register_listener(_stop_retries, "before_server_stop")
    return app


async def _migrate(app: Sanic, _: Any) -> None:
    # `make run` migrates first; an instance started on its own brings the database to head itself.
    ensure_schema(app.ctx.database_url)


async def _start_retries(app: Sanic, _: Any) -> None:
    app.ctx.retry_task = None
    if app.ctx.retry_seconds > 0:
        app.ctx.retry_task = asyncio.get_running_loop().create_task(
            app.ctx.delivery.retry_forever(app.ctx.retry_seconds)
        )


async def _stop_retries(app: Sanic, _: Any) -> None:
    task = getattr(app.ctx, "retry_task", None)
    if task is not None:
        task.cancel()
