"""The curated catalog in depth (issue 13): well-formed items, one owner per word, variants that choose.

Covers the themes of the first curated-depth batch (户籍, 身份证, 居住证, 出入境, 交管, 婚姻, 民政,
计划生育, 教育); items of every theme are checked for their shape.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest
import yaml

from govservice.catalog.knowledge import KnowledgeBase, load_knowledge_base
from govservice.catalog.lookup import Catalog

KNOWLEDGE = Path(__file__).resolve().parents[3] / "knowledge_base"
THEMES = ("户籍", "身份证", "居住证", "出入境", "交管", "婚姻", "民政", "计划生育", "教育")
FORMS = {"原件", "复印件", "电子"}
CODE = re.compile(r"^449900-([A-Z]+)-[A-Z]{2}-[0-9]{4}$")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def themes() -> Dict[str, Dict[str, Any]]:
    data = yaml.safe_load((KNOWLEDGE / "themes.yml").read_text(encoding="utf-8"))
    return {theme["theme"]: theme for theme in data["themes"]}


def _my_topics(themes: Dict[str, Dict[str, Any]]) -> Set[str]:
    return {topic for name in THEMES for topic in themes[name].get("topics", [])}


def test_every_item_has_the_shape_of_the_readme(kb: KnowledgeBase) -> None:
    codes = Counter(item["code"] for item in kb.items)
    assert [code for code, n in codes.items() if n > 1] == []
    for item in kb.items:
        key = item["key"]
        match = CODE.match(item["code"])
        assert match and match.group(1) == item["department"], key
        assert item["name"] and item["aliases"] and item["conditions"] and item["process"], key
        assert item["item_type"] in {"行政许可", "行政确认", "公共服务", "行政给付", "其他行政权力"}, key
        assert set(item["applicant_types"]) <= {"自然人", "法人"}, key
        assert 0 <= int(item["promised_limit_days"]) <= int(item["legal_limit_days"]), key
        assert int(item["fee"]) >= 0 and item["fee_note"], key
        # Online items say where; offline ones do not point to a page that cannot be used.
        assert bool(item["online_url"]) == (item["handling"] != "offline"), key
        # Phones live in departments.yml only (tests/govservice/catalog/test_facts.py).
        assert item["consult_phone"] is None, key
        assert "示例" in item["source"], key
        for material in item["materials"]:
            assert material["name"] and material["form"] in FORMS and int(material["count"]) >= 1, key
            assert isinstance(material["commitment_allowed"], bool), key


def test_each_item_of_these_themes_is_under_one_topic_of_its_department(
    kb: KnowledgeBase, themes: Dict[str, Dict[str, Any]]
) -> None:
    listed: Dict[str, List[str]] = defaultdict(list)
    for topic in kb.topics:
        for key in topic["items"]:
            listed[key].append(topic["topic"])
    for name in THEMES:
        theme = themes[name]
        departments = {theme["department"], *theme.get("also", [])}
        for topic in theme.get("topics", []):
            keys = next(t["items"] for t in kb.topics if t["topic"] == topic)
            for key in keys:
                item = kb.item_by_key[key]
                assert listed[key] == [item["topic"]] == [topic], key
                assert item["department"] in departments, key


def test_a_topic_with_several_items_can_tell_them_apart(kb: KnowledgeBase, themes: Dict[str, Dict[str, Any]]) -> None:
    for topic in kb.topics:
        if topic["topic"] not in _my_topics(themes) or len(topic["items"]) < 2:
            continue
        items = [kb.item_by_key[key] for key in topic["items"]]
        variants = [item["variant"] for item in items]
        assert len(set(variants)) == len(variants), topic["topic"]
        assert all(item["variant_keywords"] for item in items), topic["topic"]


def test_no_word_of_these_themes_names_two_things(kb: KnowledgeBase, themes: Dict[str, Dict[str, Any]]) -> None:
    """A topic synonym, a theme keyword and an item alias each mean one thing only."""
    owners: Dict[str, Set[str]] = defaultdict(set)
    for topic in kb.topics:
        for word in [topic["topic"], *topic["synonyms"]]:
            owners[word].add(f"topic:{topic['topic']}")
    for theme in themes.values():
        for word in theme.get("keywords", []):
            owners[word].add(f"theme:{theme['theme']}")
    for item in kb.items:
        # An item may carry its own topic's name (生育登记 is both).
        owners[item["name"]].add(f"topic:{item['topic']}" if item["name"] == item["topic"] else f"item:{item['key']}")
        for word in item["aliases"]:
            owners[word].add(f"item:{item['key']}")
    mine = {f"topic:{t}" for t in _my_topics(themes)} | {f"theme:{t}" for t in THEMES}
    mine |= {f"item:{i['key']}" for i in kb.items if i["topic"] in _my_topics(themes)}
    shared = {word: who for word, who in owners.items() if len(who) > 1 and who & mine}
    assert shared == {}


@pytest.mark.parametrize(
    ("mentions", "text", "expected"),
    [
        (["投靠"], "我老婆想投靠我落户", "hukou_spouse_join"),
        (["投靠"], "爸妈退休了想投靠子女", "hukou_elder_join"),
        (["投靠"], "孩子投靠父母落户要什么", "hukou_child_join"),
        (["户口信息更正"], "户口本上出生日期写错了", "hukou_birthdate_fix"),
        (["改名"], "想给孩子改个名字", "name_change_minor"),
        (["驾照坏了"], "驾照坏了看不清，要换证", "driving_licence_damaged"),
        (["机动车驾驶证"], "驾照下个月到期", "driving_licence_renew"),
        (["车辆过户"], "二手车过户要带什么", "vehicle_transfer"),
        (["报废车"], "报废车怎么注销", "vehicle_deregistration"),
        (["上牌"], "刚买的新车怎么上牌", "vehicle_registration"),
        (["结婚证丢了"], "结婚证丢了怎么补", "marriage_cert_reissue"),
        (["离婚证丢了"], "离婚证丢了怎么补", "divorce_cert_reissue"),
        (["护照丢了"], "护照丢了怎么补办", "passport_reissue"),
        (["换护照"], "护照快到期了想换护照", "passport_renew"),
        (["残疾人证"], "残疾证丢了怎么办", "disability_certificate_lost"),
        (["残疾人证"], "户口迁过来了残疾证怎么迁移", "disability_certificate_transfer"),
        (["残疾人证"], "第一次办残疾证", "disability_certificate"),
        (["港澳签注"], "港澳签注要多少钱", "hk_macao_endorsement"),
        (["往来港澳通行证"], "港澳通行证怎么办", "hk_macao_pass"),
        (["普通护照"], "护照", "passport_issue"),
        (["低保"], "低保怎么申请", "subsistence_allowance"),
        (["奖扶"], "奖扶金什么时候发", "rural_family_planning_reward"),
        (["小升初"], "小升初怎么报名", "junior_school_enrollment"),
    ],
)
def test_words_and_variants_pick_the_item(catalog: Catalog, mentions, text, expected) -> None:  # type: ignore[no-untyped-def]
    resolution = catalog.resolve(mentions, text)
    assert resolution.item is not None and resolution.item.key == expected


def test_a_bare_topic_with_several_items_asks_which(catalog: Catalog) -> None:
    resolution = catalog.resolve(["残疾人证"], "残疾证")
    assert resolution.ambiguous and len(resolution.candidates) == 5
    assert catalog.resolve(["投靠"], "投靠").ambiguous
