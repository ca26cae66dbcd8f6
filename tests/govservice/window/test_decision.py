"""The window's decision: question sentences of long posts, policy questions, and what kind of answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import pytest

from govservice.catalog.models import ServiceItem
from govservice.faq.search import ANSWER, NONE, SUGGEST, FaqAnswer
from govservice.window import decision as window


@dataclass
class Found:
    """A stand-in for item identification's result (only item and candidates are read)."""

    item: Optional[ServiceItem] = None
    candidates: List[ServiceItem] = field(default_factory=list)


def nothing(_: str) -> Found:
    return Found()


def no_faq(_: str) -> FaqAnswer:
    return FaqAnswer(NONE)


def decide(text: str, *, out_of_scope: bool = True, identify=nothing, faq=no_faq) -> window.Decision:  # type: ignore[no-untyped-def]
    return window.decide(text, identify=identify, faq=faq, nlu_out_of_scope=out_of_scope)


POST = (
    "尊敬的领导：您好！我是外省来这边打工的，在这里已经连续交了四年社保，孩子今年七岁。"
    "请问我家孩子能不能在这边上小学？需要准备哪些材料？麻烦尽快答复，万分感谢！"
)


def test_a_long_post_is_reduced_to_its_question_sentences() -> None:
    question = window.focus(POST)
    assert "上小学" in question and "材料" in question
    assert "尊敬" not in question and "感谢" not in question and "打工" not in question


def test_a_bare_follow_up_question_is_about_the_sentence_before_it_not_the_background() -> None:
    post = (
        "您好，我在本市工作三年了，公司一直给我交公积金。最近孩子要上小学了。"
        "听说随迁子女可以积分入学，请问怎么办理，要带什么材料？谢谢"
    )
    assert window.focus(post) == "听说随迁子女可以积分入学，请问怎么办理，要带什么材料"


def test_a_greeting_in_front_of_a_request_is_dropped() -> None:
    assert window.focus("您好，在线办理居住证") == "在线办理居住证"
    assert window.focus("你好呀，我想把户口迁过来") == "我想把户口迁过来"


def test_numbered_sub_questions_are_sentences() -> None:
    parts = window.sentences("想咨询两个问题：1、公积金能不能提取 2、提取要多久")
    assert parts[-2:] == ["公积金能不能提取", "提取要多久"]
    assert window.sentences("补贴是3.5万元吗") == ["补贴是3.5万元吗"]  # a decimal point is no list number


def test_only_pleasantries_is_a_greeting() -> None:
    assert decide("您好！在吗？").kind == window.GREETING


@pytest.mark.parametrize(
    "text",
    [
        "生育津贴的发放标准什么时候能提高",
        "为什么人才补贴的政策改了",
        "低保标准能不能调高一点",
        "陪产假能不能再延长几天",
        "高龄津贴明年会不会涨",
        "为什么这种进口药不在医保目录里",
    ],
)
def test_policy_questions(text: str) -> None:
    assert window.is_policy(text)
    decision = decide(text)
    assert decision.kind == window.POLICY and decision.theme is not None and decision.is_miss


@pytest.mark.parametrize(
    "text",
    ["生育津贴怎么领", "低保申请要什么条件", "公积金贷款额度是多少", "预约了能不能取消", "公积金什么时候到账",
     "为什么我的公积金提取不了", "能否加急办理", "营业执照经营范围怎么变更"],
)
def test_ordinary_questions_are_not_policy(text: str) -> None:
    assert not window.is_policy(text)


def test_a_government_question_without_item_or_faq_is_routed_by_theme_even_if_the_nlu_says_out_of_scope() -> None:
    decision = decide("我跟朋友想合伙开个公司", out_of_scope=True)
    assert decision.kind == window.ROUTE and decision.theme is not None and decision.theme.department == "SCJG"
    assert decision.is_miss


def test_out_of_scope_needs_no_government_signal_and_the_nlus_word() -> None:
    assert decide("周末去哪里爬山比较好", out_of_scope=True).kind == window.OUT_OF_SCOPE
    assert decide("周末去哪里爬山比较好", out_of_scope=False).kind == window.FALLBACK


def test_an_identified_item_is_answered_with_the_aspect_asked(catalog) -> None:  # type: ignore[no-untyped-def]
    item = catalog.get("residence_permit")
    decision = decide("您好，居住证办下来要多久", identify=lambda _: Found(item=item))
    assert decision.kind == window.ITEM and decision.item is item and decision.aspect == "time_limit"
    assert decision.theme is not None and decision.theme.name == "居住证" and not decision.is_miss


def test_faq_comes_after_the_item_and_before_routing(catalog) -> None:  # type: ignore[no-untyped-def]
    answer = FaqAnswer(ANSWER, "答案")
    assert decide("社保卡密码忘了", faq=lambda _: answer).kind == window.FAQ
    item = catalog.get("social_security_card")
    assert decide("社保卡密码忘了", identify=lambda _: Found(item=item), faq=lambda _: answer).kind == window.ITEM


def test_close_candidates_are_offered_and_queued(catalog) -> None:  # type: ignore[no-untyped-def]
    candidates = [catalog.get("hukou_move_in"), catalog.get("hukou_move_out")]
    decision = decide("户口迁移怎么弄", identify=lambda _: Found(candidates=candidates))
    assert decision.kind == window.CHOOSE and decision.candidates == candidates and decision.is_miss


def test_faq_suggestions_only_without_a_theme() -> None:
    suggest = FaqAnswer(SUGGEST, "您是不是想问：")
    assert decide("网上办事怎么注册账号", faq=lambda _: suggest, out_of_scope=False).kind == window.ROUTE
    assert decide("那个东西咋弄", faq=lambda _: suggest, out_of_scope=False).is_suggestion


def test_aspect_of_a_question() -> None:
    assert window.aspect_of("要带啥材料") == "materials"
    assert window.aspect_of("去哪里办") == "location"
    assert window.aspect_of("随便问问") == "overview"


def test_every_word_list_of_the_window_is_read() -> None:
    vocabulary = window.words()
    for name in window.Words.__dataclass_fields__:
        assert getattr(vocabulary, name), name
