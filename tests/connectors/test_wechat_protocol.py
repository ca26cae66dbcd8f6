"""Pure protocol functions against the official vectors and hostile input."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict

import pytest

from connectors import wechat_protocol as proto

# A verbatim copy of public test vectors (sources and licences inside the file and in tests/VECTORS.md).
VECTORS_PATH = Path(__file__).with_name("wechat_vectors.json")


@pytest.fixture(scope="module")
def vectors() -> Dict[str, Any]:
    return json.loads(VECTORS_PATH.read_text())["vectors"]


def test_plain_signature_vector(vectors: Dict[str, Any]) -> None:
    v = vectors["plain_mode_url_signature"]["from_source"]
    assert proto.check_signature(v["token"], v["signature_valid"], v["timestamp"], v["nonce"])
    assert not proto.check_signature(v["token"], v["signature_invalid"], v["timestamp"], v["nonce"])
    assert not proto.check_signature(v["token"], "", v["timestamp"], v["nonce"])


def test_sorted_sha1_signer_vector(vectors: Dict[str, Any]) -> None:
    v = vectors["wechatsigner_sorted_sha1"]["from_source"]
    assert proto.sign(*v["inputs"]) == v["signature"]


def test_echostr_msg_signature_and_decryption(vectors: Dict[str, Any]) -> None:
    c = vectors["wechatpy_crypto"]["from_source"]
    e = c["url_verify_echostr"]
    assert proto.check_msg_signature(c["token"], e["msg_signature"], e["timestamp"], e["nonce"], e["echostr"])
    wrong_nonce = e["negative_case"]["nonce"]
    assert not proto.check_msg_signature(c["token"], e["msg_signature"], e["timestamp"], wrong_nonce, e["echostr"])
    expected = vectors["wechatpy_crypto"]["derived_by_us"]["url_verify_echostr_decrypted"]
    assert proto.decrypt(c["encoding_aes_key"], c["app_id_or_corp_id"], e["echostr"]) == expected


def test_encrypted_reply_matches_vector_byte_for_byte(vectors: Dict[str, Any]) -> None:
    c = vectors["wechatpy_crypto"]["from_source"]
    r = c["encrypt_reply"]
    out = proto.encrypted_reply(
        c["token"], c["encoding_aes_key"], c["app_id_or_corp_id"], r["plaintext_xml"], r["nonce"], r["timestamp"],
        random_prefix=r["fixed_random_16"],
    )
    assert out == r["expected_encrypted_xml"]


def test_incoming_encrypted_message_verifies_decrypts_and_maps(vectors: Dict[str, Any]) -> None:
    c = vectors["wechatpy_crypto"]["from_source"]
    d = c["decrypt_incoming"]
    ciphertext = proto.parse_xml(d["post_body_xml"])["Encrypt"]
    assert proto.check_msg_signature(c["token"], d["msg_signature"], d["timestamp"], d["nonce"], ciphertext)
    inner = proto.decrypt(c["encoding_aes_key"], c["app_id_or_corp_id"], ciphertext)
    assert inner == vectors["wechatpy_crypto"]["derived_by_us"]["decrypt_incoming_plaintext_xml"]
    inbound = proto.to_inbound(proto.parse_xml(inner), proto.DEFAULT_MENU)
    assert (inbound.text, inbound.sender) == (d["expect_fields"]["Content"], d["expect_fields"]["FromUserName"])
    assert inbound.dedup_key == "msg:4363689963896700987"


def test_decrypt_refuses_another_app_id(vectors: Dict[str, Any]) -> None:
    c = vectors["wechatpy_crypto"]["from_source"]
    with pytest.raises(proto.InvalidMessage):
        proto.decrypt(c["encoding_aes_key"], "wx_someone_else", c["url_verify_echostr"]["echostr"])
    with pytest.raises(proto.InvalidMessage):
        proto.decrypt(c["encoding_aes_key"], c["app_id_or_corp_id"], "not base64 at all!!")


@pytest.mark.parametrize("case", ["case1", "case2"])
def test_tencent_sample_encrypts_and_round_trips(vectors: Dict[str, Any], case: str) -> None:
    t = vectors["tencent_official_sample"]
    s = t["from_source"]
    ciphertext = proto.encrypt(s["encoding_aes_key"], s["app_id"], s[case]["plaintext"], s["fixed_random_16"])
    assert ciphertext == s[case]["encrypt"]
    assert proto.decrypt(s["encoding_aes_key"], s["app_id"], ciphertext) == s[case]["plaintext"]
    if case == "case2":
        expected = t["derived_by_us"]["case2_msg_signature_for_timestamp_1409304348_nonce_xxxxxx"]
        assert proto.sign(s["token"], s["timestamp"], s["nonce"], ciphertext) == expected


def test_random_prefix_differs_between_encryptions(vectors: Dict[str, Any]) -> None:
    s = vectors["tencent_official_sample"]["from_source"]
    key, app = s["encoding_aes_key"], s["app_id"]
    assert proto.encrypt(key, app, "x") != proto.encrypt(key, app, "x")


def test_stale_timestamps_are_not_fresh() -> None:
    now = 1_700_000_000.0
    assert proto.is_fresh(str(int(now) - 10), now, 300)
    assert not proto.is_fresh(str(int(now) - 301), now, 300)
    assert not proto.is_fresh("yesterday", now, 300)
    assert proto.is_fresh("1", now, 0)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + ']><xml><Content>&lol9;</Content></xml>'
)


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
        "<xml><!-- hi --><Content>x</Content></xml>",
        "<xml><Content>unclosed</xml>",
        "not xml at all",
        "<other><Content>x</Content></other>",
        "<xml>just text</xml>",
        b"\xff\xfe<\x00x\x00",
        "",
    ],
    ids=["billion-laughs", "xxe", "comment", "unclosed", "text", "wrong-root", "no-fields", "utf16", "empty"],
)
def test_hostile_or_malformed_xml_is_refused_quickly(body: Any) -> None:
    started = time.monotonic()
    with pytest.raises(proto.InvalidMessage):
        proto.parse_xml(body)
    assert time.monotonic() - started < 0.1


def test_cdata_terminator_in_reply_cannot_break_out() -> None:
    xml = proto.text_reply_xml("openid", "gh_account", "a]]></Content><MsgType>news</MsgType>b", 1)
    fields = proto.parse_xml(xml)
    assert fields["Content"] == "a]]></Content><MsgType>news</MsgType>b"
    assert fields["MsgType"] == "text"


def test_long_text_is_split_under_2048_bytes_at_line_boundaries() -> None:
    lines = [f"第{i}项：申请人须提交居民身份证原件及复印件一份。" for i in range(200)]
    parts = proto.split_text("\n".join(lines))
    assert len(parts) > 1
    assert all(len(p.encode("utf-8")) <= proto.MAX_TEXT_BYTES for p in parts)
    assert all(p.endswith("。") for p in parts)  # every cut fell on a line end
    assert "\n".join(parts) == "\n".join(lines)


def test_text_without_boundaries_is_cut_at_character_boundaries() -> None:
    text = "证" * 1500 + "😀" * 300
    parts = proto.split_text(text)
    assert all(len(p.encode("utf-8")) <= proto.MAX_TEXT_BYTES for p in parts)
    assert "".join(parts) == text


def test_sentence_boundary_preferred_when_no_line_break() -> None:
    text = "".join(f"这是第{i}句话，内容较长需要拆分。" for i in range(300))
    parts = proto.split_text(text)
    assert len(parts) > 1 and all(p.endswith("。") for p in parts[:-1])


def test_short_text_is_one_part() -> None:
    assert proto.split_text("  你好  ") == ["你好"]
    assert proto.split_text("") == []


def test_buttons_become_numbered_choices_and_numbers_map_back() -> None:
    buttons = [{"title": "首次申领", "payload": '/inform{"case":"first"}'}, {"title": "补领", "payload": "/lost"}]
    text, choices = proto.render_buttons("请问您是哪种情况？", buttons)
    assert text == f"请问您是哪种情况？\n1. 首次申领\n2. 补领\n{proto.CHOICE_HINT}"
    assert proto.pick_choice("1", choices) == '/inform{"case":"first"}'
    assert proto.pick_choice(" ２。", choices) == "/lost"
    assert proto.pick_choice("3", choices) is None
    assert proto.pick_choice("0", choices) is None
    assert proto.pick_choice("1个", choices) is None


def _fields(**extra: str) -> Dict[str, str]:
    return {"ToUserName": "gh_acc", "FromUserName": "o_user", "CreateTime": "1700000000", **extra}


def test_message_types_map_to_bot_messages() -> None:
    menu = {"HELP": "help"}
    text = proto.to_inbound(_fields(MsgType="text", Content="你好", MsgId="1"), menu)
    assert (text.text, text.dedup_key, text.is_event) == ("你好", "msg:1", False)
    voice = proto.to_inbound(_fields(MsgType="voice", MediaId="m", Recognition="身份证怎么办", MsgId="2"), menu)
    assert voice.text == "身份证怎么办"
    mute = proto.to_inbound(_fields(MsgType="voice", MediaId="m", MsgId="3"), menu)
    assert (mute.text, mute.reply) == (None, proto.VOICE_REPLY)
    image = proto.to_inbound(_fields(MsgType="image", MediaId="media-1", PicUrl="http://p/1.jpg", MsgId="4"), menu)
    assert image.text == "/upload_material"
    assert image.metadata["attachment"] == {"type": "image", "media_id": "media-1", "url": "http://p/1.jpg"}
    place = _fields(MsgType="location", Location_X="23.13", Location_Y="113.26", Scale="15", Label="天河区", MsgId="5")
    where = proto.to_inbound(place, menu)
    assert where.text == "/find_hall"
    assert where.metadata["location"] == {"latitude": 23.13, "longitude": 113.26, "label": "天河区", "scale": "15"}
    video = proto.to_inbound(_fields(MsgType="video", MediaId="v", MsgId="6"), menu)
    assert (video.text, video.reply) == (None, proto.UNSUPPORTED_REPLY)


def test_events_map_to_welcome_silence_or_intents() -> None:
    menu = {"HELP": "help"}
    follow = proto.to_inbound(_fields(MsgType="event", Event="subscribe"), menu)
    assert (follow.text, follow.reply, follow.is_event) == (None, proto.WELCOME_REPLY, True)
    assert follow.dedup_key == "event:o_user:1700000000:subscribe:"
    leave = proto.to_inbound(_fields(MsgType="event", Event="unsubscribe"), menu)
    assert (leave.text, leave.reply) == (None, None)
    click = proto.to_inbound(_fields(MsgType="event", Event="CLICK", EventKey="HELP"), menu)
    assert (click.text, click.metadata["menu_key"]) == ("/help", "HELP")
    assert click.dedup_key == "event:o_user:1700000000:click:HELP" != follow.dedup_key
    unknown = proto.to_inbound(_fields(MsgType="event", Event="CLICK", EventKey="NOPE"), menu)
    assert unknown.reply == proto.UNKNOWN_MENU_REPLY


def test_message_without_sender_is_invalid() -> None:
    with pytest.raises(proto.InvalidMessage):
        proto.to_inbound({"MsgType": "text", "Content": "x"}, {})


def test_a_citizen_may_type_markup_characters_inside_cdata() -> None:
    # "<!" inside the text was refused as DOCTYPE markup (found by the reply fuzz); outside CDATA it still is.
    typed = "<!-- 你好 <!DOCTYPE"
    assert proto.parse_xml(f"<xml><Content><![CDATA[{typed}]]></Content></xml>")["Content"] == typed
    with pytest.raises(proto.InvalidMessage):
        proto.parse_xml("<xml><![CDATA[a]]><!-- c --></xml>")
