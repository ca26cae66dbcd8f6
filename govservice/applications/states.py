"""Application statuses, the steps between them, and the errors the back office refuses with.

Kept apart from the models so the bot and the channels can name a status or catch a refusal
without importing a model.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional

from govservice.catalog import lexicon

SUBMITTED = "已提交"
ACCEPTED = "已受理"
REVIEWING = "审核中"
CORRECTION = "需补正"
APPROVED = "已办结"
REJECTED = "不予受理"
WITHDRAWN = "已撤回"

TRANSITIONS: Dict[str, FrozenSet[str]] = {
    SUBMITTED: frozenset({ACCEPTED, REJECTED, WITHDRAWN}),
    ACCEPTED: frozenset({REVIEWING, REJECTED}),
    REVIEWING: frozenset({CORRECTION, APPROVED, REJECTED}),
    CORRECTION: frozenset({REVIEWING, REJECTED}),
    APPROVED: frozenset(),
    REJECTED: frozenset(),
    WITHDRAWN: frozenset(),
}
"""Allowed status changes: from status → the statuses it may move to."""

RATABLE_STATUSES = (APPROVED, REJECTED)
"""Statuses in which the applicant may rate the service (好差评)."""

MATERIAL_SOURCES = ("certificate", "upload", "commitment", "form")
"""How a material was provided: an electronic certificate, an upload or a 告知承诺."""

RATING_LEVELS = lexicon.words("rating_levels")
"""The five levels of the 好差评 system."""

NEGATIVE_LEVELS = lexicon.words("rating_negative")
"""Levels counted as 差评; each opens a follow-up for the department."""


class ApplicationError(ValueError):
    """A request the back office refuses; ``str(error)`` is a Chinese message for the citizen."""


class TransitionError(ApplicationError):
    """The application's status does not allow the requested step."""


class RatingError(ApplicationError):
    """The rating is not allowed (not finished yet, already rated, unknown level)."""


class ScopeError(PermissionError):
    """The actor may not act on this application (another department, another citizen)."""


class ApplicationNotFound(LookupError):
    """No application with that number."""


@dataclass(frozen=True)
class StatusEvent:
    """A status change to notify the citizen about, on the channel the application came from."""

    number: str
    item_name: str
    status: str
    at: datetime.datetime
    channel: str
    sender: str
    reason: Optional[str] = None
    next_step: str = ""

    @property
    def text(self) -> str:
        """The Chinese notification message."""
        return f"【办件通知】您的办件{self.number}（{self.item_name}）已更新为「{self.status}」。{self.next_step}"
