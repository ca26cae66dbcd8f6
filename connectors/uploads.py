"""Material uploads for the web widget and REST clients: ``POST /webhooks/upload/file``.

The same channel serves "导出我的数据" downloads at ``/webhooks/upload/export/<token>``: opening
the link shows a download button, and only pressing it (a POST) uses up the one-time link, so a
chat app's link preview cannot spend it.

A multipart form with ``sender``, ``session`` (the token the conversation's channel issued, see
:mod:`govservice.identity.channel_sessions`), ``channel`` (default ``rest``; ``rest`` or ``socketio``) and
``file``. The sender must be logged in on that channel: the file is stored for the bound person (by its SHA-256, see
:func:`govservice.applications.materials_check.store_attachment`) and the reply names the message the client
sends next on its own channel, ``/upload_material{"attachment_id": "..."}``, which hands the
file to the open application.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, Optional, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors.common import clean_sender
from govservice.applications import service as applications
from govservice.applications.materials_check import MAX_UPLOAD_BYTES, UPLOAD_SIGNATURES
from govservice.applications.states import ApplicationError
from govservice.clock import utc_now
from govservice.identity import service as identity
from govservice.identity.channel_sessions import admit
from govservice.privacy import personal_data
from govservice.privacy import service as privacy

logger = logging.getLogger(__name__)
# WeChat citizens send pictures in the chat; the WeChat channel fetches them (connectors/wechat.py).
CHANNELS = ("rest", "socketio")


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def upload_message(attachment_id: str) -> str:
    """The message that hands an upload to the bot."""
    return "/upload_material" + json.dumps({"attachment_id": attachment_id})


def _content_type(declared: str, data: bytes) -> str:
    """The declared type, or the one the content's leading bytes show (browsers vary)."""
    if declared in UPLOAD_SIGNATURES:
        return declared
    for kind, signature in UPLOAD_SIGNATURES.items():
        if data.startswith(signature):
            return kind
    return declared


