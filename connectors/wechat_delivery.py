"""Delivery to WeChat beyond the passive reply: customer-service and template messages.

wechatpy 1.8 is synchronous (requests). Everything here blocks; the channel calls it through
:func:`run_api` (a dedicated thread pool), and :func:`send_status_notification` is meant for a
worker thread such as the notifications outbox. Nothing here raises to its caller: results say
what happened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache, partial
from typing import Any, Callable, List, Optional, Sequence, Tuple, TypeVar

from wechatpy import WeChatClient

from connectors.wechat_store import Store, get_store, session_storage
from govservice import settings
from govservice.clock import office_text
from govservice.settings.secrets import WECHAT_TOKEN, stored_secret
from overrides.wechat import ApiBaseClient

logger = logging.getLogger(__name__)

T = TypeVar("T")
MESSAGE_WINDOW_S = 48 * 3600  # customer-service messages allowed after a user message
EVENT_WINDOW_S = 60  # ... and after a menu click or follow
MAX_SERVICE_MESSAGES = 5  # WeChat allows five customer-service messages per window
TEMPLATE_FIELD_CHARS = 20  # WeChat shows at most 20 characters per template field
TOO_LONG_NOTE = "内容较长，其余部分未能发送。请换个更具体的问题再问我，或到示范市政务服务网查看。"

# A slow Tencent API must not starve Rasa's default executor (or the dedup store's calls).
API_EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wechat-api")


async def run_api(func: Callable[..., T], *args: Any) -> T:
    """Run a blocking wechatpy call in the WeChat API thread pool, off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(API_EXECUTOR, partial(func, *args))


def channel_token() -> str:
    """``WECHAT_TOKEN``, else a development token kept in ``var/wechat_token`` (mode 0600, git-ignored).

    A server without a configured token still starts, and the local simulator can sign with the
    same token; a real official account configured with another token just gets 403s.
    """
    return stored_secret(WECHAT_TOKEN)


