"""Times stored in UTC, shown in Asia/Shanghai: the clock, and the chat texts that show times.

The fixed moment is 16:30 UTC on 1 March, which is already 00:30 on 2 March in Shanghai: a text
rendered in UTC would show the wrong day.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from govservice import clock
from govservice.applications.models import Application
from govservice.applications.queries import render_applications
from govservice.certificates.models import Certificate, CertificateUse
from govservice.certificates.text import render_uses
from govservice.certificates.uses import UseHistory
from govservice.clock import office_date, office_iso, office_text, stored, to_office, utc_now
from govservice.handoff.hours import OfficeHours

NEAR_MIDNIGHT = datetime.datetime(2026, 3, 1, 16, 30)  # stored (UTC)
SHANGHAI = "2026-03-02 00:30"


def test_a_stored_time_is_shown_in_shanghai() -> None:
    assert clock.OFFICE_TZ == "Asia/Shanghai"
    assert office_text(NEAR_MIDNIGHT) == SHANGHAI
    assert office_text(NEAR_MIDNIGHT, "%Y-%m-%d") == "2026-03-02"
    assert office_date(NEAR_MIDNIGHT) == datetime.date(2026, 3, 2)
    assert office_iso(NEAR_MIDNIGHT) == "2026-03-02T00:30:00+08:00"
    assert to_office(NEAR_MIDNIGHT).utcoffset() == datetime.timedelta(hours=8)


def test_aware_times_and_api_text_are_converted_not_relabelled() -> None:
    aware = datetime.datetime(2026, 3, 1, 12, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-4)))
    assert office_text(aware) == SHANGHAI and stored(aware) == NEAR_MIDNIGHT
    assert office_text("2026-03-02T00:30:00+08:00") == SHANGHAI  # what the APIs send, back for a page
    assert office_text(None) == "" and office_iso(None) is None
    assert stored(NEAR_MIDNIGHT) is NEAR_MIDNIGHT


def test_now_is_naive_utc_whatever_the_machines_zone() -> None:
    now = utc_now()
    real = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert now.tzinfo is None and abs((real - now).total_seconds()) < 5
    assert abs((stored() - real).total_seconds()) < 5
    assert office_date() == datetime.datetime.now(clock.office_zone()).date()


def test_office_hours_read_a_stored_time_as_utc() -> None:
    hours = OfficeHours()
    assert hours.is_open(datetime.datetime(2026, 3, 2, 1, 30))  # 09:30 Monday in Shanghai
    assert not hours.is_open(datetime.datetime(2026, 3, 2, 10, 0))  # 18:00 there
    assert hours.local(NEAR_MIDNIGHT).strftime("%Y-%m-%d %H:%M") == SHANGHAI


def test_the_certificate_use_log_shows_shanghai_time() -> None:
    card = Certificate(type_name="居民身份证")
    use = CertificateUse(certificate=card, actor_type="application", actor="20260302GA000001",
                         purpose="办理居住证", used_at=NEAR_MIDNIGHT)
    text = render_uses(UseHistory(others=[use], own_count=1, own_latest=NEAR_MIDNIGHT))
    assert text.count(SHANGHAI) == 2 and "2026-03-01" not in text


def test_my_applications_show_the_shanghai_day() -> None:
    app = Application(item_name="居住证", number="20260302GA000001", created_at=NEAR_MIDNIGHT, status="已提交")
    text = render_applications([app])
    assert "｜2026-03-02" in text and "2026-03-01" not in text


LOCAL_CLOCK = re.compile(r"\bdatetime\.now\(\)|\bdate\.today\(\)|\butcnow\(\)|\bfromtimestamp\([^,()]*\)")
"""The machine's own zone: a naive local now, today or epoch reading (a stored time is UTC)."""


def test_no_code_reads_the_machine_zone_clock() -> None:
    root = Path(__file__).resolve().parents[2]
    found = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for folder in ("govservice", "bot", "connectors", "staff", "portal", "overrides", "scripts")
        for path in sorted((root / folder).rglob("*.py"))
        if path.name != "clock.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if LOCAL_CLOCK.search(line)
    ]
    assert not found, "use govservice.clock (utc_now, office_date):\n" + "\n".join(found)
