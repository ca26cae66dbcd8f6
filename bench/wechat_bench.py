"""WeChat-channel latency: signed XML to the running Rasa server's ``/webhooks/wechat/webhook``.

Each conversation has its own OpenID and sends its turns one after another (closed loop), as in
``bench/load.py``. A request is a single attempt with WeChat's 5 s limit (no retries), signed
with the simulator's code (``scripts/wechat_sim.py``). The server and this function must agree
on the token: ``WECHAT_TOKEN`` in both environments, or pass ``token``.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from connectors.common import BUSY_REPLY
from connectors.wechat_delivery import channel_token
from scripts.wechat_sim import Simulator, text_xml

WEBHOOK = "/webhooks/wechat/webhook"
MESSAGES = ("你好", "身份证丢了补办要带什么", "要多少钱", "谢谢")
WECHAT_TIMEOUT_S = 5.0  # WeChat drops the connection (and retries) after 5 s


def _outcome(status: int, text: str) -> str:
    """Classify a request: "passive" (answered in the reply), "success" (answer left for later) or an error."""
    if status == 0:
        return "timeout"
    if status != 200:
        return f"http_{status}"
    if not text:
        return "success"
    return "busy" if text == BUSY_REPLY else "passive"


def _conversation(url: str, token: str, openid: str, turns: int, messages: Sequence[str]) -> List[Tuple[float, str]]:
    sim = Simulator(url, token, timeout=WECHAT_TIMEOUT_S)
    results = []
    for i in range(turns):
        delivery = sim.post(text_xml(openid, messages[i % len(messages)]), tries=1)
        results.append((delivery.seconds, _outcome(delivery.status, delivery.text)))
    return results


def wechat_latency(
    base_url: str,
    turns: int,
    concurrency: int,
    token: Optional[str] = None,
    messages: Sequence[str] = MESSAGES,
) -> Dict[str, Any]:
    """Drive the WeChat webhook and summarise latency and how many turns were answered passively.

    Args:
        base_url: the Rasa server, e.g. ``http://localhost:5205``.
        turns: measured turns in all, split evenly across the conversations.
        concurrency: simultaneous conversations, each with its own OpenID.
        token: the channel token; default ``WECHAT_TOKEN``, else the development token in ``var/``.
        messages: what each conversation cycles through.

    Returns:
        ``turns``, ``p50_ms``/``p95_ms`` over answered requests (passive or "success"),
        ``passive_fraction`` (passive replies / all turns), outcome counts and wall time.
    """
    url, key = base_url.rstrip("/") + WEBHOOK, token or channel_token()
    per_conversation = max(1, turns // max(concurrency, 1))
    run_id = uuid.uuid4().hex[:6]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(concurrency, 1)) as pool:
        batches = pool.map(
            lambda c: _conversation(url, key, f"o_bench_{run_id}_{c}", per_conversation, messages), range(concurrency)
        )
        results = [r for batch in batches for r in batch]
    wall = time.perf_counter() - started
    answered = [seconds for seconds, outcome in results if outcome in ("passive", "success")]
    outcomes: Dict[str, int] = {}
    for _, outcome in results:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    p50, p95 = (np.percentile(answered, [50, 95]) * 1000).tolist() if answered else (None, None)
    return {
        "turns": len(results),
        "concurrency": concurrency,
        "p50_ms": None if p50 is None else round(p50, 1),
        "p95_ms": None if p95 is None else round(p95, 1),
        "passive_fraction": round(outcomes.get("passive", 0) / len(results), 3) if results else None,
        "outcomes": outcomes,
        "wall_s": round(wall, 3),
    }
