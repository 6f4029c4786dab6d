"""The campaign report: its figures as JSON, as CSV/XLSX/PDF/DOCX, and raw exports.

- `GET /reports/campaign/<id>` (or `<id>.csv|.xlsx|.pdf|.docx`, or `?format=`): supervisors
  for their neighbourhoods, admins for all. Filters: `date_from`, `date_to`, `quarters`
  (repeatable or a comma list of ids or codes), `review` (`not_rejected` by default,
  `approved`, `all`, a status).
- `GET /exports/<collection>.csv|.xlsx`: every live record of a collection in the reader's scope,
  streamed. Every export is written to the audit log.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Response, current_app, g, stream_with_context
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from sync.catalogue import SCOPES

from ..audit import audit
from ..auth import require
from ..errors import ApiError
from ..extensions import db
from ..requests import endpoint
from ..schemas import UUID_PATTERN, FullMatch, Uuid
from . import raw
from .csv_writer import report_csv
from .docx_writer import report_docx
from .figures import (
    POINT_STATES,
    REVIEW_FILTERS,
    Filters,
    build_report,
    empty_figures,
    empty_unit_figures,
    household_points,
    load_campaign,
    load_quarters,
    vn_today,
)
from .pdf_writer import report_pdf
from .sections import document, filename
from .xlsx_writer import report_xlsx

bp = Blueprint("reports", __name__)

RAW_FORMATS = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# Each file of the report, written from the same document.
WRITERS = {"csv": report_csv, "xlsx": report_xlsx, "pdf": report_pdf, "docx": report_docx}
REPORT_FORMATS = ("json", *WRITERS)


QUARTERS = fields.List(
    fields.String(validate=validate.Length(min=1, max=400)),
    load_default=list,
    metadata={"description": "Neighbourhood ids or codes; repeatable or comma separated."},
)
COLLECTIONS = "|".join(sorted(SCOPES))


class CampaignPath(Schema):
    campaign_id = Uuid(required=True)


class ReportPath(Schema):
    campaign_id = fields.String(
        required=True,
        validate=FullMatch(rf"^{UUID_PATTERN[1:-1]}(?:\.(?:csv|xlsx|pdf|docx))?$"),
        metadata={
            "description": "The campaign's id, with `.csv`, `.xlsx`, `.pdf` or `.docx` for a file."
        },
    )


class ExportPath(Schema):
    name = fields.String(
        required=True,
        validate=FullMatch(rf"^(?:{COLLECTIONS})(?:\.(?:csv|xlsx))?$"),
        metadata={"description": "A collection, with `.csv` or `.xlsx`."},
    )


class FilterArgs(Schema):
    """What the dashboard filters by: the period, neighbourhoods and review status."""

    class Meta:
        unknown = EXCLUDE

    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    quarters = QUARTERS
    review = fields.String(load_default="not_rejected", validate=validate.OneOf(REVIEW_FILTERS))

    @validates_schema
    def period_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("date_from is after date_to.", "date_from")


class ReportArgs(FilterArgs):
    format = fields.String(load_default=None, validate=validate.OneOf(REPORT_FORMATS))


class ExportArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    quarters = QUARTERS
    review = fields.String(load_default="all", validate=validate.OneOf(REVIEW_FILTERS))
    format = fields.String(load_default=None, validate=validate.OneOf(RAW_FORMATS))


def _figures_schema(name: str, figures: dict[str, Any]) -> type[Schema]:
    """A schema of the report's figures (documentation), made from the figures themselves."""
    return Schema.from_dict(
        {
            key: fields.Nested(_figures_schema(f"{name}_{key}", value), required=True)
            if isinstance(value, dict)
            else fields.Integer(required=True)
            for key, value in figures.items()
        },
        name=name,
    )


Figures = _figures_schema("ReportFigures", empty_figures())


class ReportQuarter(Figures):  # type: ignore[misc, valid-type]
    id = fields.String(required=True, allow_none=True)
    code = fields.String(required=True)
    name = fields.String(required=True)


