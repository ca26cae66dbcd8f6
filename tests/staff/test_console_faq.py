"""FAQ editing in the console, reflected at once in the assistant's retrieval; escaping; import and export."""

from __future__ import annotations

import io
import re
from typing import Any, List, Tuple

import pytest
from openpyxl import load_workbook
from sanic import Sanic

from govservice.db import session_scope
from govservice.faq.models import FaqEntry
from govservice.faq.search import ANSWER, answer_question
from tests.staff.console_helpers import ESCAPED, SCRIPT, Console

QUESTION = "示范市萤火虫观测许可证怎么申请"


@pytest.fixture()
def editor(app: Sanic) -> Console:
    console = Console(app)
    assert console.login("faq_editor").status == 303
    return console


def _assistant(db_url: str, text: str) -> Tuple[str, List[int], str]:
    """What the bot's retrieval answers: (kind, entry ids, text)."""
    with session_scope(db_url) as session:
        result = answer_question(session, text)
        return result.kind, result.entry_ids, result.text


def _answered_by(db_url: str, text: str, entry_id: int) -> str:
    """The answer text when the assistant answers ``text`` with ``entry_id``, else ''."""
    kind, ids, answer = _assistant(db_url, text)
    return answer if kind == ANSWER and ids == [entry_id] else ""


def _preview(console: Console, text: str) -> Any:
    return console.get(f"/console/api/preview?q={text}").json


def _create(console: Console, question: str, answer: str, **extra: str) -> int:
    form = {"question": question, "answer": answer, "category": "测试分类", **extra}
    response = console.post("/console/faq/new", form)
    assert response.status == 303, response.text
    return int(re.search(r"/console/faq/(\d+)/edit", response.headers["location"]).group(1))


def _edit(console: Console, entry_id: int, **changes: str) -> Any:
    page = console.get(f"/console/faq/{entry_id}/edit").text
    form = {name: _value(page, name) for name in ("question", "answer", "category", "version", "item_keys")}
    form["similar_questions"] = re.search(r'name="similar_questions"[^>]*>([^<]*)<', page).group(1)
    return console.post(f"/console/faq/{entry_id}/edit", {**form, **changes})


def _value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    if match:
        return match.group(1)
    return re.search(rf'name="{name}"[^>]*>([^<]*)</textarea>', page).group(1)


def test_create_publish_edit_retire_each_change_the_answer_at_once(editor: Console, db_url: str) -> None:
    answer = "在示范市林业局网站在线申请，3个工作日内答复。"
    entry_id = _create(editor, QUESTION, answer, similar_questions="萤火虫观测要审批吗")
    assert not _answered_by(db_url, QUESTION, entry_id)  # a draft is not used

    assert editor.post(f"/console/faq/{entry_id}/publish").headers["location"].endswith("done=published")
    text = _answered_by(db_url, QUESTION, entry_id)
    assert text.startswith("在示范市林业局网站在线申请") and f"FAQ#{entry_id}" in text
    preview = _preview(editor, "萤火虫观测要审批吗")
    assert preview["kind"] == ANSWER and preview["hits"][0]["entry_id"] == entry_id

    assert _edit(editor, entry_id, answer="现已改为在“一网通办”平台申请，即时办结。").status == 303
    assert _answered_by(db_url, QUESTION, entry_id).startswith("现已改为在“一网通办”平台申请")
    assert "现已改为" in editor.get(f"/console/preview?q={QUESTION}").text

    assert editor.post(f"/console/faq/{entry_id}/retire").status == 303
    assert not _answered_by(db_url, QUESTION, entry_id)
    assert all(hit["entry_id"] != entry_id for hit in _preview(editor, QUESTION)["hits"])

    history = editor.get(f"/console/faq/{entry_id}/history").text
    assert [a for a in ("新建", "发布", "编辑", "下线") if a in history] == ["新建", "发布", "编辑", "下线"]
    audit = editor.get("/console/audit").text
    assert f"FAQ#{entry_id}" in audit and "知识库编辑（演示）（faq_editor）" in audit


def test_create_and_publish_in_one_click(editor: Console, db_url: str) -> None:
    response = editor.post("/console/faq/new", {"question": "示范市观鸟证在哪领", "answer": "在市民中心3楼领取。",
                                                "category": "测试分类", "publish": "1"})
    assert response.headers["location"].endswith("done=created_published")
    entry_id = int(response.headers["location"].split("/")[3])
    assert _answered_by(db_url, "示范市观鸟证在哪领", entry_id).startswith("在市民中心3楼领取")


