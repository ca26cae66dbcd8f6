"""Curated items of 社保, 养老, 就业, 医保, 公积金, 不动产, 企业 and 税务: the words citizens use pick the item.

A topic with several items (住房公积金 has eleven) must not answer a reason-specific question with the
generic item or a list of buttons: the reason word ("租房", "离职", "还房贷") decides.
"""

from __future__ import annotations

import pytest

from govservice.catalog.knowledge import load_knowledge_base
from govservice.catalog.lookup import Catalog


@pytest.mark.parametrize(
    ("mentions", "text", "expected"),
    [
        (["住房公积金"], "公积金提取要什么材料", "hpf_withdrawal"),
        (["住房公积金"], "租房想把公积金取出来，具体流程是怎样的", "hpf_rent_withdrawal"),
        (["住房公积金"], "买房可以提取公积金吗", "hpf_purchase_withdrawal"),
        (["住房公积金"], "离职了公积金能取出来吗", "hpf_resign_withdrawal"),
        (["住房公积金"], "退休了公积金怎么取", "hpf_retirement_withdrawal"),
        (["住房公积金"], "用公积金还房贷怎么弄", "hpf_repay_withdrawal"),
        (["住房公积金"], "公积金能贷多少钱", "hpf_loan"),
        (["住房公积金"], "换工作到外地公积金怎么转移", "hpf_transfer"),
        (["住房公积金"], "公司怎么给员工开公积金账户", "hpf_unit_open"),
        (["住房公积金"], "公积金余额怎么查", "hpf_account_query"),
        (["社会保障卡"], "我的社保卡密码忘记了怎么办", "ss_card_password"),
        (["社会保障卡"], "社保卡丢了怎么补办", "social_security_card"),
        (["社会保险"], "社保怎么转到外地", "insurance_transfer"),
        (["社会保险"], "辞职了社保怎么停", "insurance_stop"),
        (["社会保险"], "社保交了几年怎么查", "insurance_record"),
        (["养老保险"], "农村老人60岁怎么领养老金", "resident_pension_claim"),
        (["养老保险"], "退休了怎么领养老金", "pension_claim"),
        (["退休办理"], "提前退休需要什么条件", "early_retirement"),
        (["社会保险"], "社保断缴了能补缴吗", "insurance_back_payment"),
        (["医疗保险"], "医保怎么报销", "medical_reimbursement"),
        (["医疗保险"], "城乡居民医保怎么交", "medical_insurance_enrol"),
        (["失业保险金"], "怎么领失业金", "unemployment_benefit"),
        (["医疗保险"], "医保关系转到外地", "medical_transfer"),
        (["医疗保险"], "职工医保怎么参保", "employee_medical_enrol"),
        (["医保报销"], "住院报销怎么弄", "medical_reimbursement"),
        (["不动产登记"], "新房怎么办房产证", "real_estate_new_home"),
        (["不动产登记"], "房产证丢了怎么补办", "real_estate_certificate_lost"),
        (["不动产登记"], "父母去世房产继承过户", "real_estate_inheritance"),
        (["抵押登记"], "房贷还完了怎么解押", "real_estate_mortgage_release"),
        (["企业注销"], "公司注销流程", "company_deregistration"),
        (["营业执照"], "营业执照丢了怎么补", "business_licence_lost"),
        (["个人所得税"], "个税汇算怎么退税", "iit_annual_settlement"),
        (["个人所得税", "纳税记录"], "个税完税证明怎么开", "tax_record_certificate"),
        (["生育假期"], "育儿假怎么休", "maternity_leave_info"),
    ],
)
def test_citizen_words_pick_the_item(catalog: Catalog, mentions, text, expected) -> None:
    resolution = catalog.resolve(mentions, text)
    assert resolution.item is not None, [c.key for c in resolution.candidates]
    assert resolution.item.key == expected


def test_a_bare_topic_offers_its_items_instead_of_guessing(catalog: Catalog) -> None:
    resolution = catalog.resolve(["社会保障卡"], "社保卡")
    assert resolution.ambiguous
    assert {i.key for i in resolution.candidates} == {"social_security_card", "ss_card_loss", "ss_card_password"}


def test_every_curated_item_is_in_its_topic_and_has_material_and_source() -> None:
    kb = load_knowledge_base()
    members = {topic["topic"]: set(topic["items"]) for topic in kb.topics}
    assert len(kb.items) >= 89
    for item in kb.items:
        assert item["key"] in members[item["topic"]], item["key"]
        assert item["materials"] and item["conditions"] and item["source"], item["key"]
        assert item["promised_limit_days"] <= item["legal_limit_days"], item["key"]
        assert (item["online_url"] is None) == (item["handling"] == "offline"), item["key"]