class ReportCampaign(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    launch_on = fields.Date(required=True, allow_none=True)
    report_due_on = fields.Date(required=True, allow_none=True)
    active = fields.Boolean(required=True)
    today = fields.Date(required=True)
    days_total = fields.Integer(required=True)
    days_elapsed = fields.Integer(required=True)
    days_left = fields.Integer(required=True, allow_none=True)


class ReportPeriod(Schema):
    from_ = fields.Date(data_key="from", required=True)
    to = fields.Date(required=True)


class ReportFilters(Schema):
    date_from = fields.Date(required=True, allow_none=True)
    date_to = fields.Date(required=True, allow_none=True)
    quarters = fields.List(fields.String(), required=True, allow_none=True)
    review = fields.String(required=True, validate=validate.OneOf(REVIEW_FILTERS))


class ReportDay(Schema):
    date = fields.Date(required=True)
    visits = fields.Integer(required=True)
    households = fields.Integer(required=True)
    cumulative_visits = fields.Integer(required=True)


class ReportNominee(Schema):
    quarter_id = fields.String(required=True, allow_none=True)
    quarter = fields.String(required=True)
    nominee = fields.Raw(required=True, allow_none=True)
    nominee_kind = fields.Raw(required=True, allow_none=True)
    domain = fields.Raw(required=True, allow_none=True)
    achievement = fields.Raw(required=True, allow_none=True)


UnitFigures = _figures_schema("ReportUnitFigures", empty_unit_figures())


class ReportUnit(UnitFigures):  # type: ignore[misc, valid-type]
    id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "null: records of people who belonged to no unit"},
    )
    name = fields.String(required=True)
    kind = fields.String(required=True, allow_none=True)


class ReportDeed(Schema):
    id = fields.String(required=True)
    unit_id = fields.String(required=True, allow_none=True)
    unit = fields.String(required=True)
    title = fields.Raw(required=True, allow_none=True)
    description = fields.Raw(required=True, allow_none=True)
    quarter_id = fields.String(required=True, allow_none=True)
    quarter = fields.String(required=True)
    planned_on = fields.Raw(required=True, allow_none=True)
    status = fields.Raw(required=True, allow_none=True)
    result = fields.Raw(required=True, allow_none=True)
    beneficiaries = fields.Integer(required=True)
    value_vnd = fields.Integer(required=True)


