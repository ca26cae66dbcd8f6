"""How the 一窗 bench judges a reply (bench/eval_bench.py), on made-up entries (never the eval set)."""

from __future__ import annotations

from bench.eval_bench import on_topic, reply_kind, score

ENTRY = {"text": "问", "kind": "gov", "style": "app", "theme": "企业", "department": "SCJG", "item_words": ["设立"]}
ROUTE = "您的问题属于“企业”方面的业务，由示范市市场监督管理局负责。\n咨询电话：0999-88204315"
ITEMS = {"有限责任公司设立登记": "SCJG", "居住证申领": "GA"}


def test_reply_kinds() -> None:
    assert reply_kind("抱歉，这个问题超出了我的服务范围，我只能……") == "out_of_scope"
    assert reply_kind("请问您想了解哪项业务的收费标准？") == "which_item"
    which_with_department = "关于“户口”有以下几种情况，请问您要办理的是哪一项？\n（属于“户籍”方面的业务，由X负责）"
    assert reply_kind(which_with_department) == "answer"
    assert reply_kind("抱歉，我不太确定您的意思。您是不是想问：") == "fallback"
    assert reply_kind(ROUTE) == "answer"


def test_on_topic_needs_the_right_theme_and_department_or_item() -> None:
    assert on_topic(ENTRY, ROUTE, ITEMS)
    assert on_topic(ENTRY, "【有限责任公司设立登记】办理流程：……", ITEMS)  # the item word
    assert on_topic({**ENTRY, "item_words": []}, "【有限责任公司设立登记】办理流程：……", ITEMS)  # its department
    assert not on_topic({**ENTRY, "item_words": []}, "【居住证申领】办理流程：……", ITEMS)
    assert not on_topic({**ENTRY, "item_words": []}, ROUTE.replace("“企业”", "“税务”"), ITEMS)
    assert not on_topic(ENTRY, "抱歉，这个问题超出了我的服务范围", ITEMS)


def test_score_counts_both_readings_of_out_of_scope_precision() -> None:
    entries = [ENTRY, {"text": "笑话", "kind": "not_gov"}, {"text": "天气", "kind": "not_gov"}]
    replies = [ROUTE, "抱歉，这个问题超出了我的服务范围", "今天晴"]
    result = score(entries, replies, ITEMS)
    assert result["on_topic"] == 1.0 and result["gov_out_of_scope"] == 0.0
    assert result["not_gov_out_of_scope"] == 0.5 and result["out_of_scope_precision"] == 1.0
