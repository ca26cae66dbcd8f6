"""Field parsers of the importer: time limits, conditions, place, phones, certificate links."""

from __future__ import annotations

import pytest

from govservice.catalog.import_fields import (
    CertificateLinker,
    RecordError,
    TimeLimit,
    is_blank,
    parse_conditions,
    parse_phones,
    parse_place,
    parse_time_limit,
)
from govservice.catalog.knowledge import KnowledgeBase, load_knowledge_base


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.mark.parametrize(
    ("material", "linked"),
    [
        ("身份证复印件", "居民身份证"),
        ("中华人民共和国结婚证", "结婚证"),
        ("企业营业执照或法人证书", "营业执照"),
        ("户籍所在地公安局证明、户口簿", "居民户口簿"),
        ("参保人社会保障卡或银行存折/借记卡", "社会保障卡"),
        ("身份证（正反面）", "居民身份证"),
        ("代办人身份证原件或社会保障卡原件", None),
        ("身份证明", None),
        ("有效身份证件", None),
        ("中华人民共和国残疾人证申请表", None),
        ("非中文驾驶证的中文翻译文本", None),
    ],
)
def test_linker_matches_names_not_words(kb: KnowledgeBase, material: str, linked: str | None) -> None:
    assert CertificateLinker(kb.certificate_types).link(material) == linked


def test_field_parsers() -> None:
    assert parse_time_limit("30(工作日)") == TimeLimit(30, "工作日")
    assert parse_time_limit("90(自然日)").text == "90个自然日"
    assert parse_time_limit("15个工作日") == TimeLimit(15, "工作日")
    assert parse_time_limit("即办").text == "即办（当场办结）"
    assert parse_time_limit("无") == TimeLimit(None)
    with pytest.raises(RecordError, match="无法识别的办结时限"):
        parse_time_limit("视情况而定")
    assert parse_place("办理地点：广州市越秀区农林下路72号") == "广州市越秀区农林下路72号"
    assert parse_place("无线下办理窗口") is None
    assert parse_phones("(8620)2236 0123") == ["020-22360123"]
    assert parse_phones("拨打12348或020-86350683") == ["12348", "020-86350683"]
    assert parse_phones("020-38356454转1") == ["020-38356454-1"]
    assert parse_conditions("申请条件：1、年满18周岁；2、无犯罪记录。") == ["申请条件：", "年满18周岁", "无犯罪记录。"]
    assert parse_conditions("高度1.5米以上的，须经审批。") == ["高度1.5米以上的，须经审批。"]
    assert parse_conditions("无。") == [] and parse_conditions("无条件受理") == ["无条件受理"]


def test_blank_fields() -> None:
    assert all(is_blank(v) for v in (None, "", " 无 ", "无。", "暂无"))
    assert not any(is_blank(v) for v in ("无条件受理", "0", ["无"]))
