"""The parts of ``REDIS_URL`` and ``RABBITMQ_URL`` that an endpoints file names one by one.

Rasa's Redis tracker and lock stores and its Pika event broker take a host, a port, a database
and credentials as separate settings, while an installation gives one URL per service. This
module splits the URLs so ``endpoints.prod.yml`` can name each part as ``${ENV}``.

Command line (``scripts/run_prod.sh`` evaluates its output)::

    python -m govservice.store_urls   # prints export NAME=value lines from REDIS_URL and RABBITMQ_URL
"""

from __future__ import annotations

import shlex
import sys
from typing import Dict, Mapping, Optional, Sequence
from urllib.parse import unquote, urlsplit, urlunsplit

from govservice import settings

DEFAULT_REDIS_URL = "redis://localhost:6379"
DEFAULT_RABBITMQ_URL = "amqp://guest:guest@localhost:5672/"
# One Redis server, one database per use (docs: README "Scaling"); each can be moved by its variable.
DEFAULT_DATABASES = {"TRACKER_REDIS_DB": 0, "LOCK_REDIS_DB": 1, "WECHAT_REDIS_DB": 2}


class StoreUrlError(ValueError):
    """A URL that names no usable server; the message says which, in Chinese."""


def _port(value: Optional[int], default: int, name: str) -> int:
    if value is None:
        return default
    if not 0 < value < 65536:
        raise StoreUrlError(f"{name} 的端口号无效：{value}")
    return value


def redis_parts(url: str) -> Dict[str, str]:
    """``REDIS_HOST``, ``REDIS_PORT`` and ``REDIS_PASSWORD`` of a ``redis://`` URL.

    The URL's own database number is ignored: each store has its own (:data:`DEFAULT_DATABASES`).

    Raises:
        StoreUrlError: not a redis:// URL with a host, or a bad port.
    """
    try:
        parts = urlsplit(url)
        port = _port(parts.port, 6379, "REDIS_URL")
    except ValueError as error:  # urlsplit's own complaint about the port
        raise StoreUrlError(f"REDIS_URL 格式不正确：{error}") from error
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise StoreUrlError("REDIS_URL 应形如 redis://[:密码@]主机[:端口]")
    return {
        "REDIS_HOST": parts.hostname,
        "REDIS_PORT": str(port),
        "REDIS_PASSWORD": unquote(parts.password or ""),
    }


def redis_database_url(url: str, database: int) -> str:
    """``url`` pointing at ``database`` instead of its own (for clients that take one URL)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", "", ""))


def rabbitmq_parts(url: str) -> Dict[str, str]:
    """``RABBITMQ_USER``, ``RABBITMQ_PASSWORD`` and ``RABBITMQ_PORT`` of an ``amqp://`` URL.

    Rasa's Pika broker takes the URL as its host and the credentials and port beside it.

    Raises:
        StoreUrlError: not an amqp:// URL with a host, or a bad port.
    """
    try:
        parts = urlsplit(url)
        port = _port(parts.port, 5671 if parts.scheme == "amqps" else 5672, "RABBITMQ_URL")
    except ValueError as error:
        raise StoreUrlError(f"RABBITMQ_URL 格式不正确：{error}") from error
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise StoreUrlError("RABBITMQ_URL 应形如 amqp://用户名:密码@主机:端口/")
    return {
        "RABBITMQ_USER": unquote(parts.username or "guest"),
        "RABBITMQ_PASSWORD": unquote(parts.password or "guest"),
        "RABBITMQ_PORT": str(port),
    }


def store_environment(environ: Mapping[str, str]) -> Dict[str, str]:
    """Every variable ``endpoints.prod.yml`` needs, from ``environ`` and the defaults.

    Variables already set in ``environ`` are kept; the WeChat channel gets its database as a URL.
    """
    redis_url = environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    rabbitmq_url = environ.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL
    result = {"REDIS_URL": redis_url, "RABBITMQ_URL": rabbitmq_url, "REDIS_KEY_PREFIX": ""}
    result.update(redis_parts(redis_url))
    result.update(rabbitmq_parts(rabbitmq_url))
    result.update({name: str(database) for name, database in DEFAULT_DATABASES.items()})
    result["PROD_EVENTS_QUEUE"] = "govservice_events"
    result = {name: environ.get(name, value) for name, value in result.items()}
    wechat_db = _database_number(result["WECHAT_REDIS_DB"], "WECHAT_REDIS_DB")
    result["WECHAT_REDIS_URL"] = environ.get("WECHAT_REDIS_URL") or redis_database_url(redis_url, wechat_db)
    for name in ("TRACKER_REDIS_DB", "LOCK_REDIS_DB"):
        _database_number(result[name], name)
    if result["REDIS_KEY_PREFIX"] and not result["REDIS_KEY_PREFIX"].isalnum():
        # Rasa would silently ignore it and share the default keys.
        raise StoreUrlError("REDIS_KEY_PREFIX 只能由字母和数字组成")
    return result


def _database_number(value: str, name: str) -> int:
    if not value.isdigit() or int(value) > 15:
        raise StoreUrlError(f"{name} 应为 0-15 之间的 Redis 数据库编号，而不是 {value!r}")
    return int(value)


def main(argv: Sequence[str] = ()) -> int:
    """Print ``export NAME=value`` lines for the shell; a bad URL is one Chinese line and status 2."""
    del argv
    try:
        values = store_environment(settings.current().environ)
    except StoreUrlError as error:
        print(f"配置错误：{error}", file=sys.stderr)
        return 2
    for name, value in values.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
