"""Fuzz of the WeChat XML parser and the /webhooks/wechat route (issue 12, item 20).

Random XML (well-formed messages with random fields, wrong types, repeated and nested fields,
attributes, huge values, entity bombs, external entities, comments, odd encodings, mutated and
random bytes) goes to ``wechat_protocol`` directly and, with valid signatures, to the webhook in
plain and safe (AES) mode, where safe mode also gets random ciphertexts. Asserts: no 5xx, no
exception logged or left in a task, an answer within 2 s, and a well-formed answer ("success", a
reply that parses (and unseals) with a text under 2,048 bytes, or a short 4xx). The bot is
``tests.fuzzing.EchoBot``, not the Rasa agent: see tests/fuzzing.py.
"""

from __future__ import annotations

import base64
import json
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any, AsyncIterator, Dict, List, Optional, Tuple
from urllib.parse import urljoin

import httpx
import pytest
import requests
from hypothesis import event, example, given
from hypothesis import strategies as st
from sanic import Sanic
from sanic_testing.testing import ASGI_BASE_URL

from connectors import wechat_protocol as proto
from connectors.wechat import WeChatInput
from connectors.wechat_delivery import WeChatSender
from connectors.wechat_settings import WeChatSettings
from connectors.wechat_store import MemoryStore
from scripts.wechat_sim import reply_text, seal, signed_query
from tests.connectors.conftest import CONFIG, FakeWeChatAPI
from tests.fuzzing import ECHO_PREFIX, REPLY_DEADLINE_S, CrashRecorder, EchoBot, texts

TOKEN = "fuzz-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
URL = "/webhooks/wechat/webhook"
FIELDS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "MsgID", "Event", "EventKey",
          "MediaId", "PicUrl", "Format", "Recognition", "Location_X", "Location_Y", "Scale", "Label", "Encrypt"]
MSG_TYPES = ["text", "voice", "image", "location", "event", "link", "video", "file", "TEXT", "Event", ""]
EVENTS = ["subscribe", "unsubscribe", "CLICK", "VIEW", "LOCATION", "SCAN", "TEMPLATESENDJOBFINISH", "未知"]
NUMBERS = ["0", "-90", "180.5", "1e400", "nan", "-inf", "１２", "39.9", "0x10", "", " 1 "]
BOMB = ('<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>')
HOSTILE_PROLOGS = [
    "", '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-16"?>',
    '<?xml version="1.0" encoding="GBK"?>', "\ufeff", "  \n", "<?php echo 1; ?>", "<!-- 注释 -->", BOMB,
    '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>', '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd">',
    '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p">%p;]>', "<![CDATA[x]]>", "<!", "<!doctype xml>",
]
ENTITY_REFS = ["&d;", "&x;", "&amp;", "&#0;", "&#x1F600;", "&#xD800;", "&lt;&gt;", "&unknown;"]

tag_names = st.one_of(st.sampled_from(FIELDS), st.from_regex(r"[A-Za-z_][\w.-]{0,12}", fullmatch=True))


SAFE_KINDS = ["cdata", "escaped", "empty", "nested", "repeated", "attribute"]


@st.composite
def field_xml(draw: st.DrawFn, name: str, hostile: bool, depth: int = 0) -> str:
    """One element: text as CDATA, escaped or raw, an entity, nested or repeated elements, attributes.

    Unless ``hostile``, the element is well-formed: only its type and value are wrong.
    """
    value = draw(st.one_of(texts(3_000), st.sampled_from(NUMBERS + MSG_TYPES + EVENTS)))
    kind = draw(st.sampled_from(SAFE_KINDS + ["raw", "entity"] if hostile else SAFE_KINDS))
    if not hostile:
        value = _xml_chars(value)
    if kind == "cdata":
        inner = proto.cdata(value)
    elif kind == "escaped":
        inner = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    elif kind == "raw":
        inner = value
    elif kind == "entity":
        inner = draw(st.sampled_from(ENTITY_REFS)) * draw(st.integers(1, 50))
    elif kind == "empty":
        return f"<{name}/>"
    elif kind == "nested" and depth < 3:
        inner = "".join(draw(st.lists(tag_names.flatmap(lambda tag: field_xml(tag, hostile, depth + 1)), max_size=3)))
    elif kind == "repeated":
        return f"<{name}>{proto.cdata(value)}</{name}>" * draw(st.integers(2, 4))
    else:
        inner = proto.cdata(value)
        return f'<{name} a="{draw(st.sampled_from(["1", "&amp;", "<"]))}">{inner}</{name}>'
    return f"<{name}>{inner}</{name}>"


