"""The README's 一窗 conversation over REST, end to end, against `make run`.

张三 logs in (unless ``--sender`` is already logged in), asks what 居住证 needs (his 居民身份证 is
免提交), applies and confirms; the 公安 officer accepts and approves through the department API;
张三 is notified, sees the new 居住证 in his certificate library, and rates the service.

    .venv/bin/python scripts/demo_apply.py [--sender ID]

Exits non-zero when a step does not give the expected answer.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import time
import zlib
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from govservice.accounts.demo_officers import demo_token  # noqa: E402
from tests.rest_client import (  # noqa: E402
    BASE,
    SESSIONS,
    VAR_DIR,
    ZHANG,
    ZHANG_PHONE,
    latest_code,
    say,
    session_of,
)

STAFF = os.environ.get("STAFF_URL", f"http://localhost:{os.environ.get('STAFF_PORT', '5080')}")


def tiny_png() -> bytes:
    """A 1×1 PNG standing in for a photographed document."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(
        b"IDAT", raw) + chunk(b"IEND", b"")


def step(sender: str, text: str, expect: str = "") -> str:
    """Say ``text`` as 张三, print both sides, and check the reply contains ``expect``."""
    print(f"张三: {text}")
    reply = say(sender, text)
    print("助手: " + reply.replace("\n", "\n      ") + "\n")
    if expect and expect not in reply:
        sys.exit(f"expected {expect!r} in the reply to {text!r}")
    return reply


def upload(sender: str, name: str) -> None:
    """Upload a file for the open application, then hand it to the bot as the widget does."""
    files = {"file": (name, tiny_png(), "image/png")}
    form = {"sender": sender, "session": session_of(sender), "channel": "rest"}
    resp = requests.post(f"{BASE}/webhooks/upload/file", data=form, files=files, timeout=30)
    print(f"（上传 {name}：HTTP {resp.status_code}）")
    resp.raise_for_status()
    step(sender, resp.json()["message"], "已收到上传文件")


def officer(number: str, action: str, reason: str) -> None:
    """The 公安 officer acts through the department API."""
    headers = {"Authorization": f"Bearer {demo_token('ga_officer')}"}
    resp = requests.post(f"{STAFF}/api/v1/applications/{number}/{action}", json={"reason": reason},
                         headers=headers, timeout=30)
    print(f"（窗口人员 {action}: HTTP {resp.status_code} {resp.json().get('status', resp.text)[:60]}）")
    resp.raise_for_status()


def notification(sender: str, marker: str, timeout: float = 15.0) -> str:
    """The bot's newest message containing ``marker`` (delivered by trigger_intent), from the tracker."""
    token = os.environ.get("RASA_TOKEN") or (VAR_DIR / "rasa_token").read_text().strip()
    deadline = time.time() + timeout
    while time.time() < deadline:
        tracker = requests.get(f"{BASE}/conversations/{sender}/tracker", params={"token": token}, timeout=30).json()
        texts = [e.get("text") or "" for e in tracker.get("events", []) if e.get("event") == "bot"]
        found = [t for t in texts if marker in t]
        if found:
            print(f"（推送给张三的通知）助手: {found[-1]}\n")
            return found[-1]
        time.sleep(0.5)
    sys.exit(f"no notification containing {marker!r}")


def main() -> None:
    """Run the conversation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sender", default=f"demo-apply-{int(time.time())}")
    parser.add_argument("--session", help="the REST session token of an existing --sender conversation")
    args = parser.parse_args()
    sender = args.sender
    if args.session:
        SESSIONS[sender] = args.session
    if "您已登录" not in step(sender, "我要登录"):
        step(sender, ZHANG)
        step(sender, "张三", "验证码已发送")
        step(sender, latest_code(ZHANG_PHONE), "登录成功")
    step(sender, "办居住证要什么材料", "居民身份证 —— ✅ 免提交")
    step(sender, "我要办居住证", "现在开始在线申请")
    step(sender, "符合", "自动填写")
    step(sender, "确认无误", "居住地址")
    step(sender, "示范市民生路88号3栋502室", "哪项条件")
    step(sender, "就业", "居住证明")
    step(sender, "我承诺", "就业或就读证明")
    upload(sender, "劳动合同.png")
    upload(sender, "证件照.png")
    reply = step(sender, "确认提交", "办件编号")
    number = reply.split("办件编号：")[1].split()[0]
    officer(number, "accept", "材料齐全，予以受理")
    officer(number, "review", "开始审核")
    officer(number, "approve", "审核通过，准予发证")
    notification(sender, "已办结")  # with it, the bot asks for a rating (好差评)
    step(sender, "满意", "还有什么意见")
    step(sender, "窗口办事很快，点赞", "感谢您")
    step(sender, "我有哪些证照", "居住证")


if __name__ == "__main__":
    main()
