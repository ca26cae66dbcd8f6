"""One source per fact: every source is loaded and cross-checked.

A hall's phone and hours, a department's contact and an item's time limits are written once
(departments.yml, halls.yml, catalog/); the FAQ seed, the portal cards and the halls run by a
department derive them. Before this, the same facts disagreed: the 出入境 hall had its own phone
and hours beside the department's, the halls used another area code, 户政's phone was the
hotline's, and the portal said 20 working days for 居民身份证补领 (the catalog: 15).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest
import yaml

from govservice import settings
from govservice.catalog import facts
from govservice.catalog.guide import days_text
from govservice.catalog.halls import HallError, _load, halls
from govservice.faq.io import FAQ_DIR, load_seed_entries
from portal.server import INDEX_FILE, ITEM_CARD, render_index

ROOT = Path(__file__).resolve().parents[3]
LANDLINE = re.compile(r"(?<![0-9])0[0-9]{2,3}-[0-9]{5,8}(?![0-9])")
TIME_LIMIT = re.compile(r"(承诺|法定)[^，。；、]{0,8}?([0-9]+个工作日|即办)")
HOURS = re.compile(r"[0-9]{1,2}:[0-9]{2}\s*-\s*[0-9]{1,2}:[0-9]{2}")


def _phone_owners() -> Dict[str, Set[str]]:
    """Every phone number any source gives, with who it belongs to (a derived hall is its department's)."""
    owners: Dict[str, Set[str]] = {}
    for code, dept in facts.departments().items():
        owners.setdefault(str(dept["consult_phone"]), set()).add(code)
    for hall in halls():
        owners.setdefault(hall.phone, set()).add(hall.department or hall.name)
    owners.setdefault(facts.fact("hotline_remote", "city"), set()).add("12345热线")
    return owners


def _texts() -> Iterator[Tuple[str, str]]:
    """(where, text) for everything a citizen or officer may read that states these facts."""
    for entry in load_seed_entries():
        yield f"FAQ {entry['key']}", str(entry["answer"])
    yield "portal", render_index("http://localhost:5005")
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        yield str(path.name), path.read_text(encoding="utf-8")
    for key, item in facts.items().items():
        yield f"catalog {key}", yaml.safe_dump(item, allow_unicode=True)
    for code, dept in facts.departments().items():
        yield f"department {code}", yaml.safe_dump(dept, allow_unicode=True)
    for hall in halls():
        yield f"hall {hall.name}", hall.describe()


def _address(name: str) -> str:
    return next(hall.address for hall in halls() if hall.name == name)


def test_every_phone_number_has_one_owner_and_the_city_s_area_code() -> None:
    area = f"{facts.city()['area_code']}-"
    owners = _phone_owners()
    assert {number: who for number, who in owners.items() if len(who) > 1} == {}
    assert [number for number in owners if not number.startswith(area)] == []


def test_every_phone_number_shown_anywhere_is_an_owned_one() -> None:
    owned = set(_phone_owners())
    stray = [(where, n) for where, text in _texts() for n in LANDLINE.findall(text) if n not in owned]
    assert stray == []


def test_the_faq_seed_refers_to_facts_instead_of_copying_them() -> None:
    copied: List[Tuple[str, str]] = []
    for path in sorted(FAQ_DIR.glob("*.yml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]:
            answer = str(entry["answer"])
            for pattern in (LANDLINE, TIME_LIMIT, HOURS):
                copied += [(str(entry["key"]), m.group(0)) for m in pattern.finditer(answer)]
    assert copied == []
    expanded = [e["answer"] for e in load_seed_entries()]
    assert not any("{{" in answer for answer in expanded)
    hall_hours = next(e["answer"] for e in load_seed_entries() if e["key"] == "hall_hours")
    center = next(h for h in halls() if h.name == "示范市政务服务中心")
    assert f"（{center.address}）办公时间：{center.office_hours}" in hall_hours


def test_a_hall_run_by_a_department_takes_its_phone_and_hours(tmp_path: Path) -> None:
    hall = next(h for h in halls() if h.name == "示范市出入境服务大厅")
    crj = facts.departments()["CRJ"]
    assert hall.department == "CRJ" and (hall.phone, hall.office_hours) == (crj["consult_phone"], crj["office_hours"])
    repeated = tmp_path / "halls.yml"
    entry = {"name": "某大厅", "address": "某路1号", "latitude": 0.0, "longitude": 0.0, "department": "CRJ"}
    repeated.write_text(yaml.safe_dump({"halls": [{**entry, "phone": "0999-1"}]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(HallError, match="只写在 departments.yml"):
        _load(repeated)


def test_an_address_given_with_a_hall_s_name_is_the_hall_s() -> None:
    given = [
        (where, hall.name, match.group(1))
        for where, text in _texts()
        for hall in halls()
        for match in re.finditer(re.escape(hall.name) + r"[^（）。；\n]*?（([^（）]+?号)）", text)
    ]
    assert len(given) >= 5  # departments' windows, items' windows and FAQ answers name the halls
    assert [(where, name, address) for where, name, address in given if address != _address(name)] == []


def test_time_limits_shown_anywhere_are_the_catalog_s() -> None:
    cards = re.findall(r'<li data-item="([\w-]+)"><h3>([^<]+)</h3><p>([^<]+)</p></li>', render_index("http://x"))
    assert len(cards) == len(ITEM_CARD.findall(INDEX_FILE.read_text(encoding="utf-8"))) >= 6
    for key, name, text in cards:
        item = facts.items()[key]
        assert name == item["name"] and f"承诺{days_text(int(item['promised_limit_days']))}" in text
        assert facts.departments()[item["department"]]["name"] in text
    assert not TIME_LIMIT.search(INDEX_FILE.read_text(encoding="utf-8"))
    for where, text in _texts():
        if where.startswith("FAQ"):
            for match in re.finditer(r"承诺时限([0-9]+个工作日|即办（当场办结）)", text):
                assert match.group(1) in {days_text(int(i["promised_limit_days"])) for i in facts.items().values()}


def test_an_unknown_fact_is_an_error_not_a_blank() -> None:
    with pytest.raises(facts.FactError):
        facts.expand("电话 {{phone:NOPE}}")
    with pytest.raises(facts.FactError):
        facts.fact("promised", "no_such_item")
    assert (
        facts.expand("{{promised:id_card_lost}}，{{phone:GA}}")
        == "15个工作日，" + facts.departments()["GA"]["consult_phone"]
    )
    assert settings.current().knowledge_base.is_dir()
