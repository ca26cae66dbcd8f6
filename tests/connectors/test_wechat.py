"""The WeChat webhook in a Sanic app, with a fake bot standing in for Rasa and WeChat's API faked at HTTP."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urljoin

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from connectors import wechat_protocol as proto
from connectors.common import BUSY_REPLY
from connectors.uploads import upload_message
from connectors.wechat import WeChatInput
from connectors.wechat_delivery import WeChatSender
from connectors.wechat_settings import WeChatSettings
from connectors.wechat_store import MemoryStore
from govservice.applications.models import Attachment
from govservice.clock import utc_now
from govservice.db import session_scope
from govservice.identity.models import Binding
from scripts.wechat_sim import event_xml, reply_text, seal, signed_query, text_xml
from tests.actions.test_applications import PNG, ZHANG
from tests.connectors.channel_stub import HitCounter
from tests.connectors.conftest import CONFIG, FakeWeChatAPI

TOKEN = "test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
URL = "/webhooks/wechat/webhook"
CS = "message/custom/send"


class FakeBot:
    """Stands in for Rasa's on_new_message: answers through the output channel, optionally slowly."""

    def __init__(self, delay: float = 0.0, reply: Any = None, fail: bool = False) -> None:
        self.delay, self.reply, self.fail = delay, reply, fail
        self.messages: List[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the bot broke")
        answer = self.reply or {"text": f"答复：{message.text}"}
        await message.output_channel.send_response(message.sender_id, dict(answer))


def make_app(bot: FakeBot, budget: float = 2.0, aes_key: str = "") -> Tuple[Sanic, WeChatInput]:
    settings = WeChatSettings(token=TOKEN, app_id=CONFIG.app_id, aes_key=aes_key, passive_budget=budget)
    channel = WeChatInput(settings, WeChatSender(CONFIG, MemoryStore()))
    app = Sanic(f"wechat_test_{uuid.uuid4().hex[:8]}")
    # as rasa.core.channels.channel.register does with route "/webhooks/"
    app.blueprint(channel.blueprint(bot), url_prefix=urljoin("/webhooks/", channel.url_prefix()))
    return app, channel


async def post(app: Sanic, xml: str, query: Optional[Dict[str, str]] = None) -> Tuple[int, str]:
    _, resp = await app.asgi_client.post(URL, params=query or signed_query(TOKEN), content=xml.encode())
    return resp.status, resp.text


async def eventually(predicate: Any, timeout: float = 3.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return predicate()
        await asyncio.sleep(0.02)
    return predicate()


async def test_url_verification_echoes_only_with_a_valid_signature() -> None:
    app, _ = make_app(FakeBot())
    _, ok = await app.asgi_client.get(URL, params={**signed_query(TOKEN), "echostr": "hello123"})
    assert (ok.status, ok.text) == (200, "hello123")
    bad = {**signed_query("wrong-token"), "echostr": "hello123"}
    _, refused = await app.asgi_client.get(URL, params=bad)
    assert refused.status == 403 and "hello123" not in refused.text


@pytest.mark.parametrize(
    "query",
    [
        {**signed_query("wrong-token")},
        {"timestamp": "1", "nonce": "2"},
        signed_query(TOKEN, timestamp=str(int(time.time()) - 3600)),
    ],
    ids=["wrong-token", "no-signature", "replayed-old-signature"],
)
async def test_bad_signature_is_403_and_nothing_reaches_the_bot(query: Dict[str, str]) -> None:
    bot = FakeBot()
    app, _ = make_app(bot)
    status, _ = await post(app, text_xml("o_user", "你好"), query)
    assert status == 403 and bot.messages == []


async def test_text_message_is_answered_passively(wechat_api: FakeWeChatAPI) -> None:
    bot = FakeBot()
    app, _ = make_app(bot)
    status, body = await post(app, text_xml("o_user", "身份证丢了怎么补办"))
    assert status == 200 and reply_text(body) == "答复：身份证丢了怎么补办"
    fields = proto.parse_xml(body)
    assert (fields["ToUserName"], fields["FromUserName"]) == ("o_user", "gh_simulated_account")
    assert bot.messages[0].input_channel == "wechat" and bot.messages[0].sender_id == "o_user"
    assert wechat_api.calls == []


async def test_same_msgid_three_times_is_one_turn_and_one_answer(wechat_api: FakeWeChatAPI) -> None:
    bot = FakeBot(delay=0.3)
    app, _ = make_app(bot, budget=2.0)
    xml = text_xml("o_user", "你好", msg_id="1001")
    results = await asyncio.gather(*(post(app, xml) for _ in range(3)))
    sequential = await post(app, xml)
    assert len(bot.messages) == 1
    answers = [reply_text(body) for _, body in [*results, sequential]]
    assert sorted(answers) == ["", "", "", "答复：你好"]
    await asyncio.sleep(0.2)
    assert wechat_api.sent(CS) == []


async def test_slow_turn_gets_success_then_exactly_one_customer_service_message(wechat_api: FakeWeChatAPI) -> None:
    bot = FakeBot(delay=1.0)
    app, _ = make_app(bot, budget=0.3)
    started = time.monotonic()
    status, body = await post(app, text_xml("o_slow", "居住证要什么材料", msg_id="2001"))
    assert (status, body) == (200, "success") and time.monotonic() - started < 0.9
    assert wechat_api.sent(CS) == []  # not before the turn has finished
    sent = await eventually(lambda: wechat_api.sent(CS))
    await asyncio.sleep(0.5)  # nothing else may follow
    assert [(b["touser"], b["text"]["content"]) for b in wechat_api.sent(CS)] == [("o_slow", "答复：居住证要什么材料")]
    assert len(sent) == 1 and len(bot.messages) == 1
    assert [c["endpoint"] for c in wechat_api.calls] == ["token", CS]


async def test_retry_during_a_slow_turn_waits_for_the_same_answer(wechat_api: FakeWeChatAPI) -> None:
    bot = FakeBot(delay=0.9)
    app, _ = make_app(bot, budget=0.6)
    xml = text_xml("o_retry", "要多少钱", msg_id="3001")
    assert (await post(app, xml))[1] == "success"  # the first request gave up; WeChat retries
    _, retried = await post(app, xml)
    assert reply_text(retried) == "答复：要多少钱"
    await asyncio.sleep(0.3)
    assert len(bot.messages) == 1 and wechat_api.sent(CS) == []


async def test_reply_over_2048_bytes_is_split_passive_then_customer_service(wechat_api: FakeWeChatAPI) -> None:
    long_answer = "\n".join(f"{i}. 申请人须提交居民身份证原件及复印件，以及近期免冠证件照一张。" for i in range(60))
    bot = FakeBot(reply={"text": long_answer})
    app, _ = make_app(bot)
    _, body = await post(app, text_xml("o_long", "材料清单"))
    first = reply_text(body)
    assert 0 < len(first.encode()) <= 2048
    rest = await eventually(lambda: wechat_api.sent(CS))
    parts = [first, *(b["text"]["content"] for b in rest)]
    assert all(len(p.encode()) <= 2048 for p in parts) and "\n".join(parts) == long_answer


async def test_buttons_are_numbered_and_a_number_picks_the_payload(wechat_api: FakeWeChatAPI) -> None:
    buttons = [{"title": "首次申领", "payload": "/first_time"}, {"title": "补领", "payload": "/lost"}]
    bot = FakeBot(reply={"text": "请问是哪种情况？", "buttons": buttons})
    app, _ = make_app(bot)
    _, body = await post(app, text_xml("o_btn", "办身份证"))
    assert "1. 首次申领\n2. 补领" in reply_text(body)
    await post(app, text_xml("o_btn", "2"))
    assert bot.messages[-1].text == "/lost"
    bot.reply = {"text": "好的"}
    await post(app, text_xml("o_btn", "1"))  # the last answer had no buttons: "1" is now just "1"
    await post(app, text_xml("o_btn", "1"))
    assert bot.messages[-1].text == "1"


def _image_xml(openid: str, msg_id: int, pic_url: str) -> str:
    return (f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName><CreateTime>1</CreateTime>"
            f"<MsgType>image</MsgType><PicUrl>{pic_url}</PicUrl><MediaId>MEDIA</MediaId><MsgId>{msg_id}</MsgId></xml>")


async def test_a_picture_is_fetched_by_media_id_through_the_api_never_by_its_url(
    wechat_api: FakeWeChatAPI, hit_counter: HitCounter, catalog: Any
) -> None:
    # Issue 12 item 5: the channel fetches the picture itself; no URL reaches the action server.
    bot = FakeBot()
    app, _ = make_app(bot, budget=2.0)
    openid, first = f"o_img_{uuid.uuid4().hex[:8]}", int(time.time() * 1000)
    _, refused = await post(app, _image_xml(openid, first, hit_counter.url))
    assert "登录" in reply_text(refused) and bot.messages == []  # not logged in: nothing fetched, no turn
    assert not [c for c in wechat_api.calls if c["endpoint"] == "media/get"]

    now = utc_now()
    with session_scope() as session:
        session.merge(Binding(channel="wechat", sender=openid, person_id=ZHANG, created_at=now, last_seen=now))
    picture = PNG + uuid.uuid4().bytes
    wechat_api.answer("media/get", picture)
    await post(app, _image_xml(openid, first + 1, hit_counter.url))
    message = bot.messages[-1]
    attachment_id = message.text.split('"')[-2]
    assert message.text == upload_message(attachment_id)
    assert message.metadata == {"wechat": {"msg_type": "image", "msg_id": str(first + 1)}, "source": f"wechat:{openid}"}
    assert [c["params"]["media_id"] for c in wechat_api.calls if c["endpoint"] == "media/get"] == ["MEDIA"]
    with session_scope() as session:
        stored = session.get(Attachment, attachment_id)
        assert stored is not None and stored.uploaded_by == ZHANG
    assert hit_counter.hits == 0


async def test_location_and_menu_reach_the_bot_with_metadata() -> None:
    bot = FakeBot()
    app, _ = make_app(bot, budget=2.0)
    await post(app, event_xml("o_img", "CLICK", "HELP"))
    assert (bot.messages[-1].text, bot.messages[-1].metadata["menu_key"]) == ("/help", "HELP")
    assert bot.messages[-1].metadata["source"] == "wechat:o_img"


async def test_subscribe_is_welcomed_without_a_bot_turn_and_unsubscribe_is_silent() -> None:
    bot = FakeBot()
    app, _ = make_app(bot)
    _, welcome = await post(app, event_xml("o_new", "subscribe"))
    assert reply_text(welcome) == proto.WELCOME_REPLY
    _, bye = await post(app, event_xml("o_new", "unsubscribe"))
    assert bye == "success" and bot.messages == []


async def test_a_failing_bot_gets_the_busy_reply_not_a_500() -> None:
    app, _ = make_app(FakeBot(fail=True))
    status, body = await post(app, text_xml("o_err", "你好"))
    assert status == 200 and reply_text(body) == BUSY_REPLY


@pytest.mark.parametrize(
    "xml",
    [
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><MsgType>text</MsgType>"
        "<Content>&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;</Content><MsgId>1</MsgId></xml>",
        "<xml><ToUserName>gh</ToUserName><Content>unclosed",
        "<xml><MsgType>text</MsgType></xml>",
    ],
    ids=["entity-bomb", "malformed", "no-sender"],
)
async def test_hostile_xml_is_400_quickly_and_nothing_reaches_the_bot(xml: str) -> None:
    bot = FakeBot()
    app, _ = make_app(bot)
    started = time.monotonic()
    status, _ = await post(app, xml)
    assert status == 400 and time.monotonic() - started < 1.0 and bot.messages == []


def test_ten_megabyte_body_is_413_quickly_over_real_http() -> None:
    bot = FakeBot()
    app, _ = make_app(bot)
    body = b"<xml><Content>" + b"a" * (10 * 1024 * 1024) + b"</Content></xml>"
    started = time.monotonic()
    _, resp = app.test_client.post(URL, params=signed_query(TOKEN), content=body)
    assert resp.status == 413 and time.monotonic() - started < 5.0 and bot.messages == []


def test_ten_megabyte_chunked_body_without_length_is_413() -> None:
    bot = FakeBot()
    app, _ = make_app(bot)

    async def chunks() -> Any:  # no content-length: the limit must hold while streaming
        for _ in range(160):
            yield b"<a>" + b"x" * 65536 + b"</a>"

    _, resp = app.test_client.post(URL, params=signed_query(TOKEN), content=chunks())
    assert resp.status == 413 and bot.messages == []


async def test_safe_mode_round_trip_and_plain_bodies_refused() -> None:
    bot = FakeBot()
    app, _ = make_app(bot, aes_key=AES_KEY)
    body, query = seal(text_xml("o_safe", "你好"), signed_query(TOKEN), TOKEN, AES_KEY, CONFIG.app_id)
    status, sealed = await post(app, body, query)
    assert status == 200 and "<Encrypt>" in sealed
    assert reply_text(sealed, TOKEN, AES_KEY, CONFIG.app_id) == "答复：你好"
    tampered = {**query, "msg_signature": "0" * 40}
    assert (await post(app, body, tampered))[0] == 403
    assert (await post(app, text_xml("o_safe", "明文"), signed_query(TOKEN)))[0] == 403
    assert [m.text for m in bot.messages] == ["你好"]


async def test_messages_rasa_sends_on_its_own_go_by_customer_service(wechat_api: FakeWeChatAPI) -> None:
    _, channel = make_app(FakeBot())
    output = channel.get_output_channel()
    await output.send_response("o_push", {"text": "您的驾驶证将于45天后到期"})
    assert wechat_api.sent(CS) == []  # the citizen never wrote: no customer-service window
    channel.sender.open_window("o_push", 60)
    await output.send_response("o_push", {"text": "您的驾驶证将于45天后到期"})
    assert [b["text"]["content"] for b in wechat_api.sent(CS)] == ["您的驾驶证将于45天后到期"]


async def test_overlong_sender_id_is_400() -> None:
    bot = FakeBot()
    app, _ = make_app(bot)
    status, _ = await post(app, text_xml("o" * 200, "你好"))
    assert status == 400 and bot.messages == []
