"""Material uploads: only for a logged-in sender with its session token, only accepted file types, never a 500."""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict

from sanic import Sanic

from connectors.uploads import UploadInput, upload_message
from govservice.applications.models import Attachment
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.identity.channel_sessions import admit
from govservice.privacy.personal_data import create_export_link
from tests.actions.test_applications import ZHANG, bind

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def _never(message: Any) -> None:  # uploads never start a turn themselves
    raise AssertionError("no turn expected")


def app() -> Sanic:
    server = Sanic(f"uploads_{uuid.uuid4().hex[:8]}")
    server.blueprint(UploadInput().blueprint(_never), url_prefix="/webhooks/upload")
    return server


def post(data: Dict[str, str], files: Dict[str, Any]) -> Any:
    _, response = app().test_client.post("/webhooks/upload/file", data=data, files=files)
    return response


def logged_in(sender: str) -> str:
    """The REST session token of ``sender``, then a login on it (issuing a token ends old logins)."""
    token = admit("rest", sender, None).token
    assert token is not None
    bind(sender)
    return token


def test_a_logged_in_sender_uploads_and_gets_the_message_to_send(catalog) -> None:
    sender = f"up-{uuid.uuid4().hex}"
    token = logged_in(sender)
    response = post(
        {"sender": sender, "session": token, "channel": "rest"},
        {"file": ("合同.png", PNG + uuid.uuid4().bytes, "image/png")},
    )
    assert response.status == 200
    body = response.json
    assert body["message"] == upload_message(body["attachment_id"]) and body["filename"] == "合同.png"
    with session_scope() as session:
        stored = session.get(Attachment, body["attachment_id"])
        assert stored is not None and stored.uploaded_by == ZHANG and stored.sha256 == body["sha256"]


def test_without_login_the_upload_is_refused_in_chinese(catalog) -> None:
    sender = f"anon-{uuid.uuid4().hex}"
    token = admit("rest", sender, None).token
    response = post({"sender": sender, "session": str(token)}, {"file": ("a.png", PNG, "image/png")})
    assert response.status == 401 and "登录" in response.json["error"]


def test_a_bound_sender_without_its_session_token_cannot_upload(catalog) -> None:
    # Issue 12 item 8: knowing a logged-in conversation's sender id is not enough.
    sender = f"up-{uuid.uuid4().hex}"
    token = logged_in(sender)
    for form in ({"sender": sender}, {"sender": sender, "session": token[:-1] + "x"},
                 {"sender": sender, "session": token, "channel": "wechat"}):
        response = post(form, {"file": ("a.png", PNG + uuid.uuid4().bytes, "image/png")})
        assert response.status in (400, 403) and "attachment_id" not in response.json, form
        assert "会话" in response.json["error"]


def test_bad_requests_get_a_clear_4xx(catalog) -> None:
    sender = f"up-{uuid.uuid4().hex}"
    token = logged_in(sender)
    assert post({"channel": "rest"}, {"file": ("a.png", PNG, "image/png")}).status == 400  # no sender
    assert post({"sender": sender, "session": token}, {}).status == 400  # no file
    wrong = post(
        {"sender": sender, "session": token}, {"file": ("a.exe", b"MZ\x90\x00", "application/octet-stream")}
    )
    assert wrong.status == 400 and "PDF" in wrong.json["error"]


def test_an_export_link_shows_a_button_and_only_the_button_downloads_once(catalog) -> None:
    with session_scope() as session:
        token = create_export_link(session, ZHANG, utc_now())
    server = app()
    _, page = server.test_client.get(f"/webhooks/upload/export/{token}")  # a chat app's link preview
    assert page.status == 200 and "下载我的数据" in page.text and 'method="post"' in page.text
    assert page.headers["cache-control"] == "no-store"
    _, download = server.test_client.post(f"/webhooks/upload/export/{token}")
    assert download.status == 200 and download.headers["content-type"].startswith("application/json")
    assert download.headers["content-disposition"].startswith('attachment; filename="my-data-')
    export = json.loads(download.body)
    assert export["个人信息"]["姓名"] == "张三" and ZHANG not in download.body.decode()
    _, again = server.test_client.post(f"/webhooks/upload/export/{token}")
    assert again.status == 404 and "已使用" in again.text


def test_a_made_up_export_link_gets_a_clear_404(catalog) -> None:
    _, response = app().test_client.post("/webhooks/upload/export/not-a-real-token")
    assert response.status == 404 and "重新说“导出我的数据”" in response.text
