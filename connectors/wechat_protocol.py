"""The WeChat official-account protocol as pure functions: no I/O, no clock, no randomness of their own.

Signatures, AES (safe mode) envelopes, safe XML parsing, passive replies, the 2,048-byte text
limit, numbered button choices and the mapping of WeChat message types to Rasa messages.
Everything a citizen reads is Chinese; see ``docs/wechat.md``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import xmltodict

from overrides.wechat import SecretsPrpCrypto

MAX_TEXT_BYTES = 2048

WELCOME_REPLY = (
    "您好，欢迎关注示范市政务服务！我是“一号一窗一网”智能助手，可以：\n"
    "1. 查询办事指南：所需材料、办理条件、收费、时限、办理地点和时间；\n"
    "2. 登录后查看本人电子证照及到期提醒；\n"
    "3. 查询办件进度，接收办件状态通知。\n"
    "直接发文字提问即可，例如“身份证丢了怎么补办”。"
)
VOICE_REPLY = "请发送文字，或开启语音识别后再试。"
UNSUPPORTED_REPLY = "抱歉，暂时只能处理文字、语音、图片和位置消息。请用文字描述您想办理或咨询的事项。"
UNKNOWN_MENU_REPLY = "抱歉，该菜单功能暂未开通。请直接发送文字告诉我您想办理的事项。"
CHOICE_HINT = "（回复序号即可选择）"

# Intents the menu keys map to unless WECHAT_MENU or credentials.yml says otherwise.
DEFAULT_MENU: Dict[str, str] = {
    "HELP": "help",
    "MY_CERTIFICATES": "query_certificates",
    "EXPIRING": "expiring_certificates",
    "LOGIN": "login",
    "LOGOUT": "logout",
}
# Events a citizen does not expect an answer to (WeChat ignores replies to most of them).
SILENT_EVENTS = {"unsubscribe", "view", "view_miniprogram", "templatesendjobfinish", "location"}


class InvalidMessage(ValueError):
    """The body is not a WeChat message we accept (malformed, forbidden XML, bad ciphertext)."""


# --- signatures ---------------------------------------------------------------------------


def sign(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """WeChat's signature: SHA-1 of the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, *extra])).encode()).hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison of a hex signature with what the request says, whatever it holds."""
    # compare_digest raises TypeError on str with non-ASCII characters: compare bytes.
    return hmac.compare_digest(expected.encode(), (given or "").encode("utf-8", "replace"))


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """The ``signature`` query parameter, present on every request in both modes."""
    return _same(sign(token, timestamp, nonce), signature)