EXPORT_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>导出我的数据</title></head>
<body><h1>导出我的数据</h1><p>{body}</p></body></html>"""
EXPORT_BUTTON = (
    '点击下方按钮下载您的数据（JSON 文件）。链接10分钟内有效，只能下载一次。</p>'
    '<form method="post"><button type="submit">下载我的数据</button></form><p>'
)
EXPORT_GONE = "下载链接无效、已过期或已使用（链接10分钟内有效，只能下载一次）。请在对话中重新说“导出我的数据”。"
_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def open_export(token: str) -> Optional[Tuple[str, bytes]]:
    """The export behind a one-time link as (file name, JSON bytes), using the link up; None if invalid."""
    now = utc_now()
    export = privacy.redeem_export_link(token, now)
    if export is None:
        return None
    return personal_data.export_filename(now), json.dumps(export, ensure_ascii=False, indent=2).encode()


def save_upload(channel: str, sender: str, filename: str, content_type: str, data: bytes) -> dict:
    """Store ``data`` for the person logged in as ``sender`` on ``channel``.

    Returns:
        ``{"attachment_id", "filename", "sha256", "message"}``.

    Raises:
        PermissionError: nobody is logged in on that sender.
        ApplicationError: empty, too large or unsupported file (Chinese message).
    """
    stored = applications.store_upload(channel, sender, data, filename, _content_type(content_type, data))
    if stored is None:
        raise PermissionError("请先在对话中登录，再上传材料。")
    return {
        "attachment_id": stored.attachment_id,
        "filename": stored.filename,
        "sha256": stored.sha256,
        "message": upload_message(stored.attachment_id),
    }


@dataclass(frozen=True)
class WeChatUpload:
    """A picture sent in WeChat: the message that hands it to the bot, or a reply instead of a turn."""

    message: Optional[str] = None
    reply: Optional[str] = None


def _download_media(client: Any, media_id: str) -> Tuple[bytes, str]:
    """A temporary material through the WeChat API (``media/get``), never through a URL from a message."""
    reply = client.media.download(media_id)
    content = getattr(reply, "content", None)
    if not isinstance(content, bytes):  # WeChat answered JSON (an error) instead of the file
        raise ApplicationError("微信服务器没有返回图片")
    return content, str(reply.headers.get("Content-Type", "image/jpeg")).split(";")[0]


def _save_media(client: Any, openid: str, media_id: str) -> dict:
    if identity.current_subject("wechat", openid) is None:  # refuse before fetching anything for a stranger
        raise PermissionError("请先在对话中登录，再发送材料图片。")
    data, content_type = _download_media(client, media_id)
    return save_upload("wechat", openid, f"wechat-{media_id[:40]}.jpg", content_type, data)


async def wechat_upload(client: Any, openid: str, attachment: Mapping[str, Any]) -> WeChatUpload:
    """Fetch a WeChat picture by its media id for the logged-in ``openid`` and store it as an upload.

    Args:
        client: wechatpy's client (``connectors.wechat_delivery.WeChatSender.client``).
        openid: the citizen's OpenID.
        attachment: the message's ``attachment`` metadata; only its ``media_id`` is used, its
            ``url`` (PicUrl) never.
    """
    media_id = attachment.get("media_id")
    if not isinstance(media_id, str) or not media_id.strip():
        return WeChatUpload(reply="没有收到图片，请重新发送。")
    try:
        saved = await asyncio.to_thread(_save_media, client, openid, media_id.strip())
    except PermissionError as exc:
        return WeChatUpload(reply=str(exc))
    except ApplicationError as exc:
        return WeChatUpload(reply=f"图片接收失败（{exc}），请重新发送。")
    except Exception:  # the WeChat API or the database failed; the log has the details
        logger.exception("WeChat picture could not be fetched")
        return WeChatUpload(reply="图片接收失败（网络错误），请稍后重新发送。")
    return WeChatUpload(message=str(saved["message"]))


class UploadInput(InputChannel):
    """Receives files; the conversation itself continues on the client's own channel."""

    @classmethod
    def name(cls) -> str:
        """The URL prefix ``/webhooks/upload``."""
        return "upload"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """One route: ``POST /file``."""
        uploads = Blueprint("material_uploads", __name__)

        @uploads.route("/file", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_UPLOAD_BYTES + 64 * 1024:
                return _error(413, "文件超过10MB，请压缩后重新上传。")
            form = request.form or {}
            sender = clean_sender(form.get("sender"))
            channel = str(form.get("channel") or "rest")
            upload = (request.files or {}).get("file")
            if sender is None or channel not in CHANNELS:
                return _error(400, "缺少 sender（会话标识）或 channel 不正确。")
            if upload is None:
                return _error(400, "没有收到文件，请选择要上传的材料（PDF、JPG、PNG 或 OFD）。")
            try:
                admitted = await asyncio.to_thread(admit, channel, sender, form.get("session"), False)
            except Exception:  # never a 500 page for the citizen; the log has the details
                logger.exception("upload session check failed")
                return _error(503, "上传暂时失败，请稍后重试。")
            if not admitted.ok:
                return _error(403, "会话凭证无效或缺失，请在对话中重新登录后再上传。")
            try:
                body = save_upload(channel, sender, upload.name or "upload", upload.type or "", upload.body or b"")
            except PermissionError as exc:
                return _error(401, str(exc))
            except ApplicationError as exc:
                return _error(400, str(exc))
            except Exception:  # never a 500 page for the citizen; the log has the details
                logger.exception("upload failed")
                return _error(503, "上传暂时失败，请稍后重试。")
            return response.json(body)

        @uploads.route("/export/<token:str>", methods=["GET"])
        async def export_page(request: Request, token: str) -> HTTPResponse:
            return response.html(EXPORT_PAGE.format(body=EXPORT_BUTTON), headers=_NO_STORE)

        @uploads.route("/export/<token:str>", methods=["POST"])
        async def export_download(request: Request, token: str) -> HTTPResponse:
            try:
                found = open_export(token)
            except Exception:  # never a 500 page for the citizen; the log has the details
                logger.exception("export failed")
                return response.html(EXPORT_PAGE.format(body="导出暂时失败，请稍后在对话中重试。"), status=503)
            if found is None:
                return response.html(EXPORT_PAGE.format(body=EXPORT_GONE), status=404, headers=_NO_STORE)
            filename, data = found
            headers = {**_NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
            return response.raw(data, content_type="application/json; charset=utf-8", headers=headers)

        return uploads
