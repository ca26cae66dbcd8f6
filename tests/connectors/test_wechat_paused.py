"""A WeChat conversation paused for a human agent (issue 12, item 2, as on REST and socket.io)."""

from __future__ import annotations

import uuid
from typing import Any

from connectors.common import BUSY_REPLY, PAUSED_REPLY
from scripts.wechat_sim import reply_text, text_xml
from tests.connectors.channel_stub import QUEUED_TEXT, StubBot
from tests.connectors.test_wechat import make_app, post


async def test_a_paused_conversation_says_once_that_an_agent_comes(wechat_api: Any) -> None:
    bot = StubBot()
    app, _ = make_app(bot)  # type: ignore[arg-type]
    bot.attach(app)
    openid = f"o-paused-{uuid.uuid4().hex[:12]}"

    async def say(text: str) -> str:
        status, body = await post(app, text_xml(openid, text))
        assert status == 200
        return body

    assert reply_text(await say("转人工")) == QUEUED_TEXT
    assert reply_text(await say("还要等多久")) == PAUSED_REPLY
    assert await say("在吗") == "success"  # said once; no busy reply, no silence mistaken for one
    tracker = await bot.store.retrieve(openid)
    assert [e.text for e in tracker.events if e.type_name == "user"] == ["转人工", "还要等多久", "在吗"]


async def test_a_turn_that_says_nothing_unpaused_is_still_the_busy_reply(wechat_api: Any) -> None:
    bot = StubBot()
    app, _ = make_app(bot)  # type: ignore[arg-type]
    bot.attach(app)
    status, body = await post(app, text_xml(f"o-boom-{uuid.uuid4().hex[:12]}", "boom"))
    assert status == 200 and reply_text(body) == BUSY_REPLY
