"""“最近的办事大厅”: the nearest hall to a location shared in WeChat, the hall of a named area, or the list."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from govservice.catalog.halls import area_names, for_area, halls, nearest


def shared_location(tracker: Tracker) -> Optional[Tuple[float, float]]:
    """(latitude, longitude) from the channel's metadata (a WeChat location message), if any."""
    metadata = tracker.latest_message.get("metadata") or {}
    location = metadata.get("location") if isinstance(metadata, dict) else None
    try:
        return float(location["latitude"]), float(location["longitude"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return None


class ActionNearestHall(Action):
    """Name the nearest hall with its distance, or the hall of the area named, or list the halls."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_nearest_hall"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Answer from knowledge_base/halls.yml."""
        location = shared_location(tracker)
        found = nearest(*location) if location else None
        if found is not None:
            hall, km = found
            dispatcher.utter_message(text=f"离您最近的办事大厅（直线约{km:.1f}公里）：\n{hall.describe()}")
            return []
        local = for_area(str(tracker.latest_message.get("text") or ""))
        if local is not None:
            dispatcher.utter_message(text=f"您所在区域的办事大厅：\n{local.describe()}")
            return []
        listing = "\n\n".join(h.describe() for h in halls())
        areas = "、".join(f"“{name}”" for name in area_names())
        hint = f"，或告诉我您在哪个区（如{areas}）" if areas else ""
        dispatcher.utter_message(
            text=f"示范市的政务服务大厅：\n\n{listing}\n\n在微信中点“+”发送您的位置{hint}，我可以帮您找最近的一个。"
        )
        return []
