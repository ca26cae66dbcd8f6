"""wechatpy's cipher and client with the internals the channel needs changed.

* :class:`SecretsPrpCrypto`: wechatpy's ``PrpCrypto`` draws the 16-character prefix of every
  safe-mode ciphertext from ``random``; this one draws it from ``secrets`` (or takes a fixed one,
  only to reproduce published test vectors).
* :class:`ApiBaseClient`: wechatpy's ``WeChatClient`` fetches its access_token from a hard-coded
  Tencent URL through the private ``_fetch_access_token``; this one asks the configured API base,
  so the WeChat simulator can stand in for Tencent.
"""

from __future__ import annotations

import secrets
import string
from typing import Any, Dict, Optional

from wechatpy import WeChatClient
from wechatpy.crypto import PrpCrypto
from wechatpy.session import SessionStorage

PREFIX_ALPHABET = string.ascii_letters + string.digits


class SecretsPrpCrypto(PrpCrypto):
    """wechatpy's safe-mode cipher with a random prefix from ``secrets``."""

    def __init__(self, key: bytes, prefix: Optional[str] = None) -> None:
        """Cipher for the 32-byte ``key``; ``prefix`` fixes the random prefix (test vectors only)."""
        super().__init__(key)
        self.fixed_prefix = prefix

    def get_random_string(self) -> str:
        """The 16-character prefix wechatpy puts before every plaintext."""
        return self.fixed_prefix or "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(16))


class ApiBaseClient(WeChatClient):
    """wechatpy's client whose every call, the access_token included, goes to ``api_base``."""

    def __init__(self, app_id: str, secret: str, session: SessionStorage, api_base: str, timeout: int = 5) -> None:
        """Client of the official account ``app_id``; tokens are kept in ``session``."""
        super().__init__(app_id, secret, session=session, timeout=timeout)
        self.API_BASE_URL = api_base

    def fetch_access_token(self) -> Dict[str, Any]:
        """The token request of wechatpy, sent to the configured API base."""
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        return dict(self._fetch_access_token(url=self.API_BASE_URL + "token", params=params))
