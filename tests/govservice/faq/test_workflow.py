"""The FAQ editing workflow: versions, audit, validation, staff search, CSV/Excel, seeding, PostgreSQL."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Callable

import pytest

from govservice.db import session_scope
from govservice.faq.io import (
    export_csv,
    export_excel,
    import_csv,
    import_excel,
    load_seed_entries,
    read_csv,
    seed_faq,
)
from govservice.faq.models import DRAFT, PUBLISHED, RETIRED, FaqEntry
from govservice.faq.workflow import (
    FaqError,
    create_entry,
    entry_history,
    list_audit,
    list_entries,
    publish_entry,
    retire_entry,
    set_status,
    update_entry,
)
from tests.govservice.faq.helpers import fields, fresh_db


@pytest.fixture()
def url(new_database: Callable[[str], str]) -> str:
    return fresh_db(new_database)


def test_each_step_writes_a_version_and_an_audit_row(url: str) -> None:
    with session_scope(url) as session:
        entry_id = create_entry(session, "编辑甲", fields()).id
        update_entry(session, entry_id, "编辑乙", answer="周一闭馆。")
        publish_entry(session, entry_id, "编辑乙")
        retire_entry(session, entry_id, "管理员")
    with session_scope(url) as session:
        versions = entry_history(session, entry_id)
        assert [(v.version, v.action, v.changed_by) for v in versions] == [
            (1, "create", "编辑甲"),
            (2, "edit", "编辑乙"),
            (3, "publish", "编辑乙"),
            (4, "retire", "管理员"),
        ]
        assert versions[1].changes == ["answer"]
        assert versions[0].snapshot["answer"].startswith("示范市图书馆周一闭馆")
        assert versions[1].snapshot["answer"] == "周一闭馆。"
        assert [v.snapshot["status"] for v in versions] == [DRAFT, DRAFT, PUBLISHED, RETIRED]
        audit = list_audit(session, target_type="faq_entry", target_id=entry_id)
        assert [a.action for a in audit] == ["faq_retire", "faq_publish", "faq_edit", "faq_create"]
        assert audit[2].actor == "编辑乙" and "答案" in audit[2].detail
        assert session.get(FaqEntry, entry_id).version == 4


def test_saving_unchanged_fields_adds_no_version(url: str) -> None:
    with session_scope(url) as session:
        entry = create_entry(session, "编辑甲", fields())
        update_entry(session, entry.id, "编辑甲", answer=entry.answer + "  ")
        assert len(entry_history(session, entry.id)) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"question": "   "}, "标准问题不能为空"),
        ({"answer": ""}, "答案不能为空"),
        ({"category": ""}, "请填写分类"),
        ({"question": "问" * 201}, "标准问题不能超过200字"),
        ({"department_code": "NOPE"}, "部门代码 NOPE 不存在"),
        ({"item_keys": ["id_card_lost", "no_such_item"]}, "事项 no_such_item 不在事项目录中"),
        (
            {"effective_from": datetime.date(2026, 2, 1), "expires_on": datetime.date(2026, 1, 1)},
            "失效日期不能早于生效日期",
        ),
    ],
)
def test_invalid_fields_are_refused_in_chinese(url: str, overrides: dict, message: str) -> None:
    with session_scope(url) as session, pytest.raises(FaqError, match=message):
        create_entry(session, "编辑甲", fields(**overrides))


def test_duplicates_and_bad_keys_are_refused(url: str) -> None:
    with session_scope(url) as session:
        first = create_entry(session, "编辑甲", fields(), key="library_monday")
        with pytest.raises(FaqError, match=f"已有相同的标准问题：FAQ#{first.id}"):
            create_entry(session, "编辑甲", fields(question="示范市图书馆星期一开门吗"))
        with pytest.raises(FaqError, match="已被使用"):
            create_entry(session, "编辑甲", fields(question="另一个问题"), key="library_monday")
        with pytest.raises(FaqError, match="只能由小写字母"):
            create_entry(session, "编辑甲", fields(question="另一个问题"), key="Bad Key")
        with pytest.raises(FaqError, match="不能修改的字段：status"):
            update_entry(session, first.id, "编辑甲", status="published")
        with pytest.raises(FaqError, match="已是“草稿”状态"):
            set_status(session, first.id, DRAFT, "编辑甲")
    with session_scope(url) as session, pytest.raises(FaqError, match="缺少操作人"):
        create_entry(session, " ", fields(question="第三个问题"))


def test_similar_questions_are_cleaned(url: str) -> None:
    similar = ["图书馆周一开不开", " 图书馆周一开不开？", "", "示范市图书馆星期一开门吗", "周一能借书吗"]
    with session_scope(url) as session:
        entry = create_entry(session, "编辑甲", fields(similar_questions=similar))
        assert entry.similar_questions == ["图书馆周一开不开", "周一能借书吗"]


def test_staff_list_filters_and_matches_traditional_characters(url: str) -> None:
    with session_scope(url) as session:
        library = create_entry(session, "编辑甲", fields())
        museum = fields(question="博物馆要预约吗？", similar_questions=[], answer="免费，须预约。", category="旅游")
        create_entry(session, "编辑甲", museum)
        publish_entry(session, library.id, "编辑甲")
        assert [e.id for e in list_entries(session, "圖書館")] == [library.id]
        assert [e.question for e in list_entries(session, category="旅游")] == ["博物馆要预约吗？"]
        assert [e.id for e in list_entries(session, status=PUBLISHED)] == [library.id]


def test_csv_round_trip_updates_creates_and_rejects_all_or_nothing(url: str) -> None:
    with session_scope(url) as session:
        entry = create_entry(session, "编辑甲", fields(), key="library_monday")
        publish_entry(session, entry.id, "编辑甲")
        exported = export_csv(session)
    assert exported.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0][:4] == ["键", "标准问题", "相似问法", "答案"] and rows[1][9] == "已发布"
    rows[1][3] = "周一闭馆，节假日照常开放。"
    rows.append(
        [
            "",
            "图书馆能办借书证吗？",
            "怎么办借书证\n借书证在哪办",
            "凭身份证免费办理。",
            "公共文化",
            "",
            "",
            "",
            "",
            "草稿",
            "",
            "",
            "",
        ]
    )
    with session_scope(url) as session:
        report = import_csv(session, _csv(rows), "编辑乙")
        assert (report.updated, len(report.created), report.errors) == (["library_monday"], 1, [])
        created = session.query(FaqEntry).filter_by(question="图书馆能办借书证吗？").one()
        assert created.similar_questions == ["怎么办借书证", "借书证在哪办"] and created.status == DRAFT
    again = read_csv(_csv(rows))
    assert again[0]["answer"] == "周一闭馆，节假日照常开放。"
    rows[2][3] = ""
    rows.append(["", "", "", "只有答案", "公共文化", "", "", "", "", "", "", "", ""])
    with session_scope(url) as session:
        report = import_csv(session, _csv(rows), "编辑乙")
        assert report.errors == ["第3行：答案不能为空", "第4行：标准问题不能为空"]
        assert session.query(FaqEntry).count() == 2


def _csv(rows: list) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def test_excel_round_trip_into_another_database(url: str, new_database: Callable[[str], str]) -> None:
    with session_scope(url) as session:
        entry = create_entry(session, "编辑甲", fields(answer='=HYPERLINK("x") 不是公式'), key="library_monday")
        publish_entry(session, entry.id, "编辑甲")
        create_entry(session, "编辑甲", fields(question="博物馆要预约吗？", item_keys=["id_card_lost"]))
        workbook = export_excel(session)
    other = fresh_db(new_database)
    with session_scope(other) as session:
        report = import_excel(session, workbook, "编辑乙")
        assert len(report.created) == 2 and report.errors == []
    with session_scope(other) as session:
        copied = {e.key: e for e in session.query(FaqEntry)}
        assert copied["library_monday"].answer == '=HYPERLINK("x") 不是公式'
        assert copied["library_monday"].status == PUBLISHED
        assert copied["library_monday"].similar_questions == ["图书馆周一开不开", "图书馆休息日是哪天"]
        assert [e.item_keys for e in copied.values() if e.key != "library_monday"] == [["id_card_lost"]]


def test_unreadable_files_get_a_chinese_error(url: str) -> None:
    with session_scope(url) as session:
        with pytest.raises(FaqError, match="无法读取 Excel 文件"):
            import_excel(session, b"not a workbook", "编辑甲")
        with pytest.raises(FaqError, match="缺少“标准问题”或“答案”列"):
            import_csv(session, b"a,b\n1,2\n", "编辑甲")


def test_seeding_is_idempotent_and_keeps_staff_edits(url: str) -> None:
    seeds = load_seed_entries()
    assert len(seeds) >= 150
    with session_scope(url) as session:
        assert seed_faq(session) == len(seeds)
    with session_scope(url) as session:
        entry = session.query(FaqEntry).filter_by(key="hall_hours").one()
        update_entry(session, entry.id, "编辑甲", answer="临时调整：本周六不开放。")
        assert seed_faq(session) == 0
    with session_scope(url) as session:
        assert session.query(FaqEntry).count() == len(seeds)
        assert session.query(FaqEntry).filter_by(status=PUBLISHED).count() == len(seeds)
        assert session.query(FaqEntry).filter_by(key="hall_hours").one().answer == "临时调整：本周六不开放。"
        categories = {e.category for e in session.query(FaqEntry)}
        assert len(categories) >= 10


def test_models_and_workflow_on_postgresql(postgres_url: str) -> None:
    from govservice.faq.search import answer_question
    from govservice.faq.unanswered import enqueue, resolve_as_similar
    from govservice.seed import init_db

    fresh_db_url = postgres_url
    init_db(fresh_db_url, faq=False)
    with session_scope(fresh_db_url) as session:
        assert seed_faq(session) >= 150
        entry = create_entry(session, "编辑甲", fields(department_code="GA", item_keys=["id_card_lost"]))
        publish_entry(session, entry.id, "编辑甲")
    with session_scope(fresh_db_url) as session:
        assert answer_question(session, "示范市图书馆星期一开门吗").entry_ids == [entry.id]
        queued = enqueue(session, "图书馆周一几点关门，我电话13800138000", names=["张三"])
        assert queued is not None and "13800138000" not in queued.text
        resolve_as_similar(session, queued.id, entry.id, "编辑甲")
    with session_scope(fresh_db_url) as session:
        assert len(entry_history(session, entry.id)) == 3
        assert session.get(FaqEntry, entry.id).similar_questions[-1].startswith("图书馆周一几点关门")
