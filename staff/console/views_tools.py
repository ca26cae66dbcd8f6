"""Console tools: the live answer preview, CSV/Excel import and export, the audit log.

The department's applications are the workbench's (:mod:`staff.console.views_workbench`).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Dict, Optional
from urllib.parse import quote

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from govservice.accounts.officers import ROLES
from govservice.catalog.lookup import Catalog
from govservice.clock import office_date
from govservice.faq.io import ImportReport, export_csv, export_excel, import_csv, import_excel
from govservice.faq.search import ANSWER, NONE, SUGGEST, answer_question, search
from govservice.faq.workflow import FaqError, list_audit
from govservice.window import decision as window
from govservice.window import text as window_text
from staff.auth import current_user
from staff.console.guard import api, page
from staff.console.render import EDITORS, render
from staff.web import in_transaction, reply

MAX_QUESTION_CHARS = 200
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
KIND_LABELS = {ANSWER: "直接回答", SUGGEST: "给出“您是不是想问”"}
NO_ANSWER = "无法回答：转兜底回复，并记入待处理问题队列"


WINDOW_LABELS = {
    window.ITEM: "按办事指南回答",
    window.CHOOSE: "追问是哪项业务（并记入待处理问题队列）",
    window.ROUTE: "告知所属领域和主管部门（并记入待处理问题队列）",
    window.POLICY: "政策问题：告知政策咨询渠道（并记入待处理问题队列）",
    window.OUT_OF_SCOPE: "超出服务范围（非政务问题）",
    window.GREETING: "问候",
}
_catalogs: Dict[str, Catalog] = {}


def _catalog(session: Session) -> Catalog:
    """The catalog of the session's database, loaded once per process (it changes only at seeding)."""
    url = str(session.get_bind().url)
    if url not in _catalogs:
        _catalogs[url] = Catalog.load(url)
    return _catalogs[url]


def preview_data(session: Session, text: str) -> Dict[str, Any]:
    """What the assistant would answer to ``text``, and the top FAQ hits.

    The window's decision and reply are the functions the chat calls; only the NLU's opinion is
    left out, which matters only for messages with no government signal at all.
    """
    catalog = _catalog(session)
    decision = window.decide(
        text, identify=catalog.identify, faq=lambda question: answer_question(session, question),
        nlu_out_of_scope=False,
    )
    reply = window_text.render(decision, list(catalog.items.values()))
    faq = decision.faq if decision.kind == window.FAQ else None
    kind = faq.kind if faq is not None else (decision.kind if reply is not None else NONE)
    label = KIND_LABELS.get(kind) or WINDOW_LABELS.get(decision.kind, NO_ANSWER)
    if decision.item is not None and decision.kind == window.ITEM:
        label = f"{label}（{decision.item.name}）"
    hits = search(session, decision.focus or text, limit=5)
    return {
        "question": text,
        "kind": kind,
        "window": decision.kind,
        "kind_label": label,
        "text": reply.text if reply is not None else (faq.text if faq is not None else ""),
        "confidence": round(faq.confidence, 3) if faq is not None else 0.0,
        "hits": [{"entry_id": h.entry_id, "question": h.question, "confidence": h.confidence} for h in hits],
    }


def _question(request: Request) -> str:
    return (request.args.get("q") or "").strip()[:MAX_QUESTION_CHARS]


async def preview_page(request: Request) -> HTTPResponse:
    """``GET /console/preview?q=``: "助手会如何回答这个问题"."""
    text = _question(request)
    data = await in_transaction(request, partial(preview_data, text=text)) if text else None
    return render(request, "preview.html", q=text, result=data)


async def preview_api(request: Request) -> HTTPResponse:
    """``GET /console/api/preview?q=``: the same as JSON, for the live preview while typing."""
    text = _question(request)
    if not text:
        return reply({"error": "请输入要预览的问题（参数 q）"}, status=400)
    return reply(await in_transaction(request, partial(preview_data, text=text)))


def _download(body: bytes, name: str, content_type: str) -> HTTPResponse:
    stamp = office_date().strftime("%Y%m%d")
    filename = f"常见问题_{stamp}.{name}"
    disposition = f"attachment; filename=faq_{stamp}.{name}; filename*=UTF-8''{quote(filename)}"
    return response.raw(body, content_type=content_type, headers={"Content-Disposition": disposition})


async def export_csv_file(request: Request) -> HTTPResponse:
    """``GET /console/faq/export.csv``: every entry, in the import format (UTF-8 with BOM)."""
    return _download(await in_transaction(request, export_csv), "csv", "text/csv; charset=utf-8")


async def export_excel_file(request: Request) -> HTTPResponse:
    """``GET /console/faq/export.xlsx``: every entry, in the import format."""
    body = await in_transaction(request, export_excel)
    return _download(body, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


async def import_page(request: Request) -> HTTPResponse:
    """``GET /console/faq/import``: the upload form."""
    return render(request, "import.html", report=None, error="")


def _upload_error(request: Request) -> Optional[str]:
    upload = request.files.get("file") if request.files else None
    if upload is None or not upload.body:
        return "请选择要导入的 CSV 或 Excel（.xlsx）文件"
    if len(upload.body) > MAX_UPLOAD_BYTES:
        return "文件不能超过5MB"
    if not upload.name.lower().endswith((".csv", ".xlsx")):
        return "只支持 .csv 和 .xlsx 文件"
    return None


async def import_file(request: Request) -> HTTPResponse:
    """``POST /console/faq/import``: all-or-nothing import; the report lists what changed or every error."""
    error = _upload_error(request)
    if error:
        return render(request, "import.html", status=400, report=None, error=error)
    upload = request.files.get("file")
    reader = import_csv if upload.name.lower().endswith(".csv") else import_excel
    actor = current_user(request).actor

    def work(session: Session) -> ImportReport:
        report = reader(session, upload.body, actor)
        if report.errors:
            session.rollback()  # nothing was written, but be explicit: a report with errors changes nothing
        return report

    try:
        report = await in_transaction(request, work)
    except FaqError as failure:  # raised after a partial write: the transaction rolled back
        return render(request, "import.html", status=400, report=None, error=str(failure))
    return render(request, "import.html", status=400 if report.errors else 200, report=report, error="")


async def audit(request: Request) -> HTTPResponse:
    """``GET /console/audit``: who changed what and when, newest first (``?actor=`` filters)."""
    actor = (request.args.get("actor") or "").strip()[:60]
    rows = await in_transaction(request, lambda session: list_audit(session, actor=actor or None, limit=300))
    return render(request, "audit.html", rows=rows, actor=actor)


def blueprint() -> Blueprint:
    """Tool routes (a fresh blueprint per app)."""
    bp = Blueprint("console_tools", url_prefix="/console")
    bp.add_route(page(*ROLES)(preview_page), "/preview", methods=["GET"])
    bp.add_route(api(*ROLES)(preview_api), "/api/preview", methods=["GET"])
    bp.add_route(page(*EDITORS)(export_csv_file), "/faq/export.csv", methods=["GET"])
    bp.add_route(page(*EDITORS)(export_excel_file), "/faq/export.xlsx", methods=["GET"])
    bp.add_route(page(*EDITORS)(import_page), "/faq/import", methods=["GET"])
    bp.add_route(page(*EDITORS)(import_file), "/faq/import", methods=["POST"])
    bp.add_route(page(*EDITORS)(audit), "/audit", methods=["GET"])
    return bp
