"""Status notifications for citizens who applied on WeChat: a template message, then the conversation.

The template message (办件编号, 事项, 状态, 时间) is WeChat's official notification and reaches a
follower outside the 48-hour customer-service window; ``connectors.wechat_delivery`` falls back
to a customer-service message when the template cannot be sent. The assistant is then told as
well (Rasa's trigger_intent), so the conversation knows the new status and can ask for a
rating; its reply goes out as a customer-service message where the window allows.
"""

from __future__ import annotations

import logging

from govservice.applications.models import Application
from govservice.db import session_scope
from govservice.notifications.outbox import OutgoingNotification, rasa_trigger_intent, register_sender
from govservice.notifications.reminders import template_fields

logger = logging.getLogger(__name__)


class NotDelivered(RuntimeError):
    """Neither the template message nor the conversation reached the citizen (retried later)."""


def send_wechat_notification(message: OutgoingNotification) -> None:
    """Deliver one notification to a WeChat user; raises when nothing reached them."""
    from connectors.wechat_delivery import send_status_notification

    if message.reminder_id is not None:  # an expiry reminder: the certificate in the template's fields
        fields = template_fields(message.reminder_id) or {}
        number, item, status, when = (fields.get(k, "") for k in ("number", "item", "status", "when"))
    else:
        with session_scope() as session:
            app = session.query(Application).filter(Application.number == message.application_number).one_or_none()
            item, when = (app.item_name, app.updated_at) if app is not None else ("", "")
        number, status = message.application_number, message.application_status
    result = send_status_notification(message.sender, number, item, status, when)
    try:
        rasa_trigger_intent(message)
    except Exception as exc:  # the template is the notification; the conversation update is a bonus
        if not result.delivered:
            raise NotDelivered(f"template: {result.reason}; conversation: {exc}") from exc
        logger.warning("notification %s: template sent, conversation not updated: %s", message.id, exc)


def install() -> None:
    """Use :func:`send_wechat_notification` for the "wechat" channel."""
    register_sender("wechat", send_wechat_notification)
