"""The portal's static server, through sanic-testing: no browser, no Rasa."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sanic import Sanic

from portal.server import STATIC_DIR, check_public_url, create_app, static_file

RASA = "https://chat.example.gov.cn"


@pytest.fixture()
def app() -> Sanic:
    return create_app(RASA, name=f"portal_{uuid.uuid4().hex[:8]}")


def get(app: Sanic, path: str) -> Any:
    _, response = app.test_client.get(path)
    return response


def test_index_embeds_the_widget_with_one_script_tag(app: Sanic) -> None:
    response = get(app, "/")
    assert response.status == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "示范市政务服务网" in page
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == [f'<script src="/static/widget.js" data-server="{RASA}">']
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and f"connect-src 'self' {RASA} wss://chat.example.gov.cn" in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_rasa_url_is_escaped_and_checked() -> None:
    app = create_app('http://localhost:5005/"><script>alert(1)</script>', name=f"portal_{uuid.uuid4().hex[:8]}")
    page = get(app, "/").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    with pytest.raises(ValueError):
        check_public_url("javascript:alert(1)")
    with pytest.raises(ValueError):
        check_public_url("localhost:5005")
    assert check_public_url(" http://localhost:5005/ ") == "http://localhost:5005"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/widget.js", "text/javascript"),
        ("/static/widget/chat.js", "text/javascript"),
        ("/static/widget/widget.css", "text/css"),
        ("/static/vendor/socket.io.min.js", "text/javascript"),
    ],
)
def test_widget_files_are_served_with_their_types(app: Sanic, path: str, content_type: str) -> None:
    response = get(app, path)
    assert response.status == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers["access-control-allow-origin"] == "*"


def test_every_part_the_loader_names_exists(app: Sanic) -> None:
    loader = get(app, "/static/widget.js").text
    parts = re.findall(r'"(widget/[\w.]+\.js)"', loader) + re.findall(r'"(vendor/[\w.]+\.js)"', loader)
    assert len(parts) == 4
    for part in parts:
        assert get(app, f"/static/{part}").status == 200, part


def test_health(app: Sanic) -> None:
    assert get(app, "/health").json == {"status": "ok"}


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/static/nope.js",
        "/static/",
        "/static/widget",  # a directory: no listing
        "/static/%2e%2e/server.py",
        "/static/..%2fserver.py",
        "/static/..%2f..%2fpyproject.toml",
        "/static/%2fetc%2fpasswd",
        "/static/widget/..%2f..%2f__init__.py",
        "/static/.hidden",
        "/static/..%5cserver.py",
    ],
)
def test_unknown_paths_and_traversal_are_404(app: Sanic, path: str) -> None:
    response = get(app, path)
    assert response.status == 404, (path, response.status)
    assert "import" not in response.text and "root:" not in response.text


@pytest.mark.parametrize("relative", ["../server.py", "/etc/passwd", "widget/../../server.py", "a\x00b", ".git"])
def test_static_file_refuses_paths_outside_the_folder(relative: str) -> None:
    assert static_file(relative) is None


def test_static_file_finds_the_widget() -> None:
    assert static_file("widget.js") == STATIC_DIR / "widget.js"
