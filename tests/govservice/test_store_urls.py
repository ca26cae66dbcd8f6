"""REDIS_URL and RABBITMQ_URL split into the parts endpoints.prod.yml names."""

from __future__ import annotations

import pytest

from govservice.settings import reload as reload_settings
from govservice.store_urls import (
    StoreUrlError,
    main,
    rabbitmq_parts,
    redis_database_url,
    redis_parts,
    store_environment,
)


def test_redis_url_parts_with_password_and_port() -> None:
    assert redis_parts("redis://:s%40cret@cache.example:6390/5") == {
        "REDIS_HOST": "cache.example",
        "REDIS_PORT": "6390",
        "REDIS_PASSWORD": "s@cret",
    }


def test_redis_url_defaults_to_port_6379_without_password() -> None:
    assert redis_parts("redis://localhost") == {"REDIS_HOST": "localhost", "REDIS_PORT": "6379", "REDIS_PASSWORD": ""}


@pytest.mark.parametrize("url", ["localhost:6379", "http://localhost:6379", "redis://", "redis://host:99999"])
def test_a_redis_url_that_names_no_server_is_refused_in_chinese(url: str) -> None:
    with pytest.raises(StoreUrlError, match="REDIS_URL"):
        redis_parts(url)


def test_the_wechat_database_replaces_the_urls_own() -> None:
    assert redis_database_url("redis://:pw@localhost:6380/0", 2) == "redis://:pw@localhost:6380/2"


def test_rabbitmq_url_parts() -> None:
    assert rabbitmq_parts("amqp://rasa:p%2Fw@mq.example:5673/vhost") == {
        "RABBITMQ_USER": "rasa",
        "RABBITMQ_PASSWORD": "p/w",
        "RABBITMQ_PORT": "5673",
    }
    assert rabbitmq_parts("amqp://localhost")["RABBITMQ_USER"] == "guest"


def test_store_environment_defaults_follow_the_agreed_layout() -> None:
    env = store_environment({"REDIS_URL": "redis://localhost:6380"})
    assert (env["TRACKER_REDIS_DB"], env["LOCK_REDIS_DB"], env["WECHAT_REDIS_DB"]) == ("0", "1", "2")
    assert env["WECHAT_REDIS_URL"] == "redis://localhost:6380/2"
    assert env["PROD_EVENTS_QUEUE"] == "govservice_events"
    assert env["RABBITMQ_URL"] == "amqp://guest:guest@localhost:5672/"
    assert env["REDIS_KEY_PREFIX"] == ""


def test_variables_already_set_win() -> None:
    env = store_environment({"REDIS_URL": "redis://localhost:6379", "TRACKER_REDIS_DB": "4", "WECHAT_REDIS_DB": "6",
                             "REDIS_KEY_PREFIX": "test1", "PROD_EVENTS_QUEUE": "q1"})
    assert env["TRACKER_REDIS_DB"] == "4" and env["WECHAT_REDIS_URL"] == "redis://localhost:6379/6"
    assert env["REDIS_KEY_PREFIX"] == "test1" and env["PROD_EVENTS_QUEUE"] == "q1"


@pytest.mark.parametrize("variables", [{"LOCK_REDIS_DB": "16"}, {"TRACKER_REDIS_DB": "x"}, {"REDIS_KEY_PREFIX": "a:b"}])
def test_bad_database_numbers_and_prefixes_are_refused(variables: dict) -> None:
    with pytest.raises(StoreUrlError):
        store_environment(variables)


def test_main_prints_shell_exports(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://:a b@localhost:6380")
    reload_settings()
    assert main() == 0
    out = capsys.readouterr().out
    assert "export REDIS_PASSWORD='a b'\n" in out and "export REDIS_PORT=6380\n" in out


def test_main_reports_a_bad_url_in_one_chinese_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RABBITMQ_URL", "localhost")
    reload_settings()
    assert main() == 2
    assert capsys.readouterr().err.startswith("配置错误：RABBITMQ_URL")