@st.composite
def message_xml(draw: st.DrawFn) -> str:
    """A WeChat-like XML document: usual fields with random values, random fields, hostile prologs.

    Half are well-formed documents WeChat could send, where only the fields' presence, types and
    values vary; the other half add raw text, entities, prologs, deep nesting and trailing junk.
    """
    hostile = draw(st.booleans())
    head = {
        "ToUserName": draw(st.sampled_from(["gh_account", "gh_account", ""])),
        "FromUserName": draw(st.one_of(st.just("o_fuzz_user"), st.text(max_size=140).map(_xml_chars))),
        "CreateTime": draw(st.sampled_from(NUMBERS)),
        "MsgType": draw(st.sampled_from(MSG_TYPES)),
        "MsgId": str(draw(st.integers(0, 10**20))),
        "Content": _xml_chars(draw(texts(3_000))),
        "Event": draw(st.sampled_from(EVENTS)),
        "EventKey": draw(st.sampled_from([*proto.DEFAULT_MENU, "", "未知菜单"])),
        "Location_X": draw(st.sampled_from(NUMBERS)),
        "Location_Y": draw(st.sampled_from(NUMBERS)),
    }
    parts = [f"<{name}>{proto.cdata(value)}</{name}>" for name, value in head.items() if draw(st.integers(0, 9))]
    parts += draw(st.lists(tag_names.flatmap(lambda tag: field_xml(tag, hostile)), max_size=4))
    body = "".join(draw(st.permutations(parts)))
    if not hostile:
        return f"<xml>{body}</xml>"
    root = draw(st.sampled_from(["xml", "XML", "root"]))
    depth = draw(st.sampled_from([0, 50, 5_000]))
    body += "<a>" * depth + "</a>" * depth
    tail = draw(st.sampled_from(["", "<xml/>", "garbage", "<", "]]>"]))
    return draw(st.sampled_from(HOSTILE_PROLOGS)) + f"<{root}>{body}</{root}>" + tail


def _xml_chars(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (a WeChat message cannot contain them)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or " " <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"
                   or ch >= "\U00010000")


def _encode(xml: str, codec: str) -> bytes:
    return xml.encode(codec, "surrogatepass") if codec != "gbk" else xml.encode("gbk", "replace")


def _mutate(body: bytes, edits: List[Tuple[int, bytes]]) -> bytes:
    for position, chunk in edits:
        at = position % (len(body) + 1)
        body = body[:at] + chunk + body[at + 1:]
    return body


xml_bodies = st.one_of(
    st.builds(_encode, message_xml(), st.sampled_from(["utf-8", "utf-8", "utf-16", "gbk"])),
    st.builds(_mutate, message_xml().map(lambda xml: xml.encode("utf-8", "surrogatepass")),
              st.lists(st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=3)), min_size=1, max_size=5)),
    st.binary(max_size=400),
    st.integers(1, 60_000).map(lambda n: (BOMB + "<xml><Content>" + "&d;" * n + "</Content></xml>").encode()),
)


# --- the parser ---------------------------------------------------------------------------


def check_inbound(inbound: proto.Inbound) -> None:
    """What the route relies on: string fields, JSON-able metadata, finite coordinates in range."""
    assert isinstance(inbound.sender, str) and inbound.sender and isinstance(inbound.account, str)
    assert isinstance(inbound.dedup_key, str) and inbound.dedup_key
    assert inbound.text is None or isinstance(inbound.text, str)
    assert inbound.reply is None or (isinstance(inbound.reply, str) and inbound.reply)
    json.dumps(inbound.metadata, allow_nan=False)
    location = inbound.metadata.get("location")
    if location:
        assert -90 <= location["latitude"] <= 90 and -180 <= location["longitude"] <= 180, location
        assert math.isfinite(location["latitude"]) and math.isfinite(location["longitude"])


LOCATION = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><MsgType>location</MsgType>{}</xml>"


