"""Item identification by retrieval: normalisation, typos, traditional characters, aliases,
ambiguity, nothing, curated-over-imported ties and speed at catalog scale."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, List

import pytest

from govservice.catalog import Catalog
from govservice.retrieval import ItemIndex, Match, normalize


def test_normalize_folds_traditional_full_width_case_and_punctuation() -> None:
    assert normalize("身份證　丟了，怎麼辦？") == "身份证丢了怎么办"
    assert normalize("ＡＢＣ１２３驾照！") == "abc123驾照"
    assert normalize("") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份证丢了怎么补办", "id_card_lost"),
        ("公积金提取要什么材料", "hpf_withdrawal"),
        ("您好，在线办理居住证", "residence_permit"),
    ],
)
def test_a_clear_message_identifies_one_item(catalog: Catalog, text: str, expected: str) -> None:
    identification = catalog.identify(text)
    assert identification.item is not None and identification.item.key == expected
    assert identification.candidates == []
    assert identification.matches[0].key == expected


def test_traditional_characters_find_the_same_item(catalog: Catalog) -> None:
    simplified = catalog.identify("身份证丢了怎么补办")
    traditional = catalog.identify("身份證丟了怎麼補辦")
    assert traditional.item is not None and simplified.item is not None
    assert traditional.item.key == simplified.item.key == "id_card_lost"


def test_a_typo_in_the_item_name_still_finds_it(catalog: Catalog) -> None:
    # 身分证 for 身份证 and 补领 spelled out in full: the item's own name, one character off.
    identification = catalog.identify("居民身分证补领")
    assert identification.item is not None and identification.item.key == "id_card_lost"


def test_ambiguous_topic_offers_its_items_as_candidates(catalog: Catalog) -> None:
    identification = catalog.identify("身份证多少钱")
    assert identification.item is None
    assert {i.key for i in identification.candidates} == {"id_card_first", "id_card_renew", "id_card_lost"}


def test_nothing_fits_a_message_about_no_item(catalog: Catalog) -> None:
    for text in ["今天天气怎么样", "给我讲个笑话", "", "？？？"]:
        identification = catalog.identify(text)
        assert identification.item is None and identification.candidates == []


def test_scores_lie_between_zero_and_one_best_first(catalog: Catalog) -> None:
    matches = catalog.index.search("我的驾照快到期了需要更换，在哪里换，要带什么", limit=10)
    assert matches and all(isinstance(m, Match) and 0 < m.score <= 1 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def _item(key: str, name: str, layer: str, aliases: List[str] | None = None) -> Any:
    return SimpleNamespace(
        key=key, name=name, aliases=aliases or [], topic=name, variant_keywords=[], materials=[], layer=layer
    )


def test_a_curated_item_wins_a_tie_with_an_imported_one() -> None:
    items = [_item("imported_x", "居住证签注", "imported"), _item("curated_x", "居住证签注", "curated")]
    catalog = Catalog(items, [])
    assert [m.key for m in catalog.index.search("居住证签注怎么办")] == ["curated_x", "imported_x"]
    identification = catalog.identify("居住证签注怎么办")
    assert identification.item is not None and identification.item.key == "curated_x"


def test_search_stays_fast_at_catalog_scale() -> None:
    """2,500 items with distinct names: the slowest of 50 searches well under the 20 ms target."""
    subjects = ["身份证", "驾驶证", "护照", "营业执照", "公积金", "社保卡", "居住证", "户口", "医保", "不动产"]
    actions = ["补领", "换领", "注销", "变更", "提取", "转移", "备案", "登记", "年检", "查询"]
    items = [
        _item(f"k{n}", f"{subjects[n % 10]}{actions[n // 10 % 10]}第{n}号事项", "imported") for n in range(2500)
    ]
    index = ItemIndex.build(items, [])
    index.search("预热")
    timings = []
    for n in range(50):
        started = time.perf_counter()
        matches = index.search(f"您好，请问{subjects[n % 10]}{actions[n % 7]}要带什么材料，第{n * 37}号")
        timings.append(time.perf_counter() - started)
        assert matches
    assert max(timings) < 0.05
