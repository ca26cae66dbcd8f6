"""wechatpy's cipher and client, overridden: the same bytes and requests as wechatpy's, where they should be."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Dict, Iterator, List
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.crypto import PrpCrypto
from wechatpy.session.memorystorage import MemoryStorage

from overrides.wechat import PREFIX_ALPHABET, ApiBaseClient, SecretsPrpCrypto
from tests.connectors.conftest import API_HOST, FakeWeChatAPI

KEY = base64.b64decode("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" + "=")
APP_ID = "wx_test_app"
PLAIN = "<xml><Content><![CDATA[身份证丢了怎么补办]]></Content></xml>"


class FixedPrefix(PrpCrypto):
    """wechatpy's own cipher with the prefix fixed, to compare bytes with."""

    def get_random_string(self) -> str:
        return "0123456789abcdef"


def test_a_fixed_prefix_gives_wechatpys_ciphertext() -> None:
    ours = SecretsPrpCrypto(KEY, "0123456789abcdef").encrypt(PLAIN, APP_ID)
    assert ours == FixedPrefix(KEY).encrypt(PLAIN, APP_ID)


def test_each_cipher_decrypts_the_other() -> None:
    assert PrpCrypto(KEY).decrypt(SecretsPrpCrypto(KEY).encrypt(PLAIN, APP_ID), APP_ID) == PLAIN
    assert SecretsPrpCrypto(KEY).decrypt(PrpCrypto(KEY).encrypt(PLAIN, APP_ID), APP_ID) == PLAIN


def test_the_random_prefix_is_16_characters_of_the_alphabet_and_differs() -> None:
    prefixes = {SecretsPrpCrypto(KEY).get_random_string() for _ in range(50)}
    assert len(prefixes) == 50
    assert all(len(prefix) == 16 and set(prefix) <= set(PREFIX_ALPHABET) for prefix in prefixes)


@pytest.fixture()
def wechat_api(monkeypatch: pytest.MonkeyPatch) -> FakeWeChatAPI:
    fake = FakeWeChatAPI()

    def request(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        return fake(session, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", request)
    return fake


def test_on_tencents_base_the_token_request_is_wechatpys(wechat_api: FakeWeChatAPI) -> None:
    ours = ApiBaseClient(APP_ID, "test-secret", MemoryStorage(), API_HOST).fetch_access_token()
    theirs = WeChatClient(APP_ID, "test-secret", session=MemoryStorage()).fetch_access_token()
    assert ours == theirs == {"access_token": "ACCESS", "expires_in": 7200}
    first, second = wechat_api.calls
    assert first == second and first["endpoint"] == "token"
    assert first["params"] == {"grant_type": "client_credential", "appid": APP_ID, "secret": "test-secret"}


class _TokenHandler(BaseHTTPRequestHandler):
    seen: List[Dict[str, Any]] = []

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        url = urlparse(self.path)
        self.seen.append({"path": url.path, "query": parse_qs(url.query)})
        body = json.dumps({"access_token": "LOCAL", "expires_in": 7200}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture()
def local_api() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _TokenHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/cgi-bin/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_token_and_every_call_go_to_the_configured_base(local_api: str) -> None:
    _TokenHandler.seen.clear()
    client = ApiBaseClient(APP_ID, "test-secret", MemoryStorage(), local_api)
    assert client.access_token == "LOCAL"  # fetched on first use, from the configured base
    query = {"grant_type": ["client_credential"], "appid": [APP_ID], "secret": ["test-secret"]}
    assert _TokenHandler.seen == [{"path": "/cgi-bin/token", "query": query}]
    assert client.API_BASE_URL == local_api
