"""Material uploads: only for a logged-in sender, only accepted file types, never a 500."""

from __future__ import annotations

import uuid
from typing import Any, Dict

from sanic import Sanic

from connectors.uploads import UploadInput, upload_message
from govservice.application_models import Attachment
from govservice.db import session_scope
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


def test_a_logged_in_sender_uploads_and_gets_the_message_to_send(catalog) -> None:
    sender = f"up-{uuid.uuid4().hex}"
    bind(sender)
    response = post(
        {"sender": sender, "channel": "rest"}, {"file": ("合同.png", PNG + uuid.uuid4().bytes, "image/png")}
    )
    assert response.status == 200
    body = response.json
    assert body["message"] == upload_message(body["attachment_id"]) and body["filename"] == "合同.png"
    with session_scope() as session:
        stored = session.get(Attachment, body["attachment_id"])
        assert stored is not None and stored.uploaded_by == ZHANG and stored.sha256 == body["sha256"]


def test_without_login_the_upload_is_refused_in_chinese(catalog) -> None:
    response = post({"sender": f"anon-{uuid.uuid4().hex}"}, {"file": ("a.png", PNG, "image/png")})
    assert response.status == 401 and "登录" in response.json["error"]


def test_bad_requests_get_a_clear_4xx(catalog) -> None:
    sender = f"up-{uuid.uuid4().hex}"
    bind(sender)
    assert post({"channel": "rest"}, {"file": ("a.png", PNG, "image/png")}).status == 400  # no sender
    assert post({"sender": sender}, {}).status == 400  # no file
    wrong = post({"sender": sender}, {"file": ("a.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert wrong.status == 400 and "PDF" in wrong.json["error"]
