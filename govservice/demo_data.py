"""Synthetic demo citizens, companies and electronic certificates for 示范市 (all fictional).

Everything is generated deterministically from a fixed seed; only dates depend on ``today``
(validity dates are placed relative to it, so there are always expired certificates and some
that expire within 60 days). ID numbers and credit codes carry valid check characters computed
with python-stdnum; names and phone numbers are made up.
"""

from __future__ import annotations

import datetime
import itertools
import random
from typing import Any, Dict, Iterator, List, Optional, Tuple

from sqlalchemy.orm import Session
from stdnum.cn import ric, uscc

from govservice import settings
from govservice.catalog.models import CertificateType, Department
from govservice.certificates.library import licence_identifier
from govservice.certificates.models import Certificate
from govservice.clock import office_date
from govservice.identity.id_numbers import gender
from govservice.identity.models import Company, Person

DEMO_SEED = 20240612
RANDOM_CITIZENS = 52
# Real county codes (Fuzhou); a code is used only when stdnum knows it for the birth year.
REGION_CODES = ["350102", "350103", "350104", "350105", "350111", "350121", "350122", "350181"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁沈"
MALE_CHARS = "伟强磊军勇杰涛斌浩宇鹏飞俊峰建明志刚晨阳文博天翔子豪"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀玲婷雪慧燕红梅琳颖倩佳欣怡萍晓"
STREETS = ["示范大道", "民生路", "金融街", "文教路", "机场路", "财税路", "滨江路", "榕城路"]
COMPANY_NAMES = ["闽江科技", "榕光餐饮管理", "海峡建材", "东方物流", "新港文化传媒"]
FIXED_COMPANY_CODE = "91350100M000100Y43"
OPTIONAL_TYPES = [
    ("普通护照", 0.35),
    ("往来港澳通行证", 0.3),
    ("学位证书", 0.3),
    ("不动产权证书", 0.25),
    ("居住证", 0.12),
]
Spec = Tuple[str, str, datetime.date, Optional[datetime.date], Dict[str, Any]]

ZHANG_ADDRESS = "示范市示范大道100号"
DEMO_CITIZENS: List[Dict[str, Any]] = [
    {
        "name": "张三",
        "id_number": "11010519491231002X",
        "phone": "13800138000",
        "address": ZHANG_ADDRESS,
        "certificates": ["居民身份证", "居民户口簿", "结婚证", "社会保障卡", "机动车驾驶证", "不动产权证书"],
        "note": "驾驶证45天后到期；示范市张三商贸有限公司法定代表人",
    },
    {
        "name": "李四",
        "id_number": "440308199901101512",
        "phone": "13900139000",
        "address": "示范市滨江路8号",
        "certificates": ["居民身份证", "居民户口簿", "社会保障卡", "机动车驾驶证"],
        "note": "证照均有效且不临期，用于隔离测试",
    },
]
"""The two fixed demo citizens (for the README and tests)."""

DEMO_COMPANY: Dict[str, Any] = {
    "name": "示范市张三商贸有限公司",
    "credit_code": FIXED_COMPANY_CODE,
    "legal_rep": "张三",
    "address": "示范市示范大道100号2楼",
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
        self, spec: Spec, *, holder_id: Optional[str] = None, holder_company: Optional[str] = None, status: str = "有效"
    ) -> None:
        """Add one certificate described by ``(type, number, issued, valid_until, attributes)``."""
        type_name, number, issued, until, attributes = spec
        ctype = self.types[type_name]
        dept = self.departments[str(ctype.issuer_department)]
        licence = licence_identifier(str(ctype.code), str(dept.credit_code), f"{next(self.serials):08d}")
        fields = dict(type_name=type_name, number=number, issuer=dept.name, issue_date=issued, valid_from=issued)
        self.session.add(
            Certificate(
                **fields,
                holder_id=holder_id,
                holder_company=holder_company,
                valid_until=until,
                status=status,
                licence_id=licence,
                attributes=attributes,
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


# Fixed certificates: (holder, type, number, days before today it was issued, validity, attributes).
# Validity: None for 长期, an int for years after issue, or ("expires_in", days) counted from today.
FIXED_CERTIFICATES: List[Tuple[str, str, str, int, Any, Dict[str, str]]] = [
    ("张三", "居民身份证", "11010519491231002X", 3650, None, {"住址": ZHANG_ADDRESS}),
    ("张三", "居民户口簿", "350102003456", 9000, None, {"户主": "张三", "户别": "家庭户", "住址": ZHANG_ADDRESS}),
    ("张三", "结婚证", "J350102-1975-000318", 18250, None, {"持证人": "张三", "配偶姓名": "王秀英"}),
    ("张三", "社会保障卡", "F35010021", 1100, 10, {"社会保障号码": "11010519491231002X"}),
    ("张三", "机动车驾驶证", "11010519491231002X", 0, ("expires_in", 45), {"准驾车型": "C1"}),
    ("张三", "不动产权证书", "闽（2016）示范市不动产权第0012345号", 3600, None, {"用途": "住宅"}),
    ("李四", "居民身份证", "440308199901101512", 1200, 10, {"住址": "示范市滨江路8号"}),
    ("李四", "居民户口簿", "350103004512", 2500, None, {"户主": "李四", "户别": "家庭户", "住址": "示范市滨江路8号"}),
    ("李四", "社会保障卡", "F35010588", 900, 10, {"社会保障号码": "440308199901101512"}),
    ("李四", "机动车驾驶证", "440308199901101512", 700, 6, {"准驾车型": "C1"}),
    # 李四's daughter was born 12 days ago: the hospital issued her 出生医学证明 into his library
    # (新生儿出生一件事 in the chat prefills from it).
    (
        "李四",
        "出生医学证明",
        "Q350103261116",
        12,
        None,
        {"新生儿姓名": "李小满", "新生儿性别": "女", "母亲姓名": "陈晓"},
    ),
    (FIXED_COMPANY_CODE, "营业执照", FIXED_COMPANY_CODE, 2000, None, {"法定代表人": "张三"}),
]


def _add_fixed(loader: _Loader, today: datetime.date) -> None:
    ids = {info["name"]: info["id_number"] for info in DEMO_CITIZENS}
    for info in DEMO_CITIZENS:
        person = {k: info[k] for k in ("id_number", "name", "phone", "address")}
        number = info["id_number"]
        loader.session.add(Person(**person, gender=gender(number), birth_date=ric.get_birth_date(number)))
    loader.session.flush()
    company = {k: DEMO_COMPANY[k] for k in ("credit_code", "name", "address")}
    loader.session.add(Company(**company, legal_rep_id=ids[DEMO_COMPANY["legal_rep"]]))
    loader.session.flush()
    for holder, type_name, number, issued_ago, validity, attributes in FIXED_CERTIFICATES:
        issued = _days(today, -issued_ago)
        until = _years(issued, validity) if isinstance(validity, int) else None
        if isinstance(validity, tuple):
            until = _days(today, validity[1])
            issued = _years(until, -10)
        owner = {"holder_id": ids[holder]} if holder in ids else {"holder_company": holder}
        loader.add((type_name, number, issued, until, attributes), **owner)


def _extra(rng: random.Random, type_name: str, index: int, today: datetime.date, person: Person) -> Spec:
    """Build one optional certificate; some passports and permits are expired or expire soon."""
    issued, until = _days(today, -rng.randrange(300, 3000)), None
    id_number, name = str(person.id_number), str(person.name)
    if type_name == "结婚证":
        issued = _days(today, -rng.randrange(400, 12000))
        number, attributes = f"J{id_number[:6]}-{issued.year}-{rng.randrange(1, 5000):06d}", {"持证人": name}
    elif type_name == "机动车驾驶证":
        number, until = id_number, _years(issued, rng.choice([6, 10]))
        attributes = {"准驾车型": rng.choice(["C1", "C2", "C1E"]), "档案编号": f"3501{rng.randrange(10**8):08d}"}
    elif type_name == "机动车行驶证":
        number = f"350100{rng.randrange(10**6):06d}"
        attributes = {"号牌号码": f"闽A{rng.choice('BCDFGHJK')}{rng.randrange(10**4):04d}", "车辆类型": "小型轿车"}
    elif type_name in ("普通护照", "往来港澳通行证"):
        prefix = "E" if type_name == "普通护照" else "C"
        number, until = f"{prefix}{rng.randrange(10**8):08d}", _years(issued, 10)
        if index % 4 == 1 and type_name == "普通护照":
            until = _days(today, -rng.randrange(30, 900))  # expired
        elif index % 6 == 2:
            until = _days(today, rng.randrange(3, 58))  # expires within 60 days
        issued, attributes = _years(until, -10), {"姓名": name}
    elif type_name == "学位证书":
        issued = datetime.date(rng.randrange(1985, 2024), 6, 30)
        number = f"10386{rng.choice('1234')}{issued.year}{rng.randrange(10**6):06d}"
        attributes = {"学位": rng.choice(["学士", "硕士", "博士"]), "授予单位": "示范大学"}
    elif type_name == "不动产权证书":
        number = f"闽（{issued.year}）示范市不动产权第{rng.randrange(10**7):07d}号"
        attributes = {"坐落": f"示范市{rng.choice(STREETS)}{rng.randrange(1, 300)}号", "用途": "住宅"}
    else:  # 居住证: expired or 长期 (signed each year)
        number, attributes = id_number, {"居住地址": "示范市新港路1号"}
        until = _days(today, -rng.randrange(10, 400)) if index % 2 else None
    return type_name, number, issued, until, attributes


def _add_citizen(loader: _Loader, rng: random.Random, index: int, today: datetime.date, used: Dict[str, set]) -> Person:
    male = rng.random() < 0.5
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(22280))  # to 2010-12-31
    id_number, name = _make_id(rng, birth, male, used["ids"]), _make_name(rng, male, used["names"])
    address = f"示范市{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
    phone, sex = _make_phone(rng, used["phones"]), "男" if male else "女"
    person = Person(id_number=id_number, name=name, phone=phone, gender=sex, birth_date=birth, address=address)
    loader.session.add(person)
    loader.session.flush()
    age = (today - birth).days // 365
    # 居民身份证 (validity by age at issue); every fifth one expires within 60 days.
    years = _id_card_years(max(age - 3, 0))
    issued = _days(today, -rng.randrange(200, 1000))
    until = _years(issued, years) if years else None
    if index % 5 == 0 and years:
        until = _days(today, 5 + index % 50)
        issued = _years(until, -years)
    loader.add(("居民身份证", id_number, issued, until, {"姓名": name, "住址": address}), holder_id=id_number)
    booklet = f"{id_number[:6]}{rng.randrange(10**6):06d}"
    issued = _days(today, -rng.randrange(400, 9000))
    loader.add(("居民户口簿", booklet, issued, None, {"户别": "家庭户", "住址": address}), holder_id=id_number)
    card, issued = f"{rng.choice('ABCDEF')}{rng.randrange(10**8):08d}", _days(today, -rng.randrange(100, 3000))
    status = "挂失" if index % 13 == 4 else "有效"
    spec = ("社会保障卡", card, issued, _years(issued, 10), {"社会保障号码": id_number})
    loader.add(spec, holder_id=id_number, status=status)
    extras = ["普通护照"] if index % 4 == 1 else []  # every fourth citizen: an expired passport
    if age >= 22 and rng.random() < 0.6:
        extras.append("结婚证")
    if age >= 18 and rng.random() < 0.55:
        extras += ["机动车驾驶证"] + (["机动车行驶证"] if rng.random() < 0.5 else [])
    for type_name, chance in OPTIONAL_TYPES:
        if age >= 18 and rng.random() < chance and type_name not in extras:
            extras.append(type_name)
    for type_name in extras[:4]:
        loader.add(_extra(rng, type_name, index, today, person), holder_id=id_number)
    return person


def seed_demo_data(session: Session, today: Optional[datetime.date] = None) -> Dict[str, int]:
    """Insert the demo citizens, companies and certificates (the catalog must be seeded first).

    Args:
        session: the database session (the caller commits).
        today: the reference date for validity dates; the office's today by default.

    Returns:
        Counts of persons, companies and certificates added.
    """
    today = today or office_date()
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
    for i in range(len(COMPANY_NAMES)):
        base = f"91350100MA{rng.randrange(10**7):07d}"
        code = base + uscc.calc_check_digit(base)
        rep = rng.choice(adults)
        name = f"示范市{COMPANY_NAMES[i]}有限公司"
        session.add(Company(credit_code=code, name=name, legal_rep_id=rep.id_number, address=rep.address))
        session.flush()
        opened = _days(today, -rng.randrange(200, 5000))
        attributes = {"名称": name, "法定代表人": rep.name, "注册资本": f"{rng.randrange(1, 50) * 10}万元"}
        loader.add(("营业执照", code, opened, None, attributes), holder_company=code)
    session.flush()
    companies = len(COMPANY_NAMES) + 1
    return {"persons": len(people) + len(DEMO_CITIZENS), "companies": companies, "certificates": loader.count}


def maybe_seed_demo_data(session: Session, today: Optional[datetime.date] = None) -> bool:
    """Seed the demo data when the persons table is empty and ``DEMO_DATA`` is not "0".

    Returns:
        True when demo data was added.
    """
    if not settings.current().demo_data or session.query(Person).first() is not None:
        return False
    seed_demo_data(session, today or office_date())
    return True


def demo_summary() -> str:
    """Return a Markdown table of the fixed demo citizens and company, for the README."""
    rows = ["| 角色 | 姓名/名称 | 证件号码 | 手机 | 电子证照 |", "|---|---|---|---|---|"]
    for info in DEMO_CITIZENS:
        certs = "、".join(info["certificates"])
        rows.append(f"| 自然人 | {info['name']} | {info['id_number']} | {info['phone']} | {certs}（{info['note']}） |")
    company, certs = DEMO_COMPANY, "、".join(DEMO_COMPANY["certificates"])
    rep = f"法定代表人{company['legal_rep']}的手机"
    rows.append(f"| 法人 | {company['name']} | {company['credit_code']} | {rep} | {certs} |")
    return "\n".join(rows) + "\n\n以上均为虚构的演示数据；另有50余位随机生成的市民和5家企业。"
