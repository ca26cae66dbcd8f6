"""The one reader of the environment: every setting, read once, with defaults and validation.

The back office, the bot, the channels, the staff console, the portal and the door all take their
settings from here.

:func:`current` reads the environment on first use and keeps the result (a frozen
:class:`Settings`); a value that cannot be read raises :class:`SettingsError` naming the variable.
Tests that change the environment call :func:`reload`. Scripts and tests may read the environment
themselves; nothing else does. The installation's secrets are :mod:`govservice.settings.secrets`,
the one HTTP client of Rasa's API is :mod:`govservice.settings.rasa`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping, Optional, TypeVar

from govservice.clock import OFFICE_TZ

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RASA_URL = "http://localhost:5005"
SECRET_VARIABLES = (
    "GOV_SECRET_KEY",
    "STAFF_SECRET",
    "WECHAT_TOKEN",
    "RASA_TOKEN",
    "ACTION_SERVER_TOKEN",
    "DEMO_OFFICER_SECRET",
)
"""The variables that may carry an installation secret (:data:`govservice.settings.secrets.BY_NAME`)."""

T = TypeVar("T")


class SettingsError(ValueError):
    """A variable holds a value that cannot be used; ``str(error)`` names it, in Chinese."""


def _number(environ: Mapping[str, str], name: str, default: T, kind: Callable[[str], T], least: float) -> T:
    """``environ[name]`` as ``kind`` (int or float) and at least ``least``; ``default`` when unset or empty."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        noun = "整数" if kind is int else "数字"
        raise SettingsError(f"环境变量 {name} 必须是{noun}，现在是 {raw!r}") from None
    if value < least:  # type: ignore[operator]
        raise SettingsError(f"环境变量 {name} 必须至少为 {least:g}，现在是 {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Every setting, as read from one environment."""

    knowledge_base: Path = ROOT / "knowledge_base"
    var_dir: Path = ROOT / "var"
    database_url: str = ""
    """``DATABASE_URL``; empty: a SQLite file under ``var_dir`` (:func:`database_url`)."""
    endpoints: str = "endpoints.yml"
    rasa_url: str = DEFAULT_RASA_URL
    rasa_token: Optional[str] = None
    rasa_public_url: str = DEFAULT_RASA_URL
    """The Rasa address browsers and download links use (``RASA_PUBLIC_URL``)."""
    sms_gateway: str = "file"
    demo_data: bool = True
    demo_mode: bool = False
    handoff_days: str = "1-5"
    handoff_hours: str = "09:00-17:00"
    handoff_tz: str = OFFICE_TZ
    retention_days: int = 180
    retention_logged_in_days: int = 30
    retention_interval_seconds: float = 3600.0
    erasure_poll_seconds: float = 30.0
    notify_retry_seconds: float = 30.0
    reminder_interval_seconds: float = 3600.0
    reminder_windows: str = ""
    """``REMINDER_WINDOWS``: per-type overrides of knowledge_base/reminders.yml, e.g. "机动车驾驶证=60,普通护照=120"."""
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    actions_warm_up: bool = False
    log_level: str = "INFO"
    staff_host: str = "127.0.0.1"
    staff_port: int = 5080
    portal_host: str = "127.0.0.1"
    portal_port: int = 8080
    allowed_origins: str = ""
    max_message_chars: int = 500
    wechat_app_id: str = ""
    wechat_secret: str = field(default="", repr=False)
    wechat_aes_key: str = field(default="", repr=False)
    wechat_template_id: str = ""
    wechat_template_keys: str = ""
    wechat_template_url: Optional[str] = None
    wechat_api_base: str = "https://api.weixin.qq.com/cgi-bin/"
    wechat_menu: str = ""
    wechat_passive_budget: float = 4.0
    wechat_max_age: float = 300.0
    wechat_redis_url: Optional[str] = None
    wechat_redis_prefix: str = "wechat:"
    rasa_overrides: str = "on"
    """``RASA_OVERRIDES`` as set; the door (overrides/) checks it is ``on`` or ``off``."""
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The installation secrets given in :data:`SECRET_VARIABLES`, stripped; unset ones are missing."""
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The whole environment as read, for the one reader that passes it on (store_urls' shell exports)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Read ``environ``; unset variables take the defaults above.

        Raises:
            SettingsError: a number that is not one, or below its least value (the variable named).
        """
        get = environ.get
        return cls(
            knowledge_base=Path(get("KNOWLEDGE_BASE_DIR", ROOT / "knowledge_base")),
            var_dir=Path(get("VAR_DIR", ROOT / "var")),
            database_url=get("DATABASE_URL", ""),
            endpoints=get("ENDPOINTS", "endpoints.yml"),
            rasa_url=get("RASA_URL", DEFAULT_RASA_URL).rstrip("/"),
            rasa_token=get("RASA_TOKEN") or None,
            rasa_public_url=(get("RASA_PUBLIC_URL") or DEFAULT_RASA_URL).rstrip("/"),
            sms_gateway=get("SMS_GATEWAY", "file"),
            demo_data=get("DEMO_DATA", "1").strip() != "0",
            demo_mode=get("DEMO_MODE", "").strip() == "1",
            handoff_days=get("HANDOFF_DAYS", "1-5"),
            handoff_hours=get("HANDOFF_HOURS", "09:00-17:00"),
            handoff_tz=get("HANDOFF_TZ", OFFICE_TZ),
            retention_days=_number(environ, "RETENTION_DAYS", 180, int, 1),
            retention_logged_in_days=_number(environ, "RETENTION_LOGGED_IN_DAYS", 30, int, 1),
            retention_interval_seconds=_number(environ, "RETENTION_INTERVAL_SECONDS", 3600.0, float, 0),
            erasure_poll_seconds=_number(environ, "ERASURE_POLL_SECONDS", 30.0, float, 0),
            notify_retry_seconds=_number(environ, "NOTIFY_RETRY_SECONDS", 30.0, float, 0),
            reminder_interval_seconds=_number(environ, "REMINDER_INTERVAL_SECONDS", 3600.0, float, 1),
            reminder_windows=get("REMINDER_WINDOWS", ""),
            action_host=get("ACTION_HOST", "127.0.0.1"),
            action_port=_number(environ, "ACTION_PORT", 5055, int, 0),
            actions_warm_up=get("ACTIONS_WARM_UP") == "1",
            log_level=get("LOG_LEVEL", "INFO"),
            staff_host=get("STAFF_HOST", "127.0.0.1"),
            staff_port=_number(environ, "STAFF_PORT", 5080, int, 0),
            portal_host=get("PORTAL_HOST", "127.0.0.1"),
            portal_port=_number(environ, "PORTAL_PORT", 8080, int, 0),
            allowed_origins=get("ALLOWED_ORIGINS", ""),
            max_message_chars=_number(environ, "MAX_MESSAGE_CHARS", 500, int, 1),
            wechat_app_id=get("WECHAT_APPID", ""),
            wechat_secret=get("WECHAT_SECRET", ""),
            wechat_aes_key=get("WECHAT_AES_KEY", ""),
            wechat_template_id=get("WECHAT_TEMPLATE_ID", ""),
            wechat_template_keys=get("WECHAT_TEMPLATE_KEYS", ""),
            wechat_template_url=get("WECHAT_TEMPLATE_URL") or None,
            wechat_api_base=get("WECHAT_API_BASE", "https://api.weixin.qq.com/cgi-bin/"),
            wechat_menu=get("WECHAT_MENU", ""),
            wechat_passive_budget=_number(environ, "WECHAT_PASSIVE_BUDGET", 4.0, float, 0),
            wechat_max_age=_number(environ, "WECHAT_MAX_AGE", 300.0, float, 0),
            wechat_redis_url=get("WECHAT_REDIS_URL") or get("REDIS_URL") or None,
            wechat_redis_prefix=get("WECHAT_REDIS_PREFIX", "wechat:"),
            rasa_overrides=get("RASA_OVERRIDES", "on"),
            secrets={name: get(name, "").strip() for name in SECRET_VARIABLES if get(name, "").strip()},
            environ=MappingProxyType(dict(environ)),
        )


_current: Optional[Settings] = None


def current() -> Settings:
    """The settings of this process, read from the environment on first use."""
    return _current or reload()


def reload() -> Settings:
    """Read the environment again (tests that change it call this); return the new settings.

    Raises:
        SettingsError: a variable holds a value that cannot be used.
    """
    global _current
    _current = None  # a failed read leaves nothing behind: the next current() reads (and fails) again
    _current = Settings.from_environ(os.environ)
    return _current


def database_url() -> str:
    """The database URL: ``DATABASE_URL``, else a SQLite file under ``VAR_DIR`` (made on demand)."""
    settings = current()
    if settings.database_url:
        return settings.database_url
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{settings.var_dir / 'govservice.db'}"
