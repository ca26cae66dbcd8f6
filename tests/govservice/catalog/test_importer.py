"""The importer on the whole published Guangdong catalog: records, parsed fields, certificate links, seeding."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Callable, Dict, Iterator

import pytest
import yaml
from sqlalchemy.orm import Session

from govservice.applications.forms import plan_application
from govservice.applications.materials_check import HELD, UPLOAD, check_materials
from govservice.applications.states import ApplicationError
from govservice.catalog import guide, nlu_export
from govservice.catalog.import_fields import CertificateLinker
from govservice.catalog.importer import ImportResult, ImportSource, import_file, load_sources
from govservice.catalog.knowledge import KnowledgeBase, KnowledgeBaseError, load_knowledge_base
from govservice.catalog.lookup import Catalog
from govservice.catalog.models import Material, ServiceItem
from govservice.clock import office_date
from govservice.db import session_scope
from govservice.seed import init_db
from tests.databases import Databases

RECORDS = 2262  # lines of knowledge_base/imported/guangdong_catalog_2021.jsonl
LINKED_FLOOR = 380  # measured: 388 of the 3,434 material names are a certificate type of certificate_types.yml
ZHANG = "11010519491231002X"  # demo citizen: 居民身份证, 居民户口簿, ... in the certificate library
LAW_EXAM = "gd_1144000000694016742440109015000"  # 对司法部关于法律职业资格认定的初审、复审 (广东省司法厅)
PASSPORT = "gd_11440100007483172Q3440106042001"  # 办理及加注普通护照 (广州市公安局)
SPORTS_CENTRE = "gd_11440000006940124N2442128052000"  # 奥体中心场馆开放查询: four phones, no materials
TECH_SCHOOL = "gd_11440000553612461J244011110400003"  # 技工学校终止办学: a limit in calendar days
PRICE_REPORT = "gd_11440000006939756B2440101007000"  # the file's first record: seven kinds of service object


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def source() -> ImportSource:
    (found,) = load_sources()
    return found


@pytest.fixture(scope="module")
def result(source: ImportSource, kb: KnowledgeBase) -> ImportResult:
    return import_file(source, CertificateLinker(kb.certificate_types))


@pytest.fixture(scope="module")
def items(result: ImportResult) -> Dict[str, Dict]:
    return {item.key: {**item.columns, "materials": item.materials} for item in result.items}


@pytest.fixture(scope="module")
def db_url(databases: Databases, kb: KnowledgeBase) -> Iterator[str]:
    url = databases.create("imported")
    init_db(url, kb, faq=False)
    yield url
    databases.drop(url)


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    with session_scope(db_url) as s:
        yield s


def test_the_whole_file_is_imported(source: ImportSource, result: ImportResult) -> None:
    assert source.path.parent.name == "imported" and source.path.exists()  # read from the repository only
    assert len(source.path.read_text(encoding="utf-8").splitlines()) == RECORDS
    assert result.problems == []
    assert len(result.items) == len({item.key for item in result.items}) == RECORDS
    assert {item.columns["layer"] for item in result.items} == {"imported"}
    assert {(item.columns["source"], item.columns["source_date"]) for item in result.items} == {
        ("广东省政务服务网", "2021")
    }
    departments = {item.columns["department_name"] for item in result.items}
    assert len(departments) == 177 and "广东省司法厅" in departments


def test_materials_limits_place_phone_and_objects_of_a_real_record(items: Dict[str, Dict]) -> None:
    law = items[LAW_EXAM]
    assert law["name"] == "对司法部关于法律职业资格认定的初审、复审" and law["department_name"] == "广东省司法厅"
    assert [(m.name, m.certificate_type) for m in law["materials"]] == [
        ("法律职业资格申请表", None),
        ("居民身份证", "居民身份证"),
        ("高等学校毕业证书", None),
        ("居民户口簿", "居民户口簿"),
    ]
    assert (law["legal_limit_days"], law["legal_limit_text"]) == (20, "20个工作日")
    assert (law["promised_limit_days"], law["promised_limit_text"]) == (1, "1个工作日")
    assert law["window_address"] == "广州市白云区政民路51号15楼法律职业资格管理处1524房"
    assert law["phones"] == ["020-86350683"] and law["consult_phone"] == "020-86350683"
    assert law["service_objects"] == ["自然人"] and law["applicant_types"] == ["自然人"]
    assert law["handling"] == "both" and law["item_type"] == "行政许可"
    assert law["conditions"][:3] == [
        "符合以下全部条件的人员，可以报名参加国家统一法律职业资格考试：",
        "具有中华人民共和国国籍",
        "拥护中华人民共和国宪法，享有选举权和被选举权",
    ]


def test_service_objects_map_to_natural_and_legal_persons(items: Dict[str, Dict]) -> None:
    price = items[PRICE_REPORT]
    assert price["service_objects"] == [
        "自然人",
        "企业法人",
        "事业法人",
        "社会组织法人",
        "非法人企业",
        "行政机关",
        "其他组织",
    ]
    assert price["applicant_types"] == ["自然人", "法人"]
    assert [m.name for m in price["materials"]] == ["提价申报申请报告"]
    assert (price["legal_limit_text"], price["promised_limit_text"]) == ("30个工作日", "7个工作日")


def test_published_oddities_are_kept_honest(items: Dict[str, Dict]) -> None:
    sports = items[SPORTS_CENTRE]  # 无 materials, 无 legal limit, four phones with their venues
    assert sports["materials"] == [] and sports["conditions"] == []
    assert (sports["legal_limit_days"], sports["legal_limit_text"]) == (0, "办事指南未载明")
    assert sports["phones"] == [
        "020-32091828",
        "020-32091838（奥体网球中心）",
        "020-32091751（奥体中心游泳馆）",
        "020-82169763（奥体体育场）",
    ]
    school = items[TECH_SCHOOL]
    assert (school["legal_limit_days"], school["legal_limit_text"]) == (91, "91个自然日")
    online_only = [i for i in items.values() if i["window_address"] is None and i["handling"] == "online"]
    assert len(online_only) >= 800  # 816 records say 无线下办理窗口


def test_certificate_links_where_names_match(result: ImportResult, items: Dict[str, Dict], kb: KnowledgeBase) -> None:
    assert result.linked_materials >= LINKED_FLOOR
    types = {c["name"] for c in kb.certificate_types}
    linked = [m for item in result.items for m in item.materials if m.certificate_type]
    assert {m.certificate_type for m in linked} <= types
    assert {"居民身份证", "居民户口簿", "营业执照", "出生医学证明", "社会保障卡"} <= {
        m.certificate_type for m in linked
    }
    passport = {m.name: m.certificate_type for m in items[PASSPORT]["materials"]}
    assert passport["出生医学证明"] == "出生医学证明" and passport["广东省居住证"] == "居住证"
    assert passport["未满16周岁申请人的监护人身份证"] is None  # someone else's card is not in the applicant's library
    assert passport["我市户籍居民的外省户籍配偶关系交验结婚证"] is None


def _write(path: Path, lines: list) -> None:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n")


GOOD = {
    "TASK_CODE": "TEST0001",
    "TASK_NAME": "测试事项",
    "DEPT_NAME": "测试厅",
    "service_object_name": ["自然人"],
    "handle_time": "20(工作日)",
    "handle_time_limit": "5(工作日)",
    "material_intro": ["居民身份证"],
    "handle_location": "办理地点：测试路1号",
    "consult_phone": "020-12345678",
    "ONLINECHECK": "0",
}


def test_bad_records_are_reported_not_fatal(tmp_path: Path, source: ImportSource, kb: KnowledgeBase) -> None:
    path = tmp_path / "export.jsonl"
    _write(
        path,
        [
            GOOD,
            "{not json",
            {**GOOD, "TASK_CODE": "TEST0002", "TASK_NAME": " "},
            {**GOOD, "TASK_CODE": "TEST0003", "handle_time": "看情况"},
            {**GOOD, "TASK_NAME": "同一编码"},
            ["not", "an", "object"],
            {**GOOD, "TASK_CODE": "TEST0004", "service_object_name": []},
            {**GOOD, "TASK_CODE": "TEST0005", "material_intro": "见附件"},
        ],
    )
    result = import_file(replace(source, path=path), CertificateLinker(kb.certificate_types))
    assert [item.key for item in result.items] == ["gd_TEST0001"]
    assert result.items[0].columns["handling"] == "offline"
    assert [str(p) for p in result.problems] == [
        "第2行：不是有效的JSON",
        "第3行（事项编码 TEST0002）：缺少事项名称（TASK_NAME）",
        "第4行（事项编码 TEST0003）：无法识别的办结时限“看情况”",
        "第5行（事项编码 TEST0001）：事项编码与第1行重复",
        "第6行：记录不是JSON对象",
        "第7行（事项编码 TEST0004）：缺少服务对象",
        "第8行（事项编码 TEST0005）：申请材料（material_intro）应为材料名称列表",
    ]


def test_all_records_are_seeded_beside_the_curated_items(session: Session, kb: KnowledgeBase) -> None:
    imported = session.query(ServiceItem).filter(ServiceItem.layer == "imported")
    assert imported.count() == RECORDS
    assert session.query(ServiceItem).filter(ServiceItem.layer == "curated").count() == len(kb.items)
    linked = (
        session.query(Material)
        .join(ServiceItem)
        .filter(ServiceItem.layer == "imported", Material.certificate_type.isnot(None))
        .count()
    )
    assert linked >= LINKED_FLOOR
    item = session.get(ServiceItem, LAW_EXAM)
    assert item is not None and item.department.code == "GDZWFW" and item.department_name == "广东省司法厅"
    assert [m.position for m in item.materials] == [1, 2, 3, 4]


def test_materials_check_works_on_an_imported_item(session: Session) -> None:
    item = session.get(ServiceItem, LAW_EXAM)
    check = check_materials(session, item, ZHANG, office_date())
    statuses = {m.name: m.status for m in check.materials}
    assert statuses == {
        "法律职业资格申请表": UPLOAD,
        "居民身份证": HELD,
        "居民户口簿": HELD,
        "高等学校毕业证书": UPLOAD,
    }


def test_imported_answers_name_their_source_and_date(session: Session) -> None:
    item = session.get(ServiceItem, LAW_EXAM)
    for aspect in guide.ASPECTS:
        text = guide.answer(item, aspect)
        assert "以上信息来自广东省政务服务网 2021 年公布的办事指南" in text and guide.DISCLAIMER not in text
        assert len(text.encode()) < 2048
    location = guide.answer(item, "location")
    assert "由广东省司法厅办理" in location and "020-86350683" in location and "政民路51号" in location
    assert "办事指南未载明" in guide.answer(item, "fee")
    curated = session.get(ServiceItem, "id_card_lost")
    assert guide.DISCLAIMER in guide.answer(curated, "fee") and "广东省政务服务网" not in guide.answer(curated, "fee")


def test_long_published_guides_fit_one_chat_bubble(session: Session) -> None:
    longest = max(
        session.query(ServiceItem).filter(ServiceItem.layer == "imported"),
        key=lambda i: sum(len(c) for c in i.conditions),
    )
    text = guide.answer(longest, "conditions")
    assert len(text.encode()) < 2048 and text.endswith(guide.source_note(longest))
    assert "……（" in text and longest.conditions[0] in text


def test_a_record_named_like_a_curated_item_does_not_shadow_it(
    tmp_path: Path, new_database: Callable[[str], str], source: ImportSource, kb: KnowledgeBase
) -> None:
    curated = kb.item_by_key["id_card_lost"]
    path = tmp_path / "duplicate.jsonl"
    _write(path, [{**GOOD, "TASK_NAME": curated["name"]}, {**GOOD, "TASK_CODE": "TEST0009", "TASK_NAME": "另一事项"}])
    url = new_database("duplicate")
    init_db(url, kb, faq=False, imported=[replace(source, path=path, key_prefix="t")])
    catalog = Catalog.load(url)
    assert len(catalog.items) == len(kb.items) + 2
    assert catalog.resolve([curated["name"]]).item.key == "id_card_lost"
    assert catalog.get("t_TEST0001").duplicate_of == "id_card_lost"
    assert catalog.get("t_TEST0009").duplicate_of is None


def test_imported_items_stay_out_of_the_nlu_data(tmp_path: Path, kb: KnowledgeBase, items: Dict[str, Dict]) -> None:
    curated = {name for item in kb.items for name in [item["name"], *item.get("aliases", [])]}
    imported_only = {i["name"] for i in items.values()} - curated
    nlu_export.write_all(kb, jieba_dir=tmp_path / "jieba", nlu_file=tmp_path / "generated.yml")
    words = set(nlu_export.service_words(kb)) | set(nlu_export.dictionary_words(kb))
    assert not imported_only & words
    generated = yaml.safe_load((tmp_path / "generated.yml").read_text(encoding="utf-8"))
    examples = {
        line[2:].strip()
        for part in generated["nlu"]
        for line in str(part.get("examples", "")).splitlines()
        if line.startswith("- ")
    }
    assert len(examples) > len(kb.items) and not imported_only & examples
    jieba = {
        line.split()[0] for path in (tmp_path / "jieba").iterdir() for line in path.read_text().splitlines() if line
    }
    assert len(jieba) > len(kb.items) and not imported_only & jieba


def test_an_imported_item_is_not_applied_for_here(session: Session) -> None:
    item = session.get(ServiceItem, LAW_EXAM)
    with pytest.raises(ApplicationError) as refused:
        plan_application(session, item, ZHANG)
    assert str(refused.value).startswith("「对司法部关于法律职业资格认定的初审、复审」由广东省司法厅办理")
    assert "本平台暂不受理该事项的在线申请" in str(refused.value) and str(item.online_url) in str(refused.value)


def test_a_broken_source_list_says_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources:\n  - file: missing.jsonl\n    key_prefix: x\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="第1项缺少字段 'source'"):
        load_sources(tmp_path)
    entry = "  - {file: missing.jsonl, key_prefix: x, source: 某省, source_date: '2024', department: %s}\n"
    department = "{code: X, name: 某省, window_address: 无, office_hours: 无, consult_phone: '12345'}"
    (tmp_path / "sources.yml").write_text("sources:\n" + entry % department, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="文件 missing.jsonl 不存在"):
        load_sources(tmp_path)
    assert load_sources(tmp_path / "none") == []  # no list: nothing imported
