"""“最近的办事大厅”: the nearest hall to a location shared in WeChat, or the list of halls."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from govservice.halls import halls, nearest


def shared_location(tracker: Tracker) -> Optional[Tuple[float, float]]:
    """(latitude, longitude) from the channel's metadata (a WeChat location message), if any."""
    metadata = tracker.latest_message.get("metadata") or {}
    location = metadata.get("location") if isinstance(metadata, dict) else None
    try:
        return float(location["latitude"]), float(location["longitude"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return None


class ActionNearestHall(Action):
    """Name the nearest hall with its distance, or list the halls and ask for a location."""

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
        listing = "\n\n".join(h.describe() for h in halls())
        dispatcher.utter_message(
            text=f"示范市的政务服务大厅：\n\n{listing}\n\n在微信中点“+”发送您的位置，我可以帮您找最近的一个。"
        )
        return []
