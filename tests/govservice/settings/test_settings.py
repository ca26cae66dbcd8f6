"""The one settings module: defaults, validation naming the variable, and reading again on request."""

from __future__ import annotations

import pytest

from govservice import settings
from govservice.settings import ROOT, Settings, SettingsError
from govservice.settings.secrets import BY_NAME


def test_an_empty_environment_gives_the_defaults() -> None:
    read = Settings.from_environ({})
    assert read == Settings(environ=read.environ)
    assert read.knowledge_base == ROOT / "knowledge_base" and read.rasa_url == "http://localhost:5005"
    assert read.demo_data and not read.demo_mode and read.retention_days == 180 and read.secrets == {}


def test_values_are_read_and_cleaned() -> None:
    read = Settings.from_environ(
        {"RASA_URL": "http://rasa:5005/", "DEMO_DATA": " 0 ", "PORTAL_PORT": "9000", "GOV_SECRET_KEY": " k ",
         "REDIS_URL": "redis://r/0", "WECHAT_MAX_AGE": "60.5", "RASA_TOKEN": ""}
    )
    assert read.rasa_url == "http://rasa:5005" and read.rasa_token is None
    assert not read.demo_data and read.portal_port == 9000 and read.wechat_max_age == 60.5
    assert read.secrets == {"GOV_SECRET_KEY": "k"} and read.wechat_redis_url == "redis://r/0"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [("RETENTION_DAYS", "半年", "整数"), ("RETENTION_DAYS", "0", "至少"), ("STAFF_PORT", "80a", "整数"),
     ("NOTIFY_RETRY_SECONDS", "soon", "数字"), ("MAX_MESSAGE_CHARS", "0", "至少")],
)
def test_a_bad_value_names_its_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError, match=f"{name}.*{says}"):
        Settings.from_environ({name: value})


def test_the_environment_is_read_once_until_reloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMS_GATEWAY", "first")
    assert settings.reload().sms_gateway == "first"
    monkeypatch.setenv("SMS_GATEWAY", "second")
    assert settings.current().sms_gateway == "first"
    assert settings.reload().sms_gateway == "second" and settings.current().sms_gateway == "second"


def test_a_failed_reload_keeps_no_stale_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTION_PORT", "eighty")
    with pytest.raises(SettingsError, match="ACTION_PORT"):
        settings.reload()
    with pytest.raises(SettingsError, match="ACTION_PORT"):
        settings.current()


def test_every_secret_variable_is_read() -> None:
    assert {secret.env for secret in BY_NAME.values()} == set(settings.SECRET_VARIABLES)
