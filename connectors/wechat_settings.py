"""Settings of the WeChat channel (docs/wechat.md): secrets from the environment only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

from connectors import wechat_protocol as proto
from connectors.wechat_delivery import channel_token
from govservice import settings


def _menu_from_env(raw: str) -> Dict[str, str]:
    """``WECHAT_MENU="HELP=help,MY_CERTIFICATES=query_certificates"`` as a dict."""
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {key.strip(): intent.strip() for key, intent in pairs if key.strip() and intent.strip()}


@dataclass(frozen=True)
class WeChatSettings:
    """Channel settings; secrets only ever from the environment."""

    token: str = field(repr=False)
    app_id: str = ""
    aes_key: str = field(default="", repr=False)
    passive_budget: float = 4.0
    max_age: float = 300.0
    max_body: int = 64 * 1024
    dedup_ttl: float = 600.0
    choices_ttl: float = 3600.0
    menu: Mapping[str, str] = field(default_factory=lambda: dict(proto.DEFAULT_MENU))

    @property
    def safe_mode(self) -> bool:
        """AES mode, on when ``WECHAT_AES_KEY`` (EncodingAESKey) is set."""
        return bool(self.aes_key)

    @classmethod
    def from_env(cls, credentials: Optional[Mapping[str, Any]] = None) -> WeChatSettings:
        """Environment variables, with non-secret overrides (``menu``, ``passive_budget``) from credentials.yml."""
        creds = credentials or {}
        configured = settings.current()
        menu = creds.get("menu") or _menu_from_env(configured.wechat_menu) or proto.DEFAULT_MENU
        return cls(
            token=channel_token(),
            app_id=configured.wechat_app_id,
            aes_key=configured.wechat_aes_key,
            passive_budget=float(creds.get("passive_budget") or configured.wechat_passive_budget),
            max_age=configured.wechat_max_age,
            menu={str(k): str(v) for k, v in dict(menu).items()},
        )