@pytest.mark.fuzz
@example(body=LOCATION.format("<Location_X>0</Location_X><Location_Y>1e400</Location_Y>").encode())  # infinity
@example(body=LOCATION.format("<Location_X>nan</Location_X><Location_Y>0</Location_Y>").encode())
@example(body=LOCATION.format("<Location_X>0</Location_X><Location_Y>180.5</Location_Y>").encode())
@given(body=xml_bodies)
def test_wechat_parser_accepts_or_refuses_cleanly(body: bytes) -> None:
    # CPU time, not wall time: on a shared machine a pure function can be descheduled for seconds
    # (a full run saw 2.4 s for a parse that takes 0.1 s); the webhook test checks wall time.
    started = time.process_time()
    try:
        inbound: Optional[proto.Inbound] = proto.to_inbound(proto.parse_xml(body), proto.DEFAULT_MENU)
    except proto.InvalidMessage:
        inbound = None
    assert time.process_time() - started < REPLY_DEADLINE_S, f"{len(body)} bytes"
    event("refused" if inbound is None else f"accepted: {inbound.text or inbound.reply or ''}"[:24])
    if inbound is not None:
        check_inbound(inbound)


@pytest.mark.fuzz
@given(ciphertext=st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode())))
def test_wechat_decrypt_refuses_random_ciphertext(ciphertext: str) -> None:
    try:
        plain = proto.decrypt(AES_KEY, CONFIG.app_id, ciphertext)
    except proto.InvalidMessage:
        return
    assert isinstance(plain, str)


@pytest.mark.fuzz
@example(to_user="o", content="\x1b")  # was a reply WeChat cannot parse
@example(to_user="\ud800", content="答复\ud800")  # was a UnicodeEncodeError
@given(to_user=texts(20), content=texts(3_000))
def test_wechat_replies_are_valid_xml_for_any_text(to_user: str, content: str) -> None:
    """Whatever a bot answers (control characters, lone surrogates, "]]>", huge text), each part is a reply
    WeChat can parse, under 2,048 bytes, holding the text (less what XML cannot hold)."""
    parts = proto.split_text(content)
    assert "".join("".join(parts).split()) == "".join(_xml_chars(content).split()), parts
    for part in parts:
        assert 0 < len(part.encode("utf-8")) <= proto.MAX_TEXT_BYTES
        fields = proto.parse_xml(proto.text_reply_xml(to_user, "gh_account", part, 1))
        assert fields["MsgType"] == "text" and fields["Content"] == part.replace("\r\n", "\n").replace("\r", "\n")


# --- the webhook --------------------------------------------------------------------------


@dataclass
class Webhooks:
    """The WeChat channel in plain and in safe mode, each in a Sanic app driven in-process."""

    clients: Dict[str, Any]
    bot: EchoBot
    crashes: CrashRecorder
    sent: int = 0

    async def post(self, mode: str, body: bytes, query: Dict[str, str]) -> Tuple[int, str, float]:
        started = time.monotonic()
        # As in test_fuzz_channels.py: past sanic-testing's per-request app start-up, to its transport.
        resp = await httpx.AsyncClient.request(self.clients[mode], "POST", ASGI_BASE_URL + URL, params=query,
                                               content=body)
        return resp.status_code, resp.text, time.monotonic() - started


@pytest.fixture()
async def webhooks(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Webhooks]:
    api = FakeWeChatAPI()  # answers split across messages go by customer service: never to the network
    monkeypatch.setattr(requests.Session, "request", lambda session, method, url, **kw: api(session, method, url, **kw))
    bot, clients = EchoBot(), {}
    for mode, aes_key in (("plain", ""), ("safe", AES_KEY)):
        # A passive budget of 1 s: the echo answers at once, so a reply later than that is a stall.
        settings = WeChatSettings(token=TOKEN, app_id=CONFIG.app_id, aes_key=aes_key, passive_budget=1.0)
        channel = WeChatInput(settings, WeChatSender(CONFIG, MemoryStore()))
        app = Sanic(f"fuzz_wechat_{mode}_{uuid.uuid4().hex[:8]}")
        app.blueprint(channel.blueprint(bot), url_prefix=urljoin("/webhooks/", channel.url_prefix()))
        clients[mode] = app.asgi_client
        await clients[mode].get("/webhooks/wechat/")  # the app's start-up, once
    crashes = CrashRecorder()
    crashes.install()
    try:
        yield Webhooks(clients, bot, crashes)
    finally:
        crashes.uninstall()


