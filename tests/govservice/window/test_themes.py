"""themes.yml: every government field is found from its own words, topic synonyms and the item named."""

from __future__ import annotations

import pytest

from govservice.catalog import facts
from govservice.window.themes import Theme, Themes, load_themes, themes


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("个人缴的社保怎么停掉", "社保"),
        ("想跟朋友合伙开个公司", "企业"),
        ("产假一共能休多少天", "生育"),
        ("行驶证丢了去哪补", "交管"),
        ("独生子女父母的奖励扶助怎么领", "计划生育"),
        ("公積金銷戶提取要什麼", "公积金"),  # traditional characters
        ("娃明年上小学要准备啥", "教育"),  # a topic synonym (上小学) of 入学报名
        ("住院报销比例是多少", "医保"),
        ("楼下烧烤油烟太大找谁", "城市管理"),
        ("我今年刚好60岁 有啥优待政策吗", "养老退休"),  # found chatting: was 退役军人 (优待证)
    ],
)
def test_theme_of_a_message(text: str, theme: str) -> None:
    match = themes().theme_of(text)
    assert match is not None and match.theme.name == theme, (text, match)


def test_no_theme_for_everyday_talk() -> None:
    for text in ("明天会不会下雨", "讲个笑话吧", "这双鞋打折吗"):
        assert themes().theme_of(text) is None, text


def test_the_identified_items_topic_settles_a_close_call() -> None:
    # "证明" words alone say little; the item's topic (居民身份证) decides.
    match = themes().theme_of("开个证明", item_topic="居民身份证")
    assert match is not None and match.theme.name == "身份证"


def test_an_imported_item_without_a_curated_topic_is_placed_by_its_department() -> None:
    match = themes().theme_of("这个事项怎么办", item_topic="未知主题", item_department="SW")
    assert match is not None and match.theme.department == "SW"


def test_longer_words_claim_their_characters_first() -> None:
    found = themes().cues_in("社保卡密码忘了")
    assert ("社保卡密码", "社保") in found and not any(word == "社保" for word, _ in found)


def test_every_theme_names_a_real_department_and_a_policy_channel() -> None:
    departments = facts.departments()
    loaded = load_themes()
    assert len(loaded.themes) >= 27
    for theme in loaded.themes:
        assert theme.department in departments and set(theme.also) <= set(departments), theme.name
        assert theme.policy, theme.name


def test_a_small_theme_set_ties_go_to_the_first_theme() -> None:
    first, second = Theme("甲", "GA", keywords=("证明",)), Theme("乙", "MZ", keywords=("证明",))
    match = Themes([first, second], {}).theme_of("开证明")
    assert match is not None and match.theme is first


def test_a_hotline_number_inside_a_phone_number_is_no_theme_word() -> None:
    assert themes().theme_of("我的电话13912345678") is None
    match = themes().theme_of("打12345能投诉吗")
    assert match is not None and match.theme.name == "政务服务"


def test_a_mistyped_word_still_finds_its_theme_when_nothing_else_does() -> None:
    for text, theme in (("社宝卡丢了咋整", "社保"), ("准生正还要办吗", "生育")):
        match = themes().theme_of(text)
        assert match is not None and match.theme.name == theme, text
    assert themes().typo_cues_in("今天天气真不错啊") == []


def test_no_word_belongs_to_two_themes_or_repeats_a_topic_synonym() -> None:
    import yaml

    from govservice import settings

    topics = yaml.safe_load((settings.current().knowledge_base / "topics.yml").read_text(encoding="utf-8"))["topics"]
    synonyms = {word for topic in topics for word in [topic["topic"], *topic["synonyms"]]}
    seen: dict = {}
    for theme in load_themes().themes:
        for word in theme.keywords:
            assert word not in synonyms, (theme.name, word)
            assert word not in seen, (word, seen.get(word), theme.name)
            seen[word] = theme.name
