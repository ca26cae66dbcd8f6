"""A local stand-in for WeChat's servers: signed (optionally AES-sealed) XML to the webhook, with retries.

Try the WeChat channel without an official account (``docs/wechat.md``)::

    .venv/bin/python scripts/wechat_sim.py -m "身份证丢了怎么补办"
    .venv/bin/python scripts/wechat_sim.py --interactive --openid o_zhangsan
    .venv/bin/python scripts/wechat_sim.py --event subscribe
    .venv/bin/python scripts/wechat_sim.py --click HELP
    .venv/bin/python scripts/wechat_sim.py --safe -m "你好"          # needs WECHAT_AES_KEY and WECHAT_APPID

Like WeChat, a request that gets no answer within 5 s is sent again with the same MsgId, three
tries in all. ``--serve-api PORT`` also plays Tencent's API, printing customer-service and
template messages (start Rasa with ``WECHAT_API_BASE=http://localhost:PORT/cgi-bin/``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from connectors import wechat_protocol as proto  # noqa: E402
from connectors.wechat_delivery import channel_token  # noqa: E402

DEFAULT_URL = f"http://localhost:{os.environ.get('RASA_PORT', '5005')}/webhooks/wechat/webhook"
ACCOUNT = "gh_simulated_account"


def signed_query(token: str, timestamp: Optional[str] = None, nonce: Optional[str] = None) -> Dict[str, str]:
    """The query string WeChat puts on every callback: ``signature``, ``timestamp``, ``nonce``."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    return {"signature": proto.sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}


def _xml(fields: Dict[str, str]) -> str:
    inner = "".join(f"<{name}>{proto.cdata(value)}</{name}>" for name, value in fields.items())
    return f"<xml>{inner}</xml>"


def text_xml(openid: str, content: str, msg_id: Optional[str] = None, account: str = ACCOUNT) -> str:
    """A text message as WeChat sends it."""
    msg_id = msg_id or str(secrets.randbelow(10**18))
    head = {"ToUserName": account, "FromUserName": openid, "CreateTime": str(int(time.time()))}
    return _xml({**head, "MsgType": "text", "Content": content, "MsgId": msg_id})


def event_xml(openid: str, event: str, key: str = "", account: str = ACCOUNT) -> str:
    """An event (subscribe, unsubscribe, CLICK with its EventKey)."""
    head = {"ToUserName": account, "FromUserName": openid, "CreateTime": str(int(time.time()))}
    return _xml({**head, "MsgType": "event", "Event": event, "EventKey": key})


def seal(xml: str, query: Dict[str, str], token: str, aes_key: str, app_id: str) -> Tuple[str, Dict[str, str]]:
    """Safe mode: the body becomes an ``<Encrypt>`` envelope and the query gets ``msg_signature``."""
    ciphertext = proto.encrypt(aes_key, app_id, xml)
    msg_signature = proto.sign(token, query["timestamp"], query["nonce"], ciphertext)
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
    return body, {**query, "encrypt_type": "aes", "msg_signature": msg_signature}