class ReportUnitName(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class ReportResponse(Schema):
    campaign = fields.Nested(ReportCampaign, required=True)
    period = fields.Nested(ReportPeriod, required=True)
    filters = fields.Nested(ReportFilters, required=True)
    quarters = fields.List(fields.Nested(ReportQuarter), required=True)
    total = fields.Nested(Figures, required=True)
    daily_visits = fields.List(fields.Nested(ReportDay), required=True)
    nominees = fields.List(fields.Nested(ReportNominee), required=True)
    units = fields.List(fields.Nested(ReportUnit), required=True)
    deeds = fields.List(fields.Nested(ReportDeed), required=True)
    units_without_deed = fields.List(fields.Nested(ReportUnitName), required=True)


class MapPoint(Schema):
    id = fields.String(required=True)
    quarter_id = fields.String(required=True, allow_none=True)
    head_name = fields.String(required=True)
    address = fields.String(required=True)
    lat = fields.Float(required=True)
    lon = fields.Float(required=True)
    state = fields.String(required=True, validate=validate.OneOf(POINT_STATES))


class MapResponse(Schema):
    households = fields.List(fields.Nested(MapPoint), required=True)
    without_location = fields.Integer(
        required=True, metadata={"description": "Households on the register with no location."}
    )


def _split_format(name: str, asked: str | None, default: str) -> tuple[str, str]:
    """`abc.csv` → (`abc`, `csv`); a suffix wins over `?format=`."""
    stem, dot, suffix = name.rpartition(".")
    if dot:
        return stem, suffix
    return name, asked or default


def requested_quarters(given: list[str]) -> frozenset[str] | None:
    """`quarters` as ids: repeatable or comma separated, ids or codes (`KP1`). 400 if unknown,
    403 if outside the reader's neighbourhoods (§3)."""
    raw = [p.strip() for v in given for p in v.split(",") if p.strip()]
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
@endpoint(
    "The campaign report: figures per neighbourhood and in total, as JSON or a file",
    path=ReportPath,
    query=ReportArgs,
    answer=ReportResponse,
    files=tuple(MIMETYPES[fmt] for fmt in WRITERS),
)
def campaign_report(campaign_id: str, query: dict[str, Any]):
    args = query
    campaign_id, fmt = _split_format(campaign_id, args["format"], "json")
    campaign = load_campaign(db.session, campaign_id.lower())
    if campaign is None:
        raise ApiError(404, "not_found", "No such campaign.")
    filters = Filters(
        date_from=args["date_from"],
        date_to=args["date_to"],
        quarters=requested_quarters(args["quarters"]),
        review=args["review"],
    )
    today = vn_today()
    report = build_report(db.session, campaign, filters, g.actor.quarters, today=today)
    if fmt == "json":
        audit("report", f"reports/campaign/{campaign.id}", {"filters": report["filters"]})
        db.session.commit()
        return report
    audit("export", f"reports/campaign/{campaign.id}.{fmt}", {"filters": report["filters"]})
    db.session.commit()
    config = current_app.config
    paper = document(
        report,
        town=config["TOWN_NAME"],
        signer=config["REPORT_SIGNER"],
        recipient=config["REPORT_RECIPIENT"],
        today=today,
    )
    return _download(WRITERS[fmt](paper), fmt, filename(report, fmt))


@bp.get("/reports/campaign/<campaign_id>/map")
@require("supervisor", "admin")
@endpoint(
    "The households on the register that have a location, each with its state in the campaign: "
    "`visited`, `not_visited` or `flagged` (it or one of its records awaits a fix)",
    path=CampaignPath,
    query=FilterArgs,
    answer=MapResponse,
)
def campaign_map(campaign_id: str, query: dict[str, Any]):
    campaign = load_campaign(db.session, campaign_id)
    if campaign is None:
        raise ApiError(404, "not_found", "No such campaign.")
    filters = Filters(
        date_from=query["date_from"],
        date_to=query["date_to"],
        quarters=requested_quarters(query["quarters"]),
        review=query["review"],
    )
    points, without = household_points(db.session, campaign, filters, g.actor.quarters)
    audit("map", f"reports/campaign/{campaign.id}/map", {"count": len(points)})
    db.session.commit()
    return {"households": points, "without_location": without}


@bp.get("/exports/<name>")
@require("supervisor", "admin")
@endpoint(
    "Every record of a collection in scope, as CSV or XLSX",
    path=ExportPath,
    query=ExportArgs,
    files=(MIMETYPES["csv"], MIMETYPES["xlsx"]),
)
def raw_export(name: str, query: dict[str, Any]):
    args = query
    collection, fmt = _split_format(name, args["format"], "csv")
    asked = requested_quarters(args["quarters"])
    scope = g.actor.quarters
    quarters = scope if asked is None else asked
    if SCOPES[collection] == "global":
        quarters = None  # town-wide records everyone may read
    table = raw.RawExport(db.session, collection, quarters, args["review"])
    rows = table.count()
    audit("export", f"exports/{collection}.{fmt}", {"review": args["review"], "rows": rows})
    db.session.commit()
    filename = f"{collection}.{fmt}"
    if fmt == "csv":
        # Rows are read in chunks and sent as they are written: memory stays flat.
        return _download(
            stream_with_context(raw.stream_csv(table)),
            fmt,
            filename,
            **{"X-Doorstep-Rows": str(rows)},
        )
    path = raw.write_xlsx(table, collection)
    db.session.commit()
    response = _download(
        raw.stream_file(path),
        fmt,
        filename,
        **{"X-Doorstep-Rows": str(rows), "Content-Length": str(os.path.getsize(path))},
    )
    # A response that is never read (HEAD, a client gone early) still removes the file.
    response.call_on_close(lambda: raw.remove_file(path))
    return response
