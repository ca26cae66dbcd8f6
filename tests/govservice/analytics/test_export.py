"""The dashboard's CSV and chart data: every row under one header, formulas defused, numbers as counted."""

from __future__ import annotations

import csv
import datetime
import io

from govservice.analytics.dashboard import Figure, Filters
from govservice.analytics.export import CSV_HEADER, chart_data, to_csv

FIGURES = {
    "channels": Figure("各渠道对话量", "次对话", [("REST 接口", "", 12.0), ("=HYPERLINK(1)", "", 1.0)]),
    "finish_hours": Figure("平均办结用时", "小时", [("示范市公安局", "", 0.000083)]),
    "ratings": Figure("好差评分布", "条评价", []),
}
FILTERS = Filters(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30), "GA")


def test_the_csv_has_the_period_a_header_and_each_row() -> None:
    body = to_csv(FIGURES, FILTERS)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["统计期间：2026-11-01 至 2026-11-30；部门：GA"] and rows[1] == CSV_HEADER
    assert rows[2:] == [
        ["各渠道对话量", "REST 接口", "", "12", "次对话"],
        ["各渠道对话量", "'=HYPERLINK(1)", "", "1", "次对话"],  # a spreadsheet shows it, never runs it
        ["平均办结用时", "示范市公安局", "", "0.000083", "小时"],
    ]


def test_the_chart_data_keeps_titles_units_and_rows() -> None:
    data = chart_data(FIGURES)
    assert data["channels"] == {"title": "各渠道对话量", "unit": "次对话",
                                "rows": [["REST 接口", "", 12.0], ["=HYPERLINK(1)", "", 1.0]]}
    assert data["ratings"]["rows"] == []
