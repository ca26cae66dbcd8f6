"""Demo traffic for the dashboard (``make demo-traffic``): hundreds of conversations against ``make run``.

Varied conversations over the REST channel (and some over the WeChat webhook, as
``scripts/wechat_sim.py`` sends them): service questions across the catalog's topics, follow-up
questions, messages the assistant cannot place (fallbacks), requests for a person (handoff) and
small talk. Besides, a few demo citizens log in (the SMS code from ``var/sms_outbox.jsonl``) and
apply for a 居住证; the 公安 officer accepts, reviews and approves or rejects each through the
department API, and the citizen rates the service (好差评, some 差评). Every chart of
``/console/dashboard`` then has data. All people are the synthetic demo citizens.

    .venv/bin/python scripts/demo_traffic.py [--conversations 300] [--applications 6] [--workers 4]

Prints a summary; exits non-zero when no conversation got an answer.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from govservice.accounts.demo_officers import demo_token  # noqa: E402
from govservice.applications.states import NEGATIVE_LEVELS, RATING_LEVELS  # noqa: E402
from govservice.certificates.models import Certificate  # noqa: E402
from govservice.db import session_scope  # noqa: E402
from govservice.identity.models import Person  # noqa: E402
from scripts.demo_apply import STAFF, tiny_png  # noqa: E402
from scripts.wechat_sim import Simulator, text_xml  # noqa: E402
from tests.rest_client import BASE, VAR_DIR, latest_code, post, session_of  # noqa: E402

QUESTIONS = [
    "身份证丢了怎么补办", "身份证到期了怎么换", "第一次办身份证要带什么", "办护照要什么材料", "护照过期了怎么换",
    "港澳通行证怎么办", "社保卡怎么申领", "居住证要什么材料", "办居住证多少钱", "无犯罪记录证明在哪开",
    "不动产登记资料怎么查询", "二手房过户要什么材料", "房子抵押登记怎么办", "残疾人证怎么办", "出生登记要带什么",
    "户口迁入需要什么材料", "驾驶证到期换证", "营业执照怎么办", "结婚登记要啥材料", "新生儿落户怎么办",
]
FOLLOW_UPS = ["要多少钱", "多久能办好", "在哪里办", "可以网上办吗", "办理流程是怎样的", "需要什么条件"]
FALLBACKS = ["阿巴阿巴阿巴", "qwertyuiop", "今天中午吃什么好呢", "帮我写一首关于秋天的诗", "火星移民怎么申请",
             "猫为什么喜欢纸箱子", "嗯嗯哦哦", "1234567"]
SMALL_TALK = ["你好", "谢谢", "你是谁", "再见"]
HANDOFF = ["转人工", "我要找人工客服"]
# The rating of the n-th application: each level in turn, a 差评 second, so a short run has a follow-up too.
LEVELS = [RATING_LEVELS[(1 + 3 * n) % len(RATING_LEVELS)] for n in range(len(RATING_LEVELS))]
# The 居住证 application of scripts/demo_apply.py, up to the uploads.
APPLY_STEPS = ("办居住证要什么材料", "我要办居住证", "符合", "确认无误", "示范市民生路88号3栋502室", "就业", "我承诺")
WECHAT_URL = f"{BASE}/webhooks/wechat/webhook"


def _rest(sender: str) -> Callable[[str], str]:
    def send(text: str) -> str:
        resp = post(sender, text)
        return "\n".join(m.get("text", "") for m in resp.json()) if resp.ok else ""
    return send


def _wechat(openid: str) -> Callable[[str], str]:
    from connectors.wechat_delivery import channel_token

    simulator = Simulator(WECHAT_URL, channel_token(), timeout=30.0)
    return lambda text: simulator.post(text_xml(openid, text), tries=1).text


def conversation(number: int, rng: random.Random) -> Tuple[str, bool]:
    """One conversation of a random kind; (kind, whether every message got a reply)."""
    wechat = rng.random() < 0.2
    sender = f"demo-traffic-{int(time.time())}-{number}"
    send = _wechat(f"o_demo_{sender[-12:]}") if wechat else _rest(sender)
    kind = rng.choices(["ask", "fallback", "handoff", "chat"], weights=[60, 20, 8, 12])[0]
    texts: List[str] = []
    if kind == "ask":
        texts = [rng.choice(QUESTIONS)] + rng.sample(FOLLOW_UPS, rng.randint(0, 2))
    elif kind == "fallback":
        texts = [rng.choice(FALLBACKS)] + ([rng.choice(QUESTIONS)] if rng.random() < 0.5 else [])
    elif kind == "handoff":
        texts = [rng.choice(QUESTIONS), rng.choice(HANDOFF), "取消"]
    else:
        texts = rng.sample(SMALL_TALK, 2)
    answered = all(bool(send(text)) for text in texts)
    return f"{kind}{'（微信）' if wechat else ''}", answered


def demo_citizens(count: int, rng: random.Random) -> List[Tuple[str, str, str]]:
    """``count`` demo citizens with a valid 居民身份证, other than 张三 and 李四: (ID number, name, phone).

    Drawn at random from the second half by ID number, so a second run mostly picks people who have
    not just logged in (one code a minute per person), and the server tests, which log in the first
    ones (tests/test_application_flow.py ``demo_citizen``), meet none who applied here.
    """
    with session_scope() as session:
        people = (session.query(Person.id_number, Person.name, Person.phone)
                  .join(Certificate, Certificate.holder_id == Person.id_number)
                  .filter(Certificate.type_name == "居民身份证", Certificate.status == "有效",
                          Person.name.notin_(["张三", "李四"]))
                  .order_by(Person.id_number))
        everyone = [(str(i), str(n), str(p)) for i, n, p in people]
    later = everyone[len(everyone) // 2:]
    return rng.sample(later, min(count, len(later)))


def _officer(number: str, action: str, reason: str) -> bool:
    headers = {"Authorization": f"Bearer {demo_token('ga_officer')}"}
    resp = requests.post(f"{STAFF}/api/v1/applications/{number}/{action}", json={"reason": reason},
                         headers=headers, timeout=30)
    return resp.ok


def _wait_for_notice(sender: str, marker: str, timeout: float = 20.0) -> bool:
    token = os.environ.get("RASA_TOKEN") or (VAR_DIR / "rasa_token").read_text().strip()
    deadline = time.time() + timeout
    while time.time() < deadline:
        tracker = requests.get(f"{BASE}/conversations/{sender}/tracker", params={"token": token}, timeout=30).json()
        if any(marker in (e.get("text") or "") for e in tracker.get("events", []) if e.get("event") == "bot"):
            return True
        time.sleep(0.5)
    return False


def application(person: Tuple[str, str, str], index: int) -> str:
    """Log in, apply for a 居住证, have it decided and rate it; returns how far it got."""
    try:
        return _apply(person, index)
    except (AssertionError, requests.RequestException, ValueError, KeyError) as error:  # no SMS, a server away
        return f"中断（{type(error).__name__}）"


def _apply(person: Tuple[str, str, str], index: int) -> str:
    id_number, name, phone = person
    sender = f"demo-traffic-apply-{int(time.time())}-{index}"
    send = _rest(sender)
    started = time.time()
    send("我要登录")
    send(id_number)
    if "验证码" not in send(name):
        return "登录失败"
    if "登录成功" not in send(latest_code(phone, started)):
        return "登录失败"
    for text in APPLY_STEPS:
        send(text)
    for filename in ("劳动合同.png", "证件照.png"):
        form = {"sender": sender, "session": session_of(sender), "channel": "rest"}
        resp = requests.post(f"{BASE}/webhooks/upload/file", data=form,
                             files={"file": (filename, tiny_png(), "image/png")}, timeout=30)
        if resp.ok:
            send(resp.json()["message"])
    reply = send("确认提交")
    if "办件编号：" not in reply:
        return "未提交"
    number = reply.split("办件编号：")[1].split()[0]
    if not (_officer(number, "accept", "材料齐全，予以受理") and _officer(number, "review", "开始审核")):
        return "已提交"
    rejected = index % 5 == 4
    decision = ("reject", "居住证明材料不符合要求") if rejected else ("approve", "审核通过")
    decided = _officer(number, *decision)
    if not decided or not _wait_for_notice(sender, "不予受理" if rejected else "已办结"):
        return "已办结（未评价）" if decided else "已受理"
    level = LEVELS[index % len(LEVELS)]
    send(level)
    send("等待时间太长" if level in NEGATIVE_LEVELS else "办事很方便")
    return f"已评价（{level}）"


def main() -> int:
    """Run the traffic and print what happened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--applications", type=int, default=6)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seeds = [rng.randrange(2**32) for _ in range(args.conversations)]
    outcomes: Dict[str, int] = {}
    answered = 0
    with ThreadPoolExecutor(args.workers) as pool:
        people = demo_citizens(args.applications, random.Random(time.time_ns()))
        applied = [pool.submit(application, person, n) for n, person in enumerate(people)]
        chats = [pool.submit(conversation, n, random.Random(seeds[n])) for n in range(args.conversations)]
        for future in chats:
            kind, ok = future.result()
            outcomes[kind] = outcomes.get(kind, 0) + 1
            answered += ok
        results = [future.result() for future in applied]
    print(f"对话 {args.conversations} 次（{answered} 次每句都有回复）：" +
          "，".join(f"{kind} {n}" for kind, n in sorted(outcomes.items())))
    print("在线申请：" + ("，".join(results) or "无"))
    return 0 if answered else 1


if __name__ == "__main__":
    raise SystemExit(main())