def check_msg_signature(token: str, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> bool:
    """Safe mode's ``msg_signature``: unlike ``signature`` it also covers the ciphertext."""
    return _same(sign(token, timestamp, nonce, encrypt), msg_signature)


def is_fresh(timestamp: str, now: float, max_age: float) -> bool:
    """Whether a request's timestamp is within ``max_age`` seconds of ``now`` (0 disables the check).

    The plain signature does not cover the body, so a captured URL could otherwise carry any
    body for ever; WeChat's own retries all arrive within a few seconds.
    """
    if max_age <= 0:
        return True
    try:
        return abs(now - int(timestamp)) <= max_age
    except (TypeError, ValueError):
        return False


# --- safe (AES) mode ----------------------------------------------------------------------


def _key(aes_key: str) -> bytes:
    key = base64.b64decode(aes_key + "=")
    if len(key) != 32:
        raise InvalidMessage("EncodingAESKey must be 43 characters")
    return key


def decrypt(aes_key: str, app_id: str, encrypt: str) -> str:
    """Decrypt safe mode's ``Encrypt`` field and check that it was meant for ``app_id``."""
    try:
        return str(SecretsPrpCrypto(_key(aes_key)).decrypt(encrypt, app_id))
    except Exception as exc:  # wechatpy raises anything from binascii to struct errors
        raise InvalidMessage("undecryptable message") from exc


def encrypt(aes_key: str, app_id: str, plaintext: str, random_prefix: Optional[str] = None) -> str:
    """Encrypt a plaintext for safe mode; ``random_prefix`` only for reproducing test vectors."""
    return SecretsPrpCrypto(_key(aes_key), random_prefix).encrypt(plaintext, app_id).decode()


def encrypted_reply(
    token: str, aes_key: str, app_id: str, xml: str, nonce: str, timestamp: str, random_prefix: Optional[str] = None
) -> str:
    """Wrap a passive reply in safe mode's signed ``<Encrypt>`` envelope (wechatpy's layout)."""
    ciphertext = encrypt(aes_key, app_id, xml, random_prefix)
    return (
        f"<xml>\n<Encrypt><![CDATA[{ciphertext}]]></Encrypt>\n"
        f"<MsgSignature><![CDATA[{sign(token, timestamp, nonce, ciphertext)}]]></MsgSignature>\n"
        f"<TimeStamp>{timestamp}</TimeStamp>\n<Nonce><![CDATA[{nonce}]]></Nonce>\n</xml>"
    )


# --- XML ----------------------------------------------------------------------------------


_CDATA = re.compile(r"<!\[CDATA\[.*?\]\]>", re.S)


def parse_xml(body: bytes | str) -> Dict[str, Any]:
    """Parse a WeChat XML body into its ``<xml>`` fields, refusing anything WeChat never sends.

    Any ``<!`` other than ``<![CDATA[`` (DOCTYPE, ENTITY, comments) is refused before the
    parser sees the text, so entity-expansion bombs and external entities cost nothing.

    Raises:
        InvalidMessage: not UTF-8, forbidden markup, malformed XML, or no ``<xml>`` root.
    """
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise InvalidMessage("body is not UTF-8") from exc
    # Text inside CDATA is content ("<!" typed by a citizen); markup is only outside it.
    if "<!" in _CDATA.sub("", text):
        raise InvalidMessage("DOCTYPE, ENTITY and comments are not accepted")
    try:
        root = xmltodict.parse(text, disable_entities=True)
    except Exception as exc:  # expat's ExpatError, or ValueError from xmltodict
        raise InvalidMessage("malformed XML") from exc
    fields = root.get("xml") if isinstance(root, dict) else None
    if not isinstance(fields, dict):
        raise InvalidMessage("no <xml> root")
    return fields


# Characters XML 1.0 cannot hold, escaped or not (control characters, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids: a reply holding one would not parse at WeChat."""
    return _NOT_XML.sub("", value)


def cdata(value: str) -> str:
    """A CDATA section holding any text (characters XML cannot hold are dropped)."""
    # "]]>" would end the section early; split it across two sections.
    return "<![CDATA[" + xml_text(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(to_user: str, from_user: str, content: str, create_time: int) -> str:
    """A passive text reply: ``to_user`` is the citizen's OpenID, ``from_user`` the account."""
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )


# --- text limits and choices --------------------------------------------------------------

_BREAKS = ("\n", "。！？；!?;", "，,、 ")


def _cut_point(window: str) -> int:
    """Where to end a chunk inside ``window``: after a line, else a sentence, else a clause."""
    floor = len(window) // 3  # never leave a stub of a chunk just to hit a boundary
    for marks in _BREAKS:
        best = max(window.rfind(mark) for mark in marks)
        if best >= floor:
            return best + 1
    return len(window)


def split_text(text: str, limit: int = MAX_TEXT_BYTES) -> List[str]:
    """Split text so that no part exceeds ``limit`` bytes of UTF-8, at natural boundaries.

    Characters XML cannot hold are dropped first, so each part can be sent and a part is never blank.
    """
    parts: List[str] = []
    rest = xml_text(text).strip()
    while len(rest.encode("utf-8")) > limit:
        window = rest.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
        cut = max(_cut_point(window), 1)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return [part for part in parts if part]


def render_buttons(text: str, buttons: Sequence[Mapping[str, Any]]) -> Tuple[str, List[str]]:
    """Render Rasa buttons as numbered lines; return the text and the payload of each number."""
    lines = [text.strip()] if text and text.strip() else []
    payloads: List[str] = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "").strip()
        if not title:
            continue
        payloads.append(str(button.get("payload") or title))
        lines.append(f"{len(payloads)}. {title}")
    if payloads:
        lines.append(CHOICE_HINT)
    return "\n".join(lines), payloads


def pick_choice(text: str, choices: Sequence[str]) -> Optional[str]:
    """Map a reply such as "1" or "２。" to the payload of that numbered choice, if any."""
    digits = text.strip().rstrip("。.．").translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if digits.isdecimal() and 1 <= int(digits) <= len(choices):
        return choices[int(digits) - 1]
    return None


