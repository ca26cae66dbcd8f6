"""A small static server for the example portal page and the chat widget's files.

``GET /`` is ``portal/index.html`` with the widget's ``data-server`` set to the Rasa server's
public address; ``GET /static/<path>`` serves files under ``portal/static`` (and nothing outside
it). A portal team can equally copy ``portal/static`` to its own web server or CDN: the widget
needs no server-side code of its own.
"""

from __future__ import annotations

import html
import mimetypes
import re
from pathlib import Path
from typing import Dict, Optional
from urllib.parse import urlsplit

from sanic import Sanic, response
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse

from govservice.catalog import facts
from govservice.settings import DEFAULT_RASA_URL

PORTAL_DIR = Path(__file__).resolve().parent
STATIC_DIR = PORTAL_DIR / "static"
INDEX_FILE = PORTAL_DIR / "index.html"
DEFAULT_RASA_PUBLIC_URL = DEFAULT_RASA_URL

# Content types set explicitly: mimetypes depends on the host's /etc/mime.types.
CONTENT_TYPES: Dict[str, str] = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".md": "text/plain; charset=utf-8",
    ".license": "text/plain; charset=utf-8",
}
SECURITY_HEADERS: Dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
DATA_SERVER = re.compile(r'data-server="[^"]*"')
ITEM_CARD = re.compile(r'<li data-item="([\w-]+)"(?: data-note="([^"]*)")?></li>')
"""A card the catalog fills in: ``<li data-item="id_card_lost"></li>``, optionally with a note."""


def check_public_url(url: str) -> str:
    """Return the Rasa server's public base URL without a trailing slash.

    Args:
        url: an absolute http(s) URL such as ``https://chat.example.gov.cn``.

    Returns:
        The URL, trailing slashes removed.

    Raises:
        ValueError: when it is not an absolute http(s) URL.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"RASA_PUBLIC_URL must be an absolute http(s) URL, got {url!r}")
    return url.strip().rstrip("/")


def content_security_policy(rasa_url: str) -> str:
    """A strict policy for the example page: no inline code; network only to itself and Rasa."""
    parts = urlsplit(rasa_url)
    socket_scheme = "wss" if parts.scheme == "https" else "ws"
    rasa_origin = f"{parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: {rasa_origin}; "
        f"connect-src 'self' {rasa_origin} {socket_scheme}://{parts.netloc}; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
    )


def item_card(key: str, note: str = "") -> str:
    """One card from the catalog: the item's name, department, online or not, promised time limit.

    Raises:
        KeyError: no item with this key in the catalog.
    """
    item = facts.items()[key]
    department = facts.departments()[item["department"]]["name"]
    handling = "可网办" if item["handling"] in ("online", "both") else "窗口办理"
    parts = [department, handling, f"承诺{facts.fact('promised', key)}", *([note] if note else [])]
    return (
        f'<li data-item="{html.escape(key)}"><h3>{html.escape(str(item["name"]))}</h3>'
        f"<p>{html.escape(' · '.join(parts))}</p></li>"
    )


def render_index(rasa_url: str) -> str:
    """``index.html`` with the widget pointed at ``rasa_url`` and the item cards filled from the catalog."""
    page = INDEX_FILE.read_text(encoding="utf-8")
    page = ITEM_CARD.sub(lambda m: item_card(m.group(1), html.unescape(m.group(2) or "")), page)
    return DATA_SERVER.sub(f'data-server="{html.escape(rasa_url, quote=True)}"', page, count=1)


def static_file(relative: str) -> Optional[Path]:
    """Resolve a request path to a file inside ``STATIC_DIR``, or None.

    Args:
        relative: the part of the URL after ``/static/``, already percent-decoded.

    Returns:
        The file's path, or None for anything that is not a regular file inside the folder
        (``..`` tricks, absolute paths, symlinks out of it, directories, hidden files).
    """
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    if any(part.startswith(".") for part in relative.split("/")):
        return None
    candidate = (STATIC_DIR / relative).resolve()
    if STATIC_DIR not in candidate.parents or not candidate.is_file():
        return None
    return candidate


def create_app(rasa_public_url: Optional[str] = None, *, name: str = "portal") -> Sanic:
    """Build the portal app.

    Args:
        rasa_public_url: the address browsers use to reach Rasa; ``DEFAULT_RASA_PUBLIC_URL`` when None.
        name: the Sanic app name (unique per process).

    Returns:
        The Sanic app.
    """
    rasa_url = check_public_url(rasa_public_url or DEFAULT_RASA_PUBLIC_URL)
    csp = content_security_policy(rasa_url)
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "text"

    @app.get("/")
    async def index(_: Request) -> HTTPResponse:
        headers = {**SECURITY_HEADERS, "Content-Security-Policy": csp, "Cache-Control": "no-cache"}
        return response.html(render_index(rasa_url), headers=headers)

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @app.get("/static/<relative:path>")
    async def static(_: Request, relative: str) -> HTTPResponse:
        path = static_file(relative)
        if path is None:
            raise NotFound("未找到该文件。")
        content_type = CONTENT_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        headers = {
            **SECURITY_HEADERS,
            # The widget appends ?v=<version> to its parts, so a short cache is safe.
            "Cache-Control": "public, max-age=300",
            # The widget may be embedded by a portal on another origin.
            "Access-Control-Allow-Origin": "*",
        }
        return response.raw(
            path.read_bytes(), content_type=content_type or "application/octet-stream", headers=headers
        )

    return app