def reply_text(body: str, token: str = "", aes_key: str = "", app_id: str = "") -> str:
    """The text of a passive reply ("" for "success"), unsealing and checking it in safe mode."""
    if not body.strip() or body.strip() == "success":
        return ""
    fields = proto.parse_xml(body)
    if "Encrypt" in fields:
        sealed = (fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
        if not proto.check_msg_signature(token, *sealed):
            raise ValueError("reply has a bad msg_signature")
        fields = proto.parse_xml(proto.decrypt(aes_key, app_id, fields["Encrypt"]))
    return str(fields.get("Content", ""))


@dataclass
class Delivery:
    """The outcome of one message: the passive reply text, attempts made and time to the last answer."""

    text: str
    attempts: int
    seconds: float
    status: int


class Simulator:
    """Posts messages to the webhook the way WeChat's servers do."""

    def __init__(self, url: str, token: str, aes_key: str = "", app_id: str = "", timeout: float = 5.0) -> None:
        self.url, self.token, self.aes_key, self.app_id, self.timeout = url, token, aes_key, app_id, timeout
        self.http = requests.Session()

    def post(self, xml: str, tries: int = 3) -> Delivery:
        """Send ``xml``; after a timeout send it again (same MsgId), ``tries`` attempts in all."""
        started = time.monotonic()
        for attempt in range(1, tries + 1):
            query = signed_query(self.token)
            body = xml
            if self.aes_key:
                body, query = seal(xml, query, self.token, self.aes_key, self.app_id)
            try:
                resp = self.http.post(self.url, params=query, data=body.encode(), timeout=self.timeout)
            except requests.Timeout:
                continue
            text = reply_text(resp.text, self.token, self.aes_key, self.app_id) if resp.ok else resp.text
            return Delivery(text, attempt, time.monotonic() - started, resp.status_code)
        return Delivery("", tries, time.monotonic() - started, 0)


class _FakeTencentAPI(BaseHTTPRequestHandler):
    """Plays api.weixin.qq.com: hands out a token and prints what would reach the citizen."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._json({"access_token": "simulated-token", "expires_in": 7200})

    def do_POST(self) -> None:  # noqa: N802
        payload = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
        kind = "客服消息" if "custom/send" in self.path else "模板消息"
        content = payload.get("text", {}).get("content") or json.dumps(payload.get("data"), ensure_ascii=False)
        print(f"\n[{kind} → {payload.get('touser')}]\n{content}\n", flush=True)
        self._json({"errcode": 0, "errmsg": "ok"})

    def _json(self, payload: Dict[str, object]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:  # keep the console for the conversation
        pass


def serve_fake_api(port: int) -> ThreadingHTTPServer:
    """Start the fake Tencent API in a background thread."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _FakeTencentAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _show(sent: str, delivery: Delivery) -> None:
    retries = f"，重试 {delivery.attempts - 1} 次（MsgId 相同）" if delivery.attempts > 1 else ""
    print(f"> {sent}    [{delivery.seconds:.2f} 秒{retries}]")
    if delivery.status and delivery.status != 200:
        print(f"HTTP {delivery.status}: {delivery.text}")
    elif delivery.text:
        print(delivery.text)
    else:
        print("（被动回复为空 success：答案将通过客服消息发送，或本条无需回复）")


def _parse(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="本地微信公众号模拟器 / local WeChat official-account simulator")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"webhook URL (default {DEFAULT_URL})")
    parser.add_argument("--token", default=None, help="WECHAT_TOKEN (default: env, else var/wechat_token)")
    parser.add_argument("--openid", default="o_simulated_user", help="the citizen's OpenID")
    parser.add_argument("-m", "--message", action="append", default=[], help="text to send (repeatable)")
    parser.add_argument("--event", choices=["subscribe", "unsubscribe"], help="send an event")
    parser.add_argument("--click", metavar="KEY", help="send a CLICK menu event with this EventKey")
    parser.add_argument("-i", "--interactive", action="store_true", help="type messages, empty line to quit")
    parser.add_argument("--safe", action="store_true", help="AES safe mode (WECHAT_AES_KEY, WECHAT_APPID)")
    parser.add_argument("--aes-key", default=os.environ.get("WECHAT_AES_KEY", ""), help="EncodingAESKey")
    parser.add_argument("--app-id", default=os.environ.get("WECHAT_APPID", ""), help="AppID")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before a retry, as WeChat (5)")
    parser.add_argument("--serve-api", type=int, metavar="PORT", help="also play Tencent's API on this port")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the simulator; the exit code is 1 when any request failed."""
    args = _parse(argv)
    if args.safe and not (args.aes_key and args.app_id):
        print("--safe 需要 --aes-key 和 --app-id（或环境变量 WECHAT_AES_KEY、WECHAT_APPID）", file=sys.stderr)
        return 2
    if args.serve_api:
        serve_fake_api(args.serve_api)
    aes_key = args.aes_key if args.safe else ""
    sim = Simulator(args.url, args.token or channel_token(), aes_key, args.app_id, args.timeout)
    jobs: List[Tuple[str, str]] = []
    if args.event:
        jobs.append((f"[事件 {args.event}]", event_xml(args.openid, args.event)))
    if args.click:
        jobs.append((f"[菜单 {args.click}]", event_xml(args.openid, "CLICK", args.click)))
    jobs += [(text, text_xml(args.openid, text)) for text in args.message]
    ok = True
    for label, xml in jobs:
        delivery = sim.post(xml)
        ok = ok and delivery.status == 200
        _show(label, delivery)
    while args.interactive:
        try:
            text = input("您> ").strip()
        except EOFError:
            break
        if not text:
            break
        _show(text, sim.post(text_xml(args.openid, text)))
    if args.serve_api:
        time.sleep(args.timeout)  # let late customer-service messages arrive before exiting
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