def _text_xml(content: str) -> str:
    """A text message from o_fuzz with a fresh MsgId (a repeated one is, rightly, answered once)."""
    return (f"<xml><ToUserName>{proto.cdata('gh_account')}</ToUserName><FromUserName>o_fuzz</FromUserName>"
            f"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>{proto.cdata(content)}</Content>"
            f"<MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>")


def _envelope(ciphertext: str, query: Dict[str, str]) -> Tuple[bytes, Dict[str, str]]:
    """Safe mode's envelope around any ciphertext, with a valid msg_signature over it."""
    body = f"<xml><ToUserName>gh_account</ToUserName><Encrypt>{proto.cdata(ciphertext)}</Encrypt></xml>"
    signature = proto.sign(TOKEN, query["timestamp"], query["nonce"], ciphertext)
    return body.encode("utf-8", "surrogatepass"), {**query, "encrypt_type": "aes", "msg_signature": signature}


contents = texts(3_000).map(_xml_chars).filter(lambda text: text.strip())
sealable = message_xml().map(lambda xml: xml.encode("utf-8", "replace").decode())  # no lone surrogates
ciphertexts = st.one_of(st.text(max_size=300), st.binary(max_size=600).map(lambda b: base64.b64encode(b).decode()))
requests_ = st.one_of(
    st.tuples(st.just("plain"), xml_bodies),
    st.tuples(st.just("plain message"), sealable.map(str.encode)),
    st.tuples(st.just("plain text"), contents),
    st.tuples(st.just("bad signature"), xml_bodies, st.dictionaries(st.sampled_from(
        ["signature", "timestamp", "nonce", "encrypt_type", "msg_signature", "openid"]), st.text(max_size=50))),
    st.tuples(st.just("safe ciphertext"), ciphertexts),
    st.tuples(st.just("safe sealed"), sealable),
    st.tuples(st.just("safe text"), contents),
    st.tuples(st.just("safe other app"), sealable),
    st.tuples(st.just("safe plain body"), xml_bodies),
)


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.fuzz
@example(request=("bad signature", b"", {"signature": "\x80"}))  # compare_digest raised TypeError
@given(request=requests_)
async def test_wechat_webhook_survives_random_xml(webhooks: Webhooks, request: Tuple[Any, ...]) -> None:
    kind, payload = request[0], request[1]
    query, mode = signed_query(TOKEN), "safe" if kind.startswith("safe") else "plain"
    if kind in ("plain", "plain message"):
        body = payload
    elif kind == "plain text":
        body = _text_xml(payload).encode()
    elif kind == "bad signature":
        body, query = payload, request[2]
    elif kind == "safe ciphertext":
        body, query = _envelope(payload, query)
    elif kind == "safe other app":
        body, query = _envelope(proto.encrypt(AES_KEY, "wx_other_app", payload), query)
    elif kind == "safe plain body":
        body, query = payload, {**query, "encrypt_type": "aes", "msg_signature": "0" * 40}
    else:
        plaintext = _text_xml(payload) if kind == "safe text" else payload
        sealed, query = seal(plaintext, query, TOKEN, AES_KEY, CONFIG.app_id)
        body = sealed.encode("utf-8", "surrogatepass")
    seen = len(webhooks.bot.messages)
    status, text, elapsed = await webhooks.post(mode, body, query)
    event(f"{kind}: {status}")
    assert status in (200, 400, 403, 413), text
    assert elapsed < REPLY_DEADLINE_S, f"{elapsed:.2f} s for {kind}"
    assert webhooks.crashes.take() == []
    if status != 200:
        assert len(text) < 200 and "Traceback" not in text and len(webhooks.bot.messages) == seen
        return
    if text != "success":
        assert ("<Encrypt>" in text) == (mode == "safe"), text
        answer = reply_text(text, TOKEN, AES_KEY, CONFIG.app_id)
        assert answer and len(answer.encode()) <= proto.MAX_TEXT_BYTES
    if kind.endswith("text"):  # the bot heard the message and its echo is the passive reply
        heard = webhooks.bot.messages[-1].text
        assert len(webhooks.bot.messages) == seen + 1 and _squash(heard) in _squash(payload)
        assert text != "success" and _squash(ECHO_PREFIX + heard).startswith(_squash(answer)[: len(_squash(heard))])
