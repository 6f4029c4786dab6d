"""The campaign report (issue 5): its figures as JSON, as CSV/XLSX/PDF, and raw exports.

- `GET /reports/campaign/<id>` (or `<id>.csv|.xlsx|.pdf`, or `?format=`): supervisors for their
  neighbourhoods, admins for all. Filters: `date_from`, `date_to`, `quarters` (repeatable or a
  comma list of ids or codes), `review` (`not_rejected` by default, `approved`, `all`, a status).
- `GET /exports/<collection>.csv|.xlsx`: every live record of a collection in the reader's scope,
  streamed. Every export is written to the audit log.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from flask import Blueprint, Response, current_app, g, request, stream_with_context
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from sync.catalogue import SCOPES

from . import report_export as export
from .audit import audit
from .auth import require
from .errors import ApiError
from .extensions import db
from .report_figures import (
    REVIEW_FILTERS,
    Filters,
    build_report,
    load_campaign,
    load_quarters,
    vn_today,
)
from .requests import query_args

bp = Blueprint("reports", __name__)

REPORT_FORMATS = ("json", "csv", "xlsx", "pdf")
RAW_FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
# What the PDF says about who signs and to whom it goes; `test_config` may override them.


class ReportArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    review = fields.String(load_default="not_rejected", validate=validate.OneOf(REVIEW_FILTERS))
    format = fields.String(load_default=None, validate=validate.OneOf(REPORT_FORMATS))

    @validates_schema
    def period_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("date_from is after date_to.", "date_from")


class ExportArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    review = fields.String(load_default="all", validate=validate.OneOf(REVIEW_FILTERS))
    format = fields.String(load_default=None, validate=validate.OneOf(RAW_FORMATS))


report_args = ReportArgs()
export_args = ExportArgs()


def _split_format(name: str, allowed: tuple[str, ...], asked: str | None) -> tuple[str, str]:
    """`abc.csv` → (`abc`, `csv`); a suffix wins over `?format=`; JSON when neither is given."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in allowed:
        return stem, suffix
    if dot and suffix and not _is_uuid(name):
        raise ApiError(404, "not_found", f"No format {suffix!r}; use one of {', '.join(allowed)}.")
    return name, asked or allowed[0]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def requested_quarters() -> frozenset[str] | None:
    """`quarters` as ids: repeatable or comma separated, ids or codes (`KP1`). 400 if unknown,
    403 if outside the reader's neighbourhoods (§3)."""
    raw = [p.strip() for v in request.args.getlist("quarters") for p in v.split(",") if p.strip()]
    if not raw:
        return None
    known = load_quarters(db.session)
    by_code = {q.code.lower(): q.id for q in known}
    ids = {q.id for q in known}
    chosen, unknown = set(), []
    for value in raw:
        if value.lower() in ids:
            chosen.add(value.lower())
        elif value.lower() in by_code:
            chosen.add(by_code[value.lower()])
        else:
            unknown.append(value)
    if unknown:
        raise ApiError(
            400,
            "bad_request",
            "A query parameter is not valid.",
            {"quarters": [f"No neighbourhood {v!r}." for v in unknown]},
        )
    scope = g.actor.quarters
    if scope is not None and not chosen <= scope:
        raise ApiError(403, "forbidden", "That neighbourhood is not one of yours.")
    return frozenset(chosen)


def _download(body: Any, fmt: str, filename: str, **headers: str) -> Response:
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response.headers[name] = value
    return response


