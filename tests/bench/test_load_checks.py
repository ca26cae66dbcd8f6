"""The checks after a load level (bench/load_checks.py) on made-up turns and trackers."""

from __future__ import annotations

from bench.load_checks import (
    by_conversation,
    exactly_once,
    order_check,
    server_errors,
    stored_form,
    tracker_report,
    upstream_errors,
)
from bench.load_run import Sent
from bot.tracker_store import HIDDEN

ID_NUMBER = "11010519491231002X"


def test_stored_form_follows_the_redacting_store() -> None:
    assert stored_form("身份证丢了怎么补办", False) == "身份证丢了怎么补办"
    assert stored_form("张三", True) == HIDDEN
    assert ID_NUMBER not in stored_form(f"我的身份证号是{ID_NUMBER}", False)


def test_every_turn_in_order_passes() -> None:
    sent = [("你好", False, True), ("张三", True, True), ("谢谢", False, True)]
    assert order_check(sent, ["你好", HIDDEN, "谢谢"]) == {"ok": True, "missing": 0, "unexpected": 0}


def test_a_lost_or_reordered_turn_fails() -> None:
    sent = [("你好", False, True), ("要多少钱", False, True), ("谢谢", False, True)]
    assert order_check(sent, ["你好", "谢谢"])["missing"] == 1
    swapped = order_check(sent, ["你好", "谢谢", "要多少钱"])
    assert not swapped["ok"]
    assert order_check(sent, ["你好", "要多少钱", "谢谢", "谢谢"])["unexpected"] == 1


def test_any_message_may_be_stored_hidden_but_a_login_answer_must_be() -> None:
    # 法人账户怎么开 starts the company login, so the next question is typed at a sensitive prompt.
    sent = [("法人账户怎么开", False, True), ("在哪取号", False, True)]
    assert order_check(sent, ["法人账户怎么开", HIDDEN])["ok"]
    assert not order_check([("张三", True, True)], ["张三"])["ok"]


def test_a_login_answer_may_be_masked_when_its_prompt_was_lost() -> None:
    # 我有哪些证照 timed out and was never processed, so the ID number arrived with no form asking.
    sent = [("我有哪些证照", False, False), (ID_NUMBER, True, True)]
    assert order_check(sent, [stored_form(ID_NUMBER, False)])["ok"]
    assert not order_check(sent, [ID_NUMBER])["ok"]


def test_a_turn_that_failed_at_the_client_may_be_missing_or_present() -> None:
    sent = [("你好", False, True), ("要多少钱", False, False), ("谢谢", False, True)]
    assert order_check(sent, ["你好", "谢谢"])["ok"]
    assert order_check(sent, ["你好", "要多少钱", "谢谢"])["ok"]


def _sent(sender: str, text: str, outcome: str = "ok", private: bool = False) -> Sent:
    return Sent(sender, "rest", "catalog", text, private, outcome, 0.1)


def test_tracker_report_counts_conversations() -> None:
    sent = [_sent("a", "你好"), _sent("b", "你好"), _sent("a", "谢谢"), _sent("c", "在吗")]
    assert by_conversation(sent)["a"] == [("你好", False, True), ("谢谢", False, True)]
    trackers = {
        "a": {"events": [{"event": "session_started"}, {"event": "user", "text": "你好"},
                         {"event": "bot", "text": "您好"}, {"event": "user", "text": "谢谢"}]},
        "b": {"events": []},
        "c": None,
    }
    report = tracker_report(sent, trackers)
    examples = report.pop("examples")
    assert report == {"conversations": 3, "in_order": 1, "unreadable": 1, "missing_turns": 1, "unexpected": 0,
                      "ok": False}
    assert examples == [{"sender": "b", "sent": ["你好"], "answered": [True], "stored": []}]


def test_server_errors_count_only_5xx() -> None:
    sent = [_sent("a", "x", "http_502"), _sent("a", "y", "busy"), _sent("a", "z", "http_404"), _sent("a", "w")]
    assert server_errors(sent) == 1


def test_exactly_once() -> None:
    good = exactly_once(["N1", "N2"], {"N1": 1, "N2": 1}, {"s1": 1, "s2": 1, "s3": 0})
    assert good["ok"] and good["in_database"] == 2
    assert exactly_once(["N1", "N2"], {"N1": 1}, {"s1": 1, "s2": 0})["missing"] == 1
    assert exactly_once(["N1"], {"N1": 2}, {"s1": 2})["repeated"] == 1
    doubled = exactly_once(["N1"], {"N1": 1}, {"s1": 2})
    assert not doubled["ok"] and doubled["senders_with_two"] == 1
    assert not exactly_once(["N1", "N1"], {"N1": 1}, {"s1": 1})["ok"]


def test_upstream_errors_read_the_door_log() -> None:
    lines = [
        '2026-12-02T18:50:01+00:00 127.0.0.1 "POST /webhooks/rest/webhook HTTP/1.1" 200 127.0.0.1:5530 200 0.412',
        '2026-12-02T18:50:02+00:00 127.0.0.1 "POST /webhooks/rest/webhook HTTP/1.1" 200 127.0.0.1:5531 502 0.002',
        '2026-12-02T18:50:03+00:00 127.0.0.1 "POST /webhooks/rest/webhook HTTP/1.1" 200 '
        '127.0.0.1:5530, 127.0.0.1:5531 504, 200 10.1',
        '2026-12-02T18:50:04+00:00 127.0.0.1 "GET / HTTP/1.1" 404 127.0.0.1:5590 404 0.003',
    ]
    assert upstream_errors(lines) == 2
