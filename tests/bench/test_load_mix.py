"""The traffic mix (bench/load_mix.py): messages from the held-out sets, kinds, citizens' cool-down."""

from __future__ import annotations

import random

from bench.load_mix import KINDS, Citizen, CitizenPool, catalog_turns, kind_for, load_messages, plain_text


def test_plain_text_drops_annotations() -> None:
    assert plain_text("换[二代身份证](service)要准备什么东西") == "换二代身份证要准备什么东西"
    assert plain_text('[公積金]{"entity": "service"}提取要哪些材料') == "公積金提取要哪些材料"


def test_messages_come_from_the_holdout_sets_and_not_from_eval() -> None:
    messages = load_messages()
    assert messages.questions and messages.follow_ups and messages.closings and messages.faq
    assert not any("[" in m or "](" in m for m in messages.questions + messages.follow_ups)
    rng = random.Random(1)
    question, follow_up, closing = catalog_turns(messages, rng)
    assert question in messages.questions and follow_up in messages.follow_ups and closing in messages.closings


def test_workers_start_at_different_kinds_and_cycle_through_all() -> None:
    assert kind_for(0, 0) != kind_for(1, 0)
    assert {kind_for(3, s) for s in range(len(KINDS))} == set(KINDS)


def test_a_citizen_gets_one_code_a_minute() -> None:
    pool = CitizenPool([Citizen("1", "甲", "139"), Citizen("2", "乙", "138")], cooldown=60.0)
    first, second = pool.take(100.0), pool.take(100.0)
    assert first is not None and second is not None and first is not second
    assert pool.take(130.0) is None
    again = pool.take(161.0)
    assert again is first
