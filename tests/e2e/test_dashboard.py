"""The dashboard in headless Chromium after demo traffic: every chart drawn with data, a screenshot.

Needs the servers of ``scripts/run.sh`` (``scripts/test.sh`` stage "browser" sets ``RASA_URL`` and
``STAFF_URL``): ``scripts/demo_traffic.py`` talks to them (a smaller run than ``make
demo-traffic``), the feeder moves the events into the database, and the page must show every
figure with data. The screenshot is ``test-artifacts/dashboard.png``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Dict

import pytest

from govservice.accounts.demo_officers import demo_password
from govservice.settings import ROOT
from tests.e2e.test_console import ARTIFACTS, CHROMIUM, _get

pytestmark = pytest.mark.e2e
# For each chart: whether some series holds a value above zero (an empty axis has none).
CHARTS_WITH_DATA = """() => Object.fromEntries(Array.from(document.querySelectorAll('[data-chart]')).map((box) => {
  const chart = echarts.getInstanceByDom(box);
  const series = chart ? chart.getOption().series : [];
  const values = series.flatMap((s) => s.data.map((d) => (typeof d === 'object' ? d.value : d)));
  return [box.dataset.chart, values.some((v) => Number(v) > 0)];
}))"""


@pytest.fixture(scope="module")
def servers() -> Dict[str, str]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is missing: run scripts/setup_browser.sh")
    pytest.importorskip("playwright.sync_api", reason="Playwright is missing: run scripts/setup_browser.sh")
    urls = {name: os.environ.get(name, "").rstrip("/") for name in ("RASA_URL", "STAFF_URL")}
    if not all(urls.values()) or _get(f"{urls['RASA_URL']}/") is None or _get(f"{urls['STAFF_URL']}/health") is None:
        pytest.skip("needs the servers of scripts/run.sh (RASA_URL and STAFF_URL; scripts/test.sh sets them)")
    return urls


def _demo_traffic() -> str:
    command = [sys.executable, "scripts/demo_traffic.py", "--conversations", "60", "--applications", "3"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return run.stdout


def test_the_dashboard_shows_the_demo_traffic(servers: Dict[str, str]) -> None:
    from playwright.sync_api import expect, sync_playwright

    summary = _demo_traffic()
    assert "对话 60 次" in summary and "已评价" in summary, summary
    staff = servers["STAFF_URL"]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        errors: list = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{staff}/console/dashboard")
        expect(page).to_have_url(f"{staff}/console/login?next=/console/dashboard")  # login first
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", demo_password("admin"))
        page.click("button:has-text('登录')")
        page.goto(f"{staff}/console/dashboard")
        drawn: Dict[str, bool] = {}
        for _ in range(20):  # the feeder moves new events within a second or two
            expect(page.locator("h1")).to_contain_text("数据看板")
            page.wait_for_function("() => window.echarts && document.querySelectorAll('canvas').length > 0")
            drawn = page.evaluate(CHARTS_WITH_DATA)
            if drawn and all(drawn.values()):
                break
            time.sleep(1)
            page.reload()
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        browser.close()
    assert len(drawn) == 11 and [key for key, has_data in drawn.items() if not has_data] == []
    assert errors == []
