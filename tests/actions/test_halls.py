"""The nearest hall: with a WeChat location, and without one."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.actions.halls import ActionNearestHall
from tests.actions.conftest import make_tracker


def _with_location(lat: float, lon: float) -> Tracker:
    tracker = make_tracker("/find_hall", "find_hall")
    tracker.latest_message["metadata"] = {"location": {"latitude": lat, "longitude": lon, "label": "滨江路"}}
    return tracker


async def test_a_shared_location_gets_the_nearest_hall(dispatcher) -> None:
    events = await ActionNearestHall().run(dispatcher, _with_location(26.0400, 119.3260), {})
    assert events == []
    text = dispatcher.messages[0]["text"]
    assert text.startswith("离您最近的办事大厅（直线约0.") and "滨江区便民服务中心" in text and "滨江路16号" in text


async def test_without_a_location_the_halls_are_listed(dispatcher) -> None:
    events = await ActionNearestHall().run(dispatcher, make_tracker("最近的办事大厅在哪", "find_hall"), {})
    assert events == []
    text = dispatcher.messages[0]["text"]
    assert "示范市政务服务中心" in text and "榕城区便民服务中心" in text
    hint = "在微信中点“+”发送您的位置，或告诉我您在哪个区（如“滨江区”、“榕城区”），我可以帮您找最近的一个。"
    assert text.endswith(hint)


async def test_a_named_area_gets_its_hall(dispatcher) -> None:
    events = await ActionNearestHall().run(dispatcher, make_tracker("我在榕城区，去哪办近", "find_hall"), {})
    assert events == []
    assert [m["text"] for m in dispatcher.messages] == [
        "您所在区域的办事大厅：\n榕城区便民服务中心\n地址：榕城路200号\n"
        "办公时间：周一至周五 8:30-12:00，14:00-17:30；周六 9:00-12:00\n咨询电话：0999-83300002"
    ]
