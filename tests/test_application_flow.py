"""The online application over the running servers (marker: server): the README script, cancel, resume."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Tuple

import pytest
import sqlalchemy

from tests.rest_client import login, say, session_of

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[1]


def applications_of(sender: str) -> list:
    engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text("SELECT number FROM applications WHERE sender = :s"), {"s": sender}).all()
    engine.dispose()
    return [r[0] for r in rows]


def demo_citizen(offset: int) -> Tuple[str, str, str]:
    """A demo citizen with a valid 居民身份证, other than 张三 and 李四 (they log in elsewhere)."""
    engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])
    query = """SELECT p.id_number, p.name, p.phone FROM persons p JOIN certificates c ON c.holder_id = p.id_number
               WHERE c.type_name = '居民身份证' AND c.status = '有效' AND p.name NOT IN ('张三', '李四')
               ORDER BY p.id_number LIMIT 1 OFFSET :o"""
    with engine.connect() as conn:
        row = conn.execute(sqlalchemy.text(query), {"o": offset}).one()
    engine.dispose()
    return row[0], row[1], row[2]


def test_readme_application_script_runs_end_to_end(zhang) -> None:
    sender = zhang[0]
    run = subprocess.run(
        [sys.executable, "scripts/demo_apply.py", "--sender", sender, "--session", str(session_of(sender))],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=os.environ.copy(),
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    assert "居民身份证 —— ✅ 免提交" in out and "办件编号" in out
    assert "【办件通知】" in out and "已办结" in out
    assert "感谢您对办件" in out
    assert out.rstrip().rsplit("助手:", 1)[-1].count("居住证") >= 1  # the new 居住证 is listed
    assert len(applications_of(sender)) == 1


def test_question_mid_form_then_resume_then_cancel_then_restart() -> None:
    id_number, name, phone = demo_citizen(0)
    sender = f"form-{uuid.uuid4().hex[:8]}"
    replies = login(sender, id_number, name, phone, first="我要办居住证")
    assert "登录成功" in replies[-1] and "现在开始在线申请" in replies[-1]  # the request resumed after login
    assert "申请条件" in replies[-1]
    answer = say(sender, "居住证要多少钱？")
    assert "工本费" in answer and "继续" in answer and "申请条件" in answer  # answered, then asked again
    assert "自动填写" in say(sender, "符合")
    cancelled = say(sender, "算了不办了")
    assert "取消" in cancelled and applications_of(sender) == []
    restarted = say(sender, "我要办居住证")
    assert "现在开始在线申请" in restarted and "申请条件" in restarted
