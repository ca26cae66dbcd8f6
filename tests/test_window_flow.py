"""一窗 through the running stack: government questions outside the curated items are never turned away.

The questions are written for this test (not taken from tests/eval): matters the curated catalog
has no item for, short app-style and long message-board style. Each must name its theme's
department or its phone (a routing reply, a "which item?", an FAQ answer) or be the guide of an item
of that department, and
none may get "超出了我的服务范围"; everyday messages must get it.
"""

from __future__ import annotations

import re
import uuid
from typing import Optional, Tuple

import pytest

from govservice.catalog import facts
from govservice.catalog.lookup import Catalog
from govservice.window.themes import themes
from tests.rest_client import say

pytestmark = pytest.mark.server

OUT_OF_SCOPE = "超出了我的服务范围"

SHORT: Tuple[Tuple[str, str], ...] = (
    ("企业年报逾期没报会怎么样", "企业"),
    ("公司要改经营范围去哪办", "企业"),
    ("产假到底能休几天", "生育"),
    ("单位倒闭了失业保险金怎么领", "就业失业"),
    ("行驶证坏了能补吗", "交管"),
    ("独生子女奖励扶助今年怎么报", "计划生育"),
    ("个税汇算的退税多久到账", "税务"),
    ("被老板拖欠了三个月工资找哪里", "就业失业"),
    ("公租房排队一般要排多久", "住房保障"),
    ("小区旁边有人搭违建没人管", "城市管理"),
    ("请不起律师能申请法律援助吗", "法律服务"),
    ("退伍老兵的优待证在哪办", "退役军人"),
    ("孩子打疫苗要提前约吗", "医疗卫生"),
    ("工伤认定需要多长时间", "社保"),
    ("低保每个月能领多少钱", "民政"),
    ("职称评审一般几月份申报", "人才"),
    ("想用公积金贷款买二手房最多能贷到多少", "公积金"),
    ("离婚冷静期是多少天", "婚姻"),
    ("你好，网约车驾驶员证考试在哪报名", "交通出行"),
    ("工厂半夜排废气很呛人向哪里反映", "生态环境"),
)

LONG: Tuple[Tuple[str, str], ...] = (
    ("尊敬的领导您好！我前几年和两个同学合伙开了一家小贸易公司，主要做五金配件批发，这两年生意一直不好，"
     "去年下半年开始基本没有经营了，账上也没有什么钱。现在我们几个股东商量好了不想再做了。"
     "请问公司注销要走哪些程序？简易注销需要满足什么条件？谢谢！", "企业"),
    ("您好，我爱人下个月就到预产期了，我在一家私企上班，已经工作六年了。之前听同事说男方也有假期，"
     "可以在家照顾老婆孩子。想咨询一下，男方的陪产假一共有几天？单位人事说没有这个假，"
     "我应该找哪个部门反映？盼回复。", "生育"),
    ("领导好，我母亲今年七十二岁，有高血压和糖尿病好多年了，每个月都要在社区医院拿药，花费不少，"
     "家里负担挺重的。听邻居说可以办门诊慢特病，报销比例会高一些。请问门特怎么申请，在哪里申请，"
     "需要医院开什么证明？麻烦了。", "医保"),
    ("你好，我家的房子是五年前贷款买的，上个月房贷已经全部还清了，银行也给了结清证明。"
     "但是房子上面还有抵押登记，以后想卖房的话会有影响。请问注销抵押需要本人去吗，"
     "要准备什么东西，去哪里办，大概要几天？谢谢您的解答。", "不动产"),
    ("尊敬的教育部门领导：我是外地来这里务工的，在这边已经干了四年，有居住证，也一直交着社保。"
     "孩子在老家跟着爷爷奶奶读完了小学五年级，明年想把孩子接过来读六年级，然后在这里上初中。"
     "请问随迁子女转学需要办什么手续？盼复！", "教育"),
    ("您好！我家楼下的工地最近一个月每天晚上十一二点还在施工，打桩机和运渣土车的声音特别大，"
     "家里老人和小孩都睡不好觉，我们几户邻居跟工地说了好几次也没用。"
     "请问这种夜间施工扰民应该向哪个部门投诉？有没有投诉电话？谢谢！", "城市管理"),
    ("领导您好，我今年五十九岁，在一家制造企业上班，社保已经交了三十多年，明年就到退休年龄了。"
     "以前没办过这种事，身边的同事说法也不一样。想提前了解一下，办退休手续需要提前多久准备，"
     "是单位去办还是个人去办？感谢解答。", "养老退休"),
    ("你好，我们小区是九十年代建的老房子，一共六层，没有电梯，住了很多七八十岁的老人，"
     "上下楼非常困难，买菜看病都不方便。现在楼里大部分住户都想加装电梯，"
     "请问加装电梯要怎么申请，需要多少住户同意，政府有没有补助？谢谢。", "住房保障"),
    ("您好，我每天上下班都坐小区门口的那条公交线路，已经坐了好几年。最近这条线路调整，"
     "把我们小区门口的站点取消了，现在要走二十分钟才能坐上车，老人孩子更不方便。"
     "请问公交站点调整向哪里反映，能不能恢复原来的站点？盼复。", "交通出行"),
    ("尊敬的领导，我是今年刚毕业的硕士研究生，老家在外省，已经在这边一家科技公司找到工作，"
     "单位也给我交了社保。房租每个月占了工资的三分之一，压力有点大。"
     "听说有毕业生补贴和租房补贴，请问怎么申请，需要什么材料？谢谢！", "人才"),
)