@bp.get("/reports/campaign/<campaign_id>")
@require("supervisor", "admin")
def campaign_report(campaign_id: str):
    args = query_args(report_args)
    campaign_id, fmt = _split_format(campaign_id, REPORT_FORMATS, args["format"])
    campaign = load_campaign(db.session, campaign_id.lower()) if _is_uuid(campaign_id) else None
    if campaign is None:
        raise ApiError(404, "not_found", "No such campaign.")
    filters = Filters(
        date_from=args["date_from"],
        date_to=args["date_to"],
        quarters=requested_quarters(),
        review=args["review"],
    )
    today = vn_today()
    report = build_report(db.session, campaign, filters, g.actor.quarters, today=today)
    if fmt == "json":
        db.session.commit()
        return report
    audit("export", f"reports/campaign/{campaign.id}.{fmt}", {"filters": report["filters"]})
    db.session.commit()
    town = current_app.config["TOWN_NAME"]
    if fmt == "csv":
        body = export.report_csv(report)
    elif fmt == "xlsx":
        body = export.report_xlsx(report, town)
    else:
        body = export.report_pdf(
            report,
            town=town,
            signer=current_app.config["REPORT_SIGNER"],
            recipient=current_app.config["REPORT_RECIPIENT"],
            today=today,
        )
    return _download(body, fmt, export.report_filename(report, fmt))


@bp.get("/exports/<name>")
@require("supervisor", "admin")
def raw_export(name: str):
    args = query_args(export_args)
    collection, fmt = _split_format(name, RAW_FORMATS, args["format"])
    if collection not in SCOPES:
        raise ApiError(404, "not_found", f"No collection named {collection!r}.")
    asked = requested_quarters()
    scope = g.actor.quarters
    quarters = scope if asked is None else asked
    if collection in ("campaigns",):
        quarters = None  # reference data everyone in scope may read
    table = export.RawExport(db.session, collection, quarters, args["review"])
    rows = table.count()
    audit("export", f"exports/{collection}.{fmt}", {"review": args["review"], "rows": rows})
    db.session.commit()
    filename = f"{collection}.{fmt}"
    if fmt == "csv":
        # Rows are read in chunks and sent as they are written: memory stays flat.
        return _download(
            stream_with_context(export.stream_csv(table)),
            fmt,
            filename,
            **{"X-Doorstep-Rows": str(rows)},
        )
    path = export.write_xlsx(table, collection)
    db.session.commit()
    response = _download(
        export.stream_file(path),
        fmt,
        filename,
        **{"X-Doorstep-Rows": str(rows), "Content-Length": str(os.path.getsize(path))},
    )
    # A response that is never read (HEAD, a client gone early) still removes the file.
    response.call_on_close(lambda: export.remove_file(path))
    return response


@bp.record_once
def _describe(state: Any) -> None:
    """Add this blueprint's paths to the OpenAPI document (server/openapi.py merges them)."""
    paths = state.app.extensions.setdefault("doorstep_openapi_paths", {})
    campaign = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    quarters = {
        "name": "quarters",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string"}},
        "style": "form",
        "explode": True,
        "description": "Neighbourhood ids or codes; repeatable or comma separated.",
    }
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    error = {
        "description": "Error",
        "content": {"application/json": {"schema": envelope}},
    }
    files = {
        mime: {"schema": {"type": "string", "format": "binary"}} for mime in MIMETYPES.values()
    }
    paths["/reports/campaign/{id}"] = {
        "get": {
            "summary": "The campaign report: figures per neighbourhood and in total",
            "parameters": [campaign, quarters, {"in": "query", "schema": ReportArgs}],
            "responses": {
                "200": {
                    "description": "The report (JSON) or, with `format`, a file",
                    "content": {"application/json": {"schema": {"type": "object"}}, **files},
                },
                "default": error,
            },
            "security": [{"bearer": []}],
        }
    }
    paths["/exports/{collection}"] = {
        "get": {
            "summary": "Every record of a collection in scope, as CSV or XLSX (`<name>.csv`)",
            "parameters": [
                {
                    "name": "collection",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                },
                quarters,
                {"in": "query", "schema": ExportArgs},
            ],
            "responses": {
                "200": {"description": "The file", "content": files},
                "default": error,
            },
            "security": [{"bearer": []}],
        }
    }
