"""The staff console (工作台): server-rendered pages for FAQ editors, department officers and agents.

Served by the staff web app under ``/console`` (``docs/console.md``): session login, roles,
CSRF-checked forms, the FAQ editor with live preview, import/export, the audit log, the
unanswered-questions queue, the human-handoff queue, the window clerk's workbench (the
department's applications and 差评 follow-ups) and the analytics dashboard.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Sanic

import govservice.handoff.queue  # noqa: F401  (registers the handoff tables the app creates if missing)
from staff.console import (
    sessions,  # noqa: F401  (registers the console_sessions table)
    views_auth,
    views_dashboard,
    views_faq,
    views_followups,
    views_handoff,
    views_queue,
    views_tools,
    views_workbench,
)

STATIC = Path(__file__).resolve().parent / "static"


def _static() -> Blueprint:
    bp = Blueprint("console_static", url_prefix="/console")
    bp.static("/static", str(STATIC), name="files")
    return bp


def install(app: Sanic) -> None:
    """Register the console's routes and static files on ``app``."""
    modules = (views_auth, views_faq, views_tools, views_queue, views_handoff, views_workbench, views_followups,
               views_dashboard)
    for module in modules:
        app.blueprint(module.blueprint())
    app.blueprint(_static())
