"""The dashboard's figures as CSV (the console's export) and as plain data for its charts."""

from __future__ import annotations

import csv
import io
from typing import Any, Dict, List

from govservice.analytics.dashboard import Figure, Filters
from govservice.faq.io import defuse

CSV_HEADER = ["指标", "类别", "系列", "数值", "单位"]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}".rstrip("0").rstrip(".")


def to_csv(figures: Dict[str, Figure], filters: Filters) -> bytes:
    """Every figure's rows under one header, UTF-8 with a byte-order mark so Excel reads the Chinese.

    The first line says the period and the department (one cell); a cell a spreadsheet would run as a formula
    is quoted (:func:`govservice.faq.io.defuse`).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f"统计期间：{filters.start.isoformat()} 至 {filters.end.isoformat()}；"
                     f"部门：{filters.department or '全部'}"])
    writer.writerow(CSV_HEADER)
    for figure in figures.values():
        for category, series, value in figure.rows:
            writer.writerow([figure.title, defuse(category), defuse(series), _number(value), figure.unit])
    return buffer.getvalue().encode("utf-8-sig")


def chart_data(figures: Dict[str, Figure]) -> Dict[str, Dict[str, Any]]:
    """The figures as the page's script reads them: title, unit and rows as [category, series, value]."""
    result: Dict[str, Dict[str, Any]] = {}
    for key, figure in figures.items():
        rows: List[List[Any]] = [[category, series, value] for category, series, value in figure.rows]
        result[key] = {"title": figure.title, "unit": figure.unit, "rows": rows}
    return result