def test_bad_input_shows_the_form_again_with_a_chinese_error(editor: Console) -> None:
    cases = [
        ({"question": "", "answer": "有", "category": "测试"}, "标准问题不能为空"),
        ({"question": "问", "answer": "答", "category": "测试", "effective_from": "2026-13-40"}, "生效日期格式"),
        ({"question": "问", "answer": "答", "category": "测试", "item_keys": "no_such_item"}, "不在事项目录中"),
        ({"question": "问", "answer": "答", "category": "测试", "department_code": "ZZZ"}, "部门代码 ZZZ 不存在"),
        ({"question": "问", "answer": "答" * 6001, "category": "测试"}, "答案不能超过"),
    ]
    for form, message in cases:
        response = editor.post("/console/faq/new", form)
        assert response.status == 400 and message in response.text, message


def test_an_edit_on_an_old_version_is_refused(editor: Console) -> None:
    entry_id = _create(editor, "示范市蝴蝶标本能带出境吗", "需办理检疫证明。")
    assert _edit(editor, entry_id, answer="需向海关申报。").status == 303
    response = _edit(editor, entry_id, answer="另一个人的修改", version="1")
    assert response.status == 409 and "已被他人修改" in response.text


def test_script_in_question_and_answer_is_escaped_everywhere(editor: Console, app: Sanic) -> None:
    question = f"{SCRIPT}萤火虫夜游要报备吗"
    entry_id = _create(editor, question, f"答复{SCRIPT}见公告", similar_questions=SCRIPT + "夜游报备")
    editor.post(f"/console/faq/{entry_id}/publish")
    pages = [
        "/console/faq",
        "/console/faq?q=萤火虫夜游",
        f"/console/faq/{entry_id}/edit",
        f"/console/faq/{entry_id}/history",
        f"/console/preview?q={question}",
        "/console/audit",
    ]
    for path in pages:
        text = editor.get(path).text
        assert SCRIPT not in text and ESCAPED in text, path
    officer = Console(app)
    officer.login("ga_officer")
    listing = officer.get("/console/faq?q=萤火虫夜游").text
    assert SCRIPT not in listing and ESCAPED in listing


def test_csv_and_excel_round_trip(editor: Console, db_url: str) -> None:
    similar = "认养古树\n古树怎么认养"
    entry_id = _create(editor, "示范市古树认养怎么报名", "向园林局提交认养申请表。", similar_questions=similar)
    exported = editor.get("/console/faq/export.csv")
    assert exported.status == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8-sig").replace("向园林局提交认养申请表。", "改为线上报名。")
    report = editor.post("/console/faq/import", files={"file": ("faq.csv", text.encode("utf-8-sig"), "text/csv")})
    assert report.status == 200 and "导入完成" in report.text and "更新1条" in report.text
    with session_scope(db_url) as session:
        entry = session.get(FaqEntry, entry_id)
        assert entry.answer == "改为线上报名。" and entry.similar_questions == ["认养古树", "古树怎么认养"]

    workbook = editor.get("/console/faq/export.xlsx")
    assert workbook.status == 200
    book = load_workbook(io.BytesIO(workbook.content))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("标准问题")].value == "示范市古树认养怎么报名")
    row[header.index("答案")].value = "请到园林局窗口报名。"
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    report = editor.post("/console/faq/import", files={"file": ("faq.xlsx", buffer.getvalue(), xlsx)})
    assert report.status == 200 and "更新1条" in report.text
    with session_scope(db_url) as session:
        assert session.get(FaqEntry, entry_id).answer == "请到园林局窗口报名。"


def test_a_bad_import_changes_nothing_and_says_why(editor: Console) -> None:
    csv = "键,标准问题,答案,分类\n,有问题,,测试\n,另一条,有答案,测试\n".encode()
    report = editor.post("/console/faq/import", files={"file": ("faq.csv", csv, "text/csv")})
    assert report.status == 400 and "导入未执行" in report.text and "第2行：答案不能为空" in report.text
    for name, body in (("faq.txt", b"x"), ("faq.xlsx", b"not a workbook"), ("faq.csv", b"\xff\xfe\x00")):
        response = editor.post("/console/faq/import", files={"file": (name, body, "application/octet-stream")})
        assert response.status == 400 and "Traceback" not in response.text, name
    assert editor.post("/console/faq/import", {}).status == 400