# --- incoming messages --------------------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    """What one WeChat message means for the bot.

    Attributes:
        sender: the citizen's OpenID (``FromUserName``).
        account: the official account (``ToUserName``), the sender of passive replies.
        dedup_key: ``msg:<MsgId>``, or ``event:<OpenID>:<CreateTime>:<Event>:<EventKey>``.
        text: what goes to Rasa; None means no bot turn.
        metadata: Rasa message metadata (``attachment``, ``location``, ``menu_key``, ``wechat``).
        reply: a direct answer instead of a bot turn (welcome, "please send text", ...).
        is_event: events open only a short customer-service window, messages 48 hours.
    """

    sender: str
    account: str
    dedup_key: str
    text: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    reply: Optional[str] = None
    is_event: bool = False


# (text for Rasa, metadata, direct reply)
Meaning = Tuple[Optional[str], Dict[str, Any], Optional[str]]


def _str(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""


def _coordinate(value: str, bound: float) -> Optional[float]:
    """A latitude (bound 90) or longitude (bound 180) in degrees; None for text, NaN, infinities or out of range."""
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and -bound <= number <= bound else None


def dedup_key(fields: Mapping[str, Any]) -> str:
    """Messages are identified by MsgId; events have none, so by sender and creation time.

    The event type and key are added because a follow and a menu click can share a second;
    WeChat's retries repeat them, so retries still collide.
    """
    msg_id = _str(fields, "MsgId") or _str(fields, "MsgID")
    if msg_id and _str(fields, "MsgType").lower() != "event":
        return f"msg:{msg_id}"
    event = f"{_str(fields, 'Event').lower()}:{_str(fields, 'EventKey')}"
    return f"event:{_str(fields, 'FromUserName')}:{_str(fields, 'CreateTime')}:{event}"


def _message_meaning(msg_type: str, fields: Mapping[str, Any]) -> Meaning:
    """(text for Rasa, metadata, direct reply) of a user message."""
    if msg_type == "text":
        return _str(fields, "Content"), {}, None
    if msg_type == "voice":
        recognition = _str(fields, "Recognition")
        return (recognition, {}, None) if recognition else (None, {}, VOICE_REPLY)
    if msg_type == "image":
        attachment = {"type": "image", "media_id": _str(fields, "MediaId"), "url": _str(fields, "PicUrl")}
        return "/upload_material", {"attachment": attachment}, None
    if msg_type == "location":
        lat, lon = _coordinate(_str(fields, "Location_X"), 90), _coordinate(_str(fields, "Location_Y"), 180)
        if lat is None or lon is None:
            return None, {}, UNSUPPORTED_REPLY
        location = {"latitude": lat, "longitude": lon, "label": _str(fields, "Label"), "scale": _str(fields, "Scale")}
        return "/find_hall", {"location": location}, None
    return None, {}, UNSUPPORTED_REPLY


def _event_meaning(event: str, fields: Mapping[str, Any], menu: Mapping[str, str]) -> Meaning:
    """(text for Rasa, metadata, direct reply) of an event; (None, {}, None) means stay silent."""
    if event == "subscribe":
        return None, {}, WELCOME_REPLY
    if event == "click":
        key = _str(fields, "EventKey")
        intent = menu.get(key)
        return (f"/{intent}", {"menu_key": key}, None) if intent else (None, {}, UNKNOWN_MENU_REPLY)
    if event in SILENT_EVENTS:
        return None, {}, None
    return None, {}, UNSUPPORTED_REPLY


def to_inbound(fields: Mapping[str, Any], menu: Mapping[str, str]) -> Inbound:
    """Map parsed WeChat fields to what the bot should do with them.

    Raises:
        InvalidMessage: no sender, account or message type.
    """
    sender, account, msg_type = _str(fields, "FromUserName"), _str(fields, "ToUserName"), _str(fields, "MsgType")
    if not (sender and account and msg_type):
        raise InvalidMessage("FromUserName, ToUserName and MsgType are required")
    msg_type = msg_type.lower()
    is_event = msg_type == "event"
    if is_event:
        text, metadata, reply = _event_meaning(_str(fields, "Event").lower(), fields, menu)
    else:
        text, metadata, reply = _message_meaning(msg_type, fields)
    metadata = {**metadata, "wechat": {"msg_type": msg_type, "msg_id": _str(fields, "MsgId") or None}}
    return Inbound(sender, account, dedup_key(fields), text, metadata, reply, is_event)
