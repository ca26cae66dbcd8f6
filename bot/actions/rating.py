"""好差评: rate a finished application, one rating per application; a 差评 opens a follow-up."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.application_answers import interrupting_question
from bot.actions.login import login_first
from bot.actions.my_applications import entity
from bot.actions.session import current_subject
from govservice.applications import ratings
from govservice.applications import service as applications
from govservice.applications.states import RATING_LEVELS, RatingError, ScopeError
from govservice.catalog import lexicon

RATING_SLOTS = ("rating_number", "rating_level", "rating_comment")


def parse_level(text: str) -> Optional[str]:
    """The rating level named in ``text``; the longest match wins (不满意 before 满意)."""
    found = [level for level in RATING_LEVELS if level in (text or "")]
    return max(found, key=len) if found else None


class ActionStartRating(Action):
    """Handle “我要评价”: rate the newest finished application not rated yet."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_start_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """Pick the application, then open the rating form."""
        subject = current_subject(tracker)
        if subject is None:
            dispatcher.utter_message(text="评价办件需要先登录。")
            return login_first("rate_service")
        number = entity(tracker, "application_no")
        target = applications.rating_target(subject.person_id, subject.company_code, number)
        if target is None:
            dispatcher.utter_message(text="您暂时没有待评价的办件。办件办结后即可评价。")
            return []
        target_number, item_name = target
        dispatcher.utter_message(text=f"请评价办件{target_number}（{item_name}）。")
        return [SlotSet("rating_number", target_number), FollowupAction("rating_form")]


class ValidateRatingForm(FormValidationAction):
    """The five levels, then an optional comment."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "validate_rating_form"

    async def validate_rating_level(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """One of 非常满意 / 满意 / 基本满意 / 不满意 / 非常不满意."""
        level = parse_level(str(value))
        if level is None and interrupting_question(dispatcher, tracker, {}, resume="好的，请继续为刚才的办件评价："):
            return {"rating_level": None}
        if level is None:
            dispatcher.utter_message(text="请选择：" + "、".join(RATING_LEVELS) + "。")
        return {"rating_level": level}

    async def validate_rating_comment(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Free text up to 500 characters; "没有" means no comment."""
        text = str(value or "").strip()
        if not text or text in lexicon.words("no_comment"):
            return {"rating_comment": ""}
        return {"rating_comment": text[: ratings.MAX_COMMENT_CHARS]}


class ActionRatingDone(Action):
    """Record the rating (once per application) and thank the citizen."""

    def name(self) -> str:
        """Name registered with Rasa."""
        return "action_rating_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        """A 差评 also tells the citizen when the department will follow up."""
        events = [SlotSet(name, None) for name in RATING_SLOTS]
        number, level = tracker.get_slot("rating_number"), tracker.get_slot("rating_level")
        subject = current_subject(tracker)
        if not (number and level):
            dispatcher.utter_message(response="utter_rating_cancelled")
            return events
        if subject is None:
            dispatcher.utter_message(text="登录已超时，评价未保存。请说“我要评价”，登录后再评价。")
            return events
        try:
            dispatcher.utter_message(
                text=applications.rate(number, subject.person_id, level, tracker.get_slot("rating_comment"))
            )
        except (RatingError, ScopeError) as error:
            dispatcher.utter_message(text=str(error))
        return events
