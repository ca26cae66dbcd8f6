"""A browser-like client for the staff console in tests: cookies, login and CSRF tokens from the pages."""

from __future__ import annotations

import re
from html import unescape
from typing import Any, Dict, Optional

from sanic import Sanic

from govservice.accounts.demo_officers import demo_password

# httpx's default 5 s limit is about the test client, not the console: a file import on a
# loaded CI machine can take longer, and nothing here measures speed.
CLIENT_OPTIONS = {"timeout": 60}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_FIELD.search(html)
    assert match, "no CSRF field on the page"
    return unescape(match.group(1))


class Console:
    """One officer's browser: keeps the cookies, posts forms with the page's CSRF token."""

    def __init__(self, app: Sanic) -> None:
        self.app = app
        self.cookies: Dict[str, str] = {}
        self.csrf = ""

    def _keep(self, response: Any) -> Any:
        for name, value in response.cookies.items():
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response

    def get(self, path: str, **kw: Any) -> Any:
        """GET without following redirects."""
        kw.setdefault("session_kwargs", CLIENT_OPTIONS)
        _, response = self.app.test_client.get(path, cookies=self.cookies, allow_redirects=False, **kw)
        return self._keep(response)

    def post(self, path: str, data: Optional[Dict[str, Any]] = None, *, csrf: bool = True, **kw: Any) -> Any:
        """POST a form; the session's CSRF token is added unless ``csrf`` is False."""
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        kw.setdefault("session_kwargs", CLIENT_OPTIONS)
        _, response = self.app.test_client.post(
            path, data=form, cookies=self.cookies, allow_redirects=False, **kw
        )
        return self._keep(response)

    def login(self, username: str, password: Optional[str] = None) -> Any:
        """Log in through the form like a person would; remember the session's CSRF token."""
        page = self.get("/console/login")
        response = self.post(
            "/console/login",
            {"username": username, "password": password or demo_password(username), "csrf_token": csrf_of(page.text)},
            csrf=False,
        )
        if response.status == 303:
            self.csrf = csrf_of(self.get("/console/faq").text)
        return response

    def api_post(self, path: str, body: Dict[str, Any], *, csrf: bool = True) -> Any:
        """POST JSON to the console API with the session (and its CSRF header)."""
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        _, response = self.app.test_client.post(path, json=body, cookies=self.cookies, headers=headers)
        return response
