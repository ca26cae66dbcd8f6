"""The lexicon: one file of named word lists, read by govservice.catalog.lexicon and nowhere else."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.actions.newborn_form import parse_field
from govservice.applications.newborn_materials import MARRIAGE_CHOICES, SETTLE_CHOICES
from govservice.applications.states import NEGATIVE_LEVELS, RATING_LEVELS, ApplicationError
from govservice.catalog import lexicon


def test_every_list_is_nonempty_unique_words() -> None:
    """Each list loads as a tuple of distinct non-empty words; groups keep their order."""
    data = lexicon.lexicon()
    assert {"affirm", "deny", "stop", "handoff", "question_marks", "renewal"} <= set(data)
    for name, value in data.items():
        lists = [value] if isinstance(value, tuple) else list(value.values())
        for words in lists:
            if isinstance(words, dict):
                lists.extend(words.values())
                continue
            assert words and len(set(words)) == len(words), name
            assert all(isinstance(word, str) and word.strip() for word in words), name


@pytest.mark.parametrize(
    ("text", "expected"),
    [("确认提交", True), ("好的", True), ("没问题", True), ("對，沒錯", True), ("不对", False),
     ("没确认", False), ("错了", False), ("我的驾照", False)],
)
def test_is_affirmative(text: str, expected: bool) -> None:
    """A yes word counts unless negated; 没问题/没错 are yes despite 没."""
    assert lexicon.is_affirmative(text) is expected


@pytest.mark.parametrize(
    ("text", "question"),
    [("男的能领吗", True), ("要多少钱？", True), ("在哪儿办", True), ("甚麼時候能拿到", True),
     ("11010519491231002X", False), ("张三", False), ("邮寄到家", False)],
)
def test_is_question(text: str, question: bool) -> None:
    """Questions (simplified or traditional) are told from answers such as an ID number or a name."""
    assert lexicon.is_question(text) is question


def test_stop_handoff_and_negative() -> None:
    """取消/不办了/放棄 stop; 转人工/人工客服 ask for a person; 不符合 is a no, 符合 is not."""
    assert all(lexicon.wants_to_stop(t) for t in ("取消", "不办了", "算了吧", "放棄申請"))
    assert not lexicon.wants_to_stop("我要办居住证")
    assert all(lexicon.wants_human(t) for t in ("转人工", "我要人工客服", "轉人工"))
    assert not lexicon.wants_human("工作日几点上班")
    assert lexicon.is_negative("不符合") and not lexicon.is_negative("符合")


def test_choices_map_colloquial_answers_to_the_form_values() -> None:
    """The choice groups' values are exactly the newborn form's values; first match wins."""
    choices = lexicon.groups("choices")
    assert set(choices["marriage"]) == set(MARRIAGE_CHOICES)
    assert set(choices["settle_with"]) == set(SETTLE_CHOICES)
    assert parse_field("marriage", "我们还没领证") == "非婚生育"  # 没领证 before 领证
    assert parse_field("settle_with", "跟媽媽") == "随母"
    assert parse_field("child_gender", "是个儿子") == "男"
    with pytest.raises(ApplicationError):
        parse_field("settle_with", "跟爸爸妈妈都行")  # names both: no answer


def test_rating_levels_come_from_the_lexicon() -> None:
    """The 好差评 levels and the 差评 among them are the lexicon's lists, negative ⊂ all."""
    assert RATING_LEVELS == lexicon.words("rating_levels")
    assert set(NEGATIVE_LEVELS) < set(RATING_LEVELS)


def test_alternation_prefers_longer_words() -> None:
    """The regex alternation tries 姓名是 before 姓名, so "姓名是张三" strips the whole prefix."""
    order = lexicon.alternation("name_prefixes").split("|")
    assert order.index("姓名是") < order.index("姓名")


def test_list_and_group_access_are_distinct() -> None:
    """Asking for a group as a list (or an unknown name) is a KeyError, not a silent empty list."""
    with pytest.raises(KeyError):
        lexicon.words("faq_concepts")
    with pytest.raises(KeyError):
        lexicon.groups("stop")
    with pytest.raises(KeyError):
        lexicon.words("no_such_list")


@pytest.mark.parametrize("bad", [{"stop": []}, {"stop": ["取消", "取消"]}, {"stop": ["取消", ""]}, ["取消"]])
def test_malformed_file_is_rejected(tmp_path: Path, bad: object) -> None:
    """An empty list, a duplicate, an empty word or a non-mapping file is a LexiconError."""
    path = tmp_path / "lexicon.yml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(lexicon.LexiconError):
        lexicon._load(path)