# --- WeChat API ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryConfig:
    """Credentials and template settings, from environment variables (never from git)."""

    app_id: str = ""
    secret: str = field(default="", repr=False)
    template_id: str = ""
    template_keys: Tuple[str, ...] = ("keyword1", "keyword2", "keyword3", "keyword4")
    template_url: Optional[str] = None
    api_base: str = "https://api.weixin.qq.com/cgi-bin/"

    @classmethod
    def from_env(cls) -> DeliveryConfig:
        """Read ``WECHAT_APPID``, ``WECHAT_SECRET``, ``WECHAT_TEMPLATE_*`` and ``WECHAT_API_BASE``."""
        configured = settings.current()
        keys = tuple(k.strip() for k in configured.wechat_template_keys.split(",") if k.strip())
        return cls(
            app_id=configured.wechat_app_id,
            secret=configured.wechat_secret,
            template_id=configured.wechat_template_id,
            template_keys=keys if len(keys) == 4 else cls.template_keys,
            template_url=configured.wechat_template_url,
            api_base=configured.wechat_api_base,
        )


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one outgoing delivery.

    Attributes:
        delivered: True when WeChat accepted every message.
        via: "customer_service", "template", or None when nothing was delivered.
        sent: how many messages WeChat accepted.
        reason: why something was not delivered (or why the template fell back).
    """

    delivered: bool
    via: Optional[str] = None
    sent: int = 0
    reason: Optional[str] = None


def cut_field(value: object, limit: int = TEMPLATE_FIELD_CHARS) -> str:
    """A template field value of at most ``limit`` characters (WeChat would cut it silently)."""
    text = office_text(value) if isinstance(value, datetime) else str(value).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_text(exc: Exception) -> str:
    return f"errcode {getattr(exc, 'errcode', None)}: {getattr(exc, 'errmsg', None) or exc.__class__.__name__}"


def _cap(texts: Sequence[str]) -> List[str]:
    if len(texts) <= MAX_SERVICE_MESSAGES:
        return list(texts)
    logger.warning("WeChat reply of %d parts cut to %d customer-service messages", len(texts), MAX_SERVICE_MESSAGES)
    return [*texts[: MAX_SERVICE_MESSAGES - 1], TOO_LONG_NOTE]


class WeChatSender:
    """Customer-service and template messages, respecting WeChat's delivery windows."""

    def __init__(self, config: DeliveryConfig, store: Store, client: Optional[WeChatClient] = None) -> None:
        self.config = config
        self.store = store
        self.client = client or ApiBaseClient(config.app_id, config.secret, session_storage(store), config.api_base)

    @property
    def configured(self) -> bool:
        """Whether the AppID and AppSecret needed for the API are set."""
        return bool(self.config.app_id and self.config.secret)

    def open_window(self, openid: str, seconds: float) -> None:
        """Remember that the citizen interacted: customer-service messages are allowed for ``seconds``."""
        until = time.time() + seconds
        current = self.store.get(f"window:{openid}")
        if current is None or float(current) < until:
            self.store.put(f"window:{openid}", repr(until), seconds)

    def within_window(self, openid: str) -> bool:
        """Whether a customer-service message to ``openid`` is allowed now."""
        until = self.store.get(f"window:{openid}")
        return until is not None and float(until) > time.time()

    def send_texts(self, openid: str, texts: Sequence[str]) -> DeliveryResult:
        """Send texts as customer-service messages, in order, if the window is open."""
        if not self.configured:
            logger.error("WeChat reply not delivered: WECHAT_APPID/WECHAT_SECRET not set")
            return DeliveryResult(False, reason="not configured")
        if not self.within_window(openid):
            logger.warning("WeChat reply to %s… not sent: outside the customer-service window", openid[:6])
            return DeliveryResult(False, reason="outside window")
        sent = 0
        for text in _cap(texts):
            try:
                self.client.message.send_text(openid, text)
            except Exception as exc:  # wechatpy errors, and requests' connection errors it does not wrap
                logger.warning("Customer-service message to %s… failed: %s", openid[:6], _error_text(exc))
                return DeliveryResult(False, "customer_service" if sent else None, sent, _error_text(exc))
            sent += 1
        return DeliveryResult(True, "customer_service", sent)

    def send_status(self, openid: str, number: str, item: str, status: str, when: object) -> DeliveryResult:
        """An application status notification: a template message, else a customer-service message."""
        values = [cut_field(v) for v in (number, item, status, when)]
        reason = "WECHAT_TEMPLATE_ID not set"
        if self.configured and self.config.template_id:
            try:
                data = {key: {"value": value} for key, value in zip(self.config.template_keys, values, strict=True)}
                self.client.message.send_template(openid, self.config.template_id, data, url=self.config.template_url)
                return DeliveryResult(True, "template", 1)
            except Exception as exc:  # e.g. 43004 not following, 43101 refused: fall back below
                reason = "template " + _error_text(exc)
        number_, item_, status_, when_ = values
        text = f"【办件进度】您的办件{number_}（{item_}）状态更新为：{status_}，时间：{when_}。"
        fallback = self.send_texts(openid, [text])
        if fallback.delivered:
            return DeliveryResult(True, "customer_service", 1, reason)
        logger.warning("Status notification for %s… undelivered: %s; %s", openid[:6], reason, fallback.reason)
        return DeliveryResult(False, None, 0, f"{reason}; customer service: {fallback.reason}")


@lru_cache(maxsize=1)
def get_sender() -> WeChatSender:
    """The process-wide sender, configured from the environment."""
    return WeChatSender(DeliveryConfig.from_env(), get_store())


def send_status_notification(openid: str, number: str, item: str, status: str, time: object) -> DeliveryResult:
    """Notify a WeChat user that an application's status changed (blocking; call from a worker).

    Args:
        openid: the citizen's OpenID on the official account.
        number: 办件编号.
        item: 事项.
        status: 状态.
        time: 时间, a string or a datetime.

    Returns:
        The result; undelivered notifications are reported, never raised.
    """
    return get_sender().send_status(openid, number, item, status, time)
