"""Synthetic demo citizens, companies and electronic certificates for 示范市 (all fictional).

Everything is generated deterministically from a fixed seed; only dates depend on ``today``
(validity dates are placed relative to it, so there are always expired certificates and some
that expire within 60 days). ID numbers and credit codes carry valid check characters computed
with python-stdnum; names and phone numbers are made up.
"""

from __future__ import annotations

import datetime
import itertools
import os
import random
from typing import Any, Dict, Iterator, List, Optional

from sqlalchemy.orm import Session
from stdnum.cn import ric, uscc

from govservice.certificates import licence_identifier
from govservice.identity import gender
from govservice.models import Certificate, CertificateType, Company, Department, Person

DEMO_SEED = 20240612
RANDOM_CITIZENS = 52
# Real county codes (Fuzhou); a code is used only when stdnum knows it for the birth year.
REGION_CODES = ["350102", "350103", "350104", "350105", "350111", "350121", "350122", "350181"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁沈"
MALE_CHARS = "伟强磊军勇杰涛斌浩宇鹏飞俊峰建明志刚晨阳文博天翔子豪"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲婷雪慧燕红梅琳颖倩佳欣怡萍晓"
STREETS = ["示范大道", "民生路", "金融街", "文教路", "机场路", "财税路", "滨江路", "榕城路"]
COMPANY_WORDS = ["闽江", "榕光", "海峡", "东方", "新港", "鼓山"]
COMPANY_TRADES = ["科技", "餐饮管理", "建材", "物流", "文化传媒", "电子商务"]
FIXED_COMPANY_CODE = "91350100M000100Y43"

DEMO_CITIZENS: List[Dict[str, Any]] = [
    {
        "name": "张三",
        "id_number": "11010519491231002X",
        "phone": "13800138000",
        "certificates": ["居民身份证", "居民户口簿", "结婚证", "社会保障卡", "机动车驾驶证", "不动产权证书"],
        "note": "驾驶证45天后到期；示范市张三商贸有限公司法定代表人",
    },
    {
        "name": "李四",
        "id_number": "440308199901101512",
        "phone": "13900139000",
        "certificates": ["居民身份证", "居民户口簿", "社会保障卡", "机动车驾驶证"],
        "note": "证照均有效且不临期，用于隔离测试",
    },
]
"""The two fixed demo citizens (for the README and tests)."""

DEMO_COMPANY: Dict[str, Any] = {
    "name": "示范市张三商贸有限公司",
    "credit_code": FIXED_COMPANY_CODE,
    "legal_rep": "张三",
    "certificates": ["营业执照"],
}
"""The fixed demo company."""


def _years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _days(day: datetime.date, days: int) -> datetime.date:
    return day + datetime.timedelta(days=days)


class _Loader:
    """Adds certificates with GB/T 36904-style licence ids and a running serial."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.types = {t.name: t for t in session.query(CertificateType).all()}
        self.departments = {d.code: d for d in session.query(Department).all()}
        self.serials: Iterator[int] = itertools.count(1)
        self.count = 0

    def add(
        self,
        type_name: str,
        number: str,
        issued: datetime.date,
        until: Optional[datetime.date],
        attributes: Optional[Dict[str, Any]] = None,
        *,
        holder_id: Optional[str] = None,
        holder_company: Optional[str] = None,
        status: str = "有效",
    ) -> None:
        ctype = self.types[type_name]
        dept = self.departments[str(ctype.issuer_department)]
        serial = f"{next(self.serials):08d}"
        self.session.add(
            Certificate(
                type_name=type_name,
                holder_id=holder_id,
                holder_company=holder_company,
                number=number,
                issuer=dept.name,
                issue_date=issued,
                valid_from=issued,
                valid_until=until,
                status=status,
                licence_id=licence_identifier(str(ctype.code), str(dept.credit_code), serial),
                attributes=attributes or {},
            )
        )
        self.count += 1


def _make_id(rng: random.Random, birth: datetime.date, male: bool, used: set) -> str:
    while True:
        seq = f"{rng.randrange(100):02d}{rng.choice('13579' if male else '02468')}"
        body = f"{rng.choice(REGION_CODES)}{birth:%Y%m%d}{seq}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in used and ric.is_valid(number):
            used.add(number)
            return number


def _make_phone(rng: random.Random, used: set) -> str:
    while True:
        phone = rng.choice(["139", "186", "137", "158", "188"]) + f"{rng.randrange(10**8):08d}"
        if phone not in used and len(set(phone[3:])) > 2:
            used.add(phone)
            return phone


def _make_name(rng: random.Random, male: bool, used: set) -> str:
    chars = MALE_CHARS if male else FEMALE_CHARS
    while True:
        given = "".join(rng.choice(chars) for _ in range(rng.choice([1, 2, 2])))
        name = rng.choice(SURNAMES) + given
        if name not in used:
            used.add(name)
            return name


def _id_card_years(age: int) -> Optional[int]:
    """Validity of a 居民身份证 by age at issue: 5/10/20 years, 长期 from 46."""
    return 5 if age < 16 else 10 if age <= 25 else 20 if age <= 45 else None


def _add_fixed(loader: _Loader, today: datetime.date) -> None:
    zs, ls = DEMO_CITIZENS[0]["id_number"], DEMO_CITIZENS[1]["id_number"]
    for info, address in ((DEMO_CITIZENS[0], "示范市示范大道100号"), (DEMO_CITIZENS[1], "示范市滨江路8号")):
        loader.session.add(
            Person(
                id_number=info["id_number"],
                name=info["name"],
                phone=info["phone"],
                gender=gender(info["id_number"]),
                birth_date=ric.get_birth_date(info["id_number"]),
                address=address,
            )
        )
    loader.session.flush()
    add = loader.add
    add("居民身份证", zs, _days(today, -3650), None, {"姓名": "张三", "住址": "示范市示范大道100号"}, holder_id=zs)
    add("居民户口簿", "350102003456", _days(today, -9000), None, {"户主": "张三", "户别": "家庭户"}, holder_id=zs)
    add(
        "结婚证",
        "J350102-1975-000318",
        _days(today, -18250),
        None,
        {"持证人": "张三", "配偶姓名": "王秀英", "登记日期": _days(today, -18250).isoformat()},
        holder_id=zs,
    )
    add(
        "社会保障卡",
        "F35010021",
        _days(today, -1100),
        _years(_days(today, -1100), 10),
        {"社会保障号码": zs, "银行": "示范市农村商业银行"},
        holder_id=zs,
    )
    licence_until = _days(today, 45)
    add(
        "机动车驾驶证",
        zs,
        _years(licence_until, -10),
        licence_until,
        {"准驾车型": "C1", "初次领证日期": "1995-06-20", "档案编号": "350100123456"},
        holder_id=zs,
    )
    add(
        "不动产权证书",
        "闽（2016）示范市不动产权第0012345号",
        _days(today, -3600),
        None,
        {"坐落": "示范市示范大道100号3幢501室", "用途": "住宅"},
        holder_id=zs,
    )
    add("居民身份证", ls, _days(today, -1200), _years(_days(today, -1200), 10), {"姓名": "李四"}, holder_id=ls)
    add("居民户口簿", "350103004512", _days(today, -2500), None, {"户主": "李四", "户别": "家庭户"}, holder_id=ls)
    add(
        "社会保障卡",
        "F35010588",
        _days(today, -900),
        _years(_days(today, -900), 10),
        {"社会保障号码": ls},
        holder_id=ls,
    )
    add(
        "机动车驾驶证",
        ls,
        _days(today, -700),
        _years(_days(today, -700), 6),
        {"准驾车型": "C1", "档案编号": "350100654321"},
        holder_id=ls,
    )
    loader.session.add(
        Company(
            credit_code=FIXED_COMPANY_CODE, name=DEMO_COMPANY["name"], legal_rep_id=zs, address="示范市示范大道100号2楼"
        )
    )
    loader.session.flush()
    add(
        "营业执照",
        FIXED_COMPANY_CODE,
        _days(today, -2000),
        None,
        {
            "名称": DEMO_COMPANY["name"],
            "类型": "有限责任公司（自然人独资）",
            "法定代表人": "张三",
            "注册资本": "100万元人民币",
        },
        holder_company=FIXED_COMPANY_CODE,
    )


def _add_citizen(loader: _Loader, rng: random.Random, index: int, today: datetime.date, used: Dict[str, set]) -> Person:
    male = rng.random() < 0.5
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(22280))  # to 2010-12-31
    id_number = _make_id(rng, birth, male, used["ids"])
    name = _make_name(rng, male, used["names"])
    address = f"示范市{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
    person = Person(
        id_number=id_number,
        name=name,
        phone=_make_phone(rng, used["phones"]),
        gender="男" if male else "女",
        birth_date=birth,
        address=address,
    )
    loader.session.add(person)
    loader.session.flush()
    age = (today - birth).days // 365

    def add(
        type_name: str,
        number: str,
        issued: datetime.date,
        until: Optional[datetime.date],
        attributes: Optional[Dict[str, Any]] = None,
        status: str = "有效",
    ) -> None:
        loader.add(type_name, number, issued, until, attributes, holder_id=id_number, status=status)

    # 居民身份证: every fifth one expires within 60 days, the others are comfortably valid.
    years = _id_card_years(max(age - 3, 0))
    issued = _days(today, -rng.randrange(200, 1000))
    until = _years(issued, years) if years else None
    if index % 5 == 0 and years:
        until = _days(today, 5 + index % 50)
        issued = _years(until, -years)
    add("居民身份证", id_number, issued, until, {"姓名": name, "住址": address})
    add(
        "居民户口簿",
        f"{id_number[:6]}{rng.randrange(10**6):06d}",
        _days(today, -rng.randrange(400, 9000)),
        None,
        {"户主": name if rng.random() < 0.5 else "（家庭成员）", "户别": "家庭户"},
    )
    card_issued = _days(today, -rng.randrange(100, 3000))
    add(
        "社会保障卡",
        f"{rng.choice('ABCDEF')}{rng.randrange(10**8):08d}",
        card_issued,
        _years(card_issued, 10),
        {"社会保障号码": id_number},
        status="挂失" if index % 13 == 4 else "有效",
    )
    extras: List[str] = []
    if age >= 22 and rng.random() < 0.6:
        extras.append("结婚证")
    if age >= 18 and rng.random() < 0.55:
        extras += ["机动车驾驶证"] + (["机动车行驶证"] if rng.random() < 0.5 else [])
    for type_name, chance in (
        ("普通护照", 0.35),
        ("往来港澳通行证", 0.3),
        ("学位证书", 0.3),
        ("不动产权证书", 0.25),
        ("居住证", 0.12),
    ):
        if age >= 18 and rng.random() < chance:
            extras.append(type_name)
    if index % 4 == 1 and "普通护照" not in extras:
        extras.insert(0, "普通护照")  # every fourth citizen has an expired passport
    for type_name in extras[:4]:
        _add_extra(add, rng, type_name, index, today, name, id_number)
    return person


def _add_extra(
    add: Any, rng: random.Random, type_name: str, index: int, today: datetime.date, name: str, id_number: str
) -> None:
    issued = _days(today, -rng.randrange(300, 3000))
    if type_name == "结婚证":
        issued = _days(today, -rng.randrange(400, 12000))
        add(
            type_name,
            f"J{id_number[:6]}-{issued.year}-{rng.randrange(1, 5000):06d}",
            issued,
            None,
            {"持证人": name, "登记日期": issued.isoformat()},
        )
    elif type_name == "机动车驾驶证":
        add(
            type_name,
            id_number,
            issued,
            _years(issued, rng.choice([6, 10])),
            {"准驾车型": rng.choice(["C1", "C2", "C1E"]), "档案编号": f"3501{rng.randrange(10**8):08d}"},
        )
    elif type_name == "机动车行驶证":
        plate = f"闽A{rng.choice('BCDFGHJK')}{rng.randrange(10**4):04d}"
        add(type_name, f"350100{rng.randrange(10**6):06d}", issued, None, {"号牌号码": plate, "车辆类型": "小型轿车"})
    elif type_name in ("普通护照", "往来港澳通行证"):
        prefix = "E" if type_name == "普通护照" else "C"
        until = _years(issued, 10)
        if index % 4 == 1 and type_name == "普通护照":
            until = _days(today, -rng.randrange(30, 900))  # expired
            issued = _years(until, -10)
        elif index % 6 == 2:
            until = _days(today, rng.randrange(3, 58))  # expiring soon
            issued = _years(until, -10)
        add(type_name, f"{prefix}{rng.randrange(10**8):08d}", issued, until, {"姓名": name})
    elif type_name == "学位证书":
        year = rng.randrange(1985, 2024)
        add(
            type_name,
            f"10386{rng.choice('1234')}{year}{rng.randrange(10**6):06d}",
            datetime.date(year, 6, 30),
            None,
            {"学位": rng.choice(["学士", "硕士", "博士"]), "授予单位": "示范大学"},
        )
    elif type_name == "不动产权证书":
        add(
            type_name,
            f"闽（{issued.year}）示范市不动产权第{rng.randrange(10**7):07d}号",
            issued,
            None,
            {"坐落": f"示范市{rng.choice(STREETS)}{rng.randrange(1, 300)}号", "用途": "住宅"},
        )
    elif type_name == "居住证":
        until = _days(today, -rng.randrange(10, 400)) if index % 2 else None  # expired or 长期
        add(type_name, id_number, issued, until, {"居住地址": "示范市新港路1号"})


def seed_demo_data(session: Session, today: Optional[datetime.date] = None) -> Dict[str, int]:
    """Insert the demo citizens, companies and certificates (the catalog must be seeded first).

    Args:
        session: the database session (the caller commits).
        today: the reference date for validity dates; ``date.today()`` by default.

    Returns:
        Counts of persons, companies and certificates added.
    """
    today = today or datetime.date.today()
    rng = random.Random(DEMO_SEED)
    loader = _Loader(session)
    _add_fixed(loader, today)
    used: Dict[str, set] = {
        "ids": {c["id_number"] for c in DEMO_CITIZENS},
        "phones": {c["phone"] for c in DEMO_CITIZENS},
        "names": {c["name"] for c in DEMO_CITIZENS},
    }
    people = [_add_citizen(loader, rng, i, today, used) for i in range(1, RANDOM_CITIZENS + 1)]
    adults = [p for p in people if p.birth_date and (today - p.birth_date).days >= 18 * 366]
    for i in range(5):
        base = f"91350100MA{rng.randrange(10**7):07d}"
        code = base + uscc.calc_check_digit(base)
        rep = rng.choice(adults)
        name = f"示范市{COMPANY_WORDS[i]}{COMPANY_TRADES[i]}有限公司"
        session.add(Company(credit_code=code, name=name, legal_rep_id=rep.id_number, address=rep.address))
        session.flush()
        opened = _days(today, -rng.randrange(200, 5000))
        loader.add(
            "营业执照",
            code,
            opened,
            None,
            {
                "名称": name,
                "类型": "有限责任公司",
                "法定代表人": rep.name,
                "注册资本": f"{rng.randrange(1, 50) * 10}万元人民币",
            },
            holder_company=code,
        )
    session.flush()
    return {"persons": len(people) + len(DEMO_CITIZENS), "companies": 6, "certificates": loader.count}


def maybe_seed_demo_data(session: Session, today: Optional[datetime.date] = None) -> bool:
    """Seed the demo data when the persons table is empty and ``DEMO_DATA`` is not "0".

    Returns:
        True when demo data was added.
    """
    if os.environ.get("DEMO_DATA", "1").strip() == "0" or session.query(Person).first() is not None:
        return False
    seed_demo_data(session, today or datetime.date.today())
    return True


def demo_summary() -> str:
    """Return a Markdown table of the fixed demo citizens and company, for the README."""
    rows = ["| 角色 | 姓名/名称 | 证件号码 | 手机 | 电子证照 |", "|---|---|---|---|---|"]
    for info in DEMO_CITIZENS:
        certs = "、".join(info["certificates"])
        rows.append(f"| 自然人 | {info['name']} | {info['id_number']} | {info['phone']} | {certs}（{info['note']}） |")
    rows.append(
        f"| 法人 | {DEMO_COMPANY['name']} | {DEMO_COMPANY['credit_code']} | 法定代表人{DEMO_COMPANY['legal_rep']}的手机 "
        f"| {'、'.join(DEMO_COMPANY['certificates'])} |"
    )
    return "\n".join(rows) + "\n\n以上均为虚构的演示数据；另有50余位随机生成的市民和5家企业。"