NOT_GOVERNMENT: Tuple[str, ...] = (
    "今天出门穿什么衣服合适",
    "给我讲个关于猫的笑话",
    "这款电饭煲哪个网店便宜",
    "周六晚上的球赛谁能赢",
    "炒青菜之前要不要焯水",
    "帮我推荐几本悬疑小说",
    "手机屏幕摔碎了换一个贵不贵",
    "下周去海南玩要带什么衣服",
    "猫咪一直打喷嚏怎么办",
    "教我用英语说早上好",
)


def _theme_departments(theme_name: str) -> Tuple[str, ...]:
    theme = themes().get(theme_name)
    assert theme is not None, theme_name
    return (theme.department, *theme.also)


def _department_marks(theme_name: str) -> Tuple[str, ...]:
    """The names and phones of the theme's departments: a reply names one of them."""
    departments = [facts.departments()[code] for code in _theme_departments(theme_name)]
    return tuple(d["name"] for d in departments) + tuple(d["consult_phone"] for d in departments)


def _guide_department(reply: str, catalog: Catalog) -> Optional[str]:
    """The department of the item whose guide the reply is (its first line is 【item name】...)."""
    found = re.match(r"【(.+?)】", reply)
    item = next((i for i in catalog.items.values() if found and i.name == found.group(1)), None)
    return item.department_code if item is not None else None


@pytest.mark.parametrize(("text", "theme"), SHORT + LONG, ids=[f"gov{n:02d}" for n in range(len(SHORT + LONG))])
def test_a_government_question_gets_its_theme_and_department(text: str, theme: str, catalog: Catalog) -> None:
    reply = say(f"window-{uuid.uuid4().hex[:8]}", text)
    assert OUT_OF_SCOPE not in reply, (text, reply)
    theme_departments = _theme_departments(theme)
    named = any(mark in reply for mark in _department_marks(theme))
    assert named or _guide_department(reply, catalog) in theme_departments, (text, theme, reply)
    # A routing or "which item?" reply names the theme; an item's guide or an FAQ answer is specific.
    assert f"“{theme}”" in reply or reply.startswith("【") or "来源：FAQ#" in reply, (text, reply)


@pytest.mark.parametrize("text", NOT_GOVERNMENT, ids=[f"other{n:02d}" for n in range(len(NOT_GOVERNMENT))])
def test_an_everyday_message_is_out_of_scope(text: str) -> None:
    reply = say(f"window-{uuid.uuid4().hex[:8]}", text)
    assert OUT_OF_SCOPE in reply, (text, reply)


def test_the_set_is_thirty_government_questions_and_ten_others() -> None:
    assert len(SHORT) + len(LONG) == 30 and len(NOT_GOVERNMENT) == 10
    assert all(len(text) >= 100 for text, _ in LONG)
