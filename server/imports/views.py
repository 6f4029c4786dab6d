"""The import endpoints (admin): the template, a preview, the rows with errors as a workbook, and
the apply. The file is the request's body each time; nothing is kept between requests."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from flask import Blueprint, Response, g
from marshmallow import Schema, fields, validate

from ..audit import audit
from ..auth import require, utcnow
from ..errors import HTTP_CODES, ApiError
from ..extensions import db
from ..requests import endpoint
from ..schemas import catalogue
from .apply import ApplyFailed, apply_preview
from .files import XLSX, errors_workbook, template
from .preview import BY_KEY, Preview, RowPlan
from .reading import FileProblem
from .register import preview_file, reference_data

bp = Blueprint("imports", __name__)

# How a register may be sent: an XLSX, or a CSV (which Windows labels as an Excel file), or any
# bytes (the server reads what the file is, whatever it is called).
UPLOAD = (XLSX, "text/csv", "application/vnd.ms-excel", "application/octet-stream")
ACTIONS = ("add", "match", "error")


class ImportProblem(Schema):
    column = fields.String(required=True, allow_none=True)
    message = fields.String(required=True)


class ImportRow(Schema):
    row = fields.Integer(required=True, metadata={"description": "The row number in the file"})
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    values = fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(BY_KEY))),
        values=fields.String(),
        required=True,
        metadata={"description": "The cells of the template's columns, as the file has them"},
    )
    fields_ = fields.Dict(
        data_key="fields",
        required=True,
        metadata={"description": "The household's fields, as they would be pushed"},
    )
    household_id = fields.String(
        required=True, allow_none=True, metadata={"format": "uuid", "description": "A match"}
    )
    changes = fields.Dict(
        required=True, metadata={"description": "What an update of the match would change"}
    )
    errors = fields.List(fields.Nested(ImportProblem), required=True)
    warnings = fields.List(fields.Nested(ImportProblem), required=True)


class ImportColumn(Schema):
    title = fields.String(required=True)
    column = fields.String(required=True, validate=validate.OneOf(list(BY_KEY)))


class ImportFile(Schema):
    format = fields.String(required=True, validate=validate.OneOf(("xlsx", "csv")))
    encoding = fields.String(required=True, allow_none=True)
    sheet = fields.String(required=True, allow_none=True)
    header_row = fields.Integer(required=True)
    digest = fields.String(required=True, metadata={"description": "SHA-256 of the file"})


class ImportCounts(Schema):
    rows = fields.Integer(required=True)
    add = fields.Integer(required=True)
    match = fields.Integer(required=True)
    changed = fields.Integer(required=True)
    error = fields.Integer(required=True)


class ImportPreview(Schema):
    digest = fields.String(
        required=True, metadata={"description": "Send it back with the same file to apply it"}
    )
    file = fields.Nested(ImportFile, required=True)
    columns = fields.List(fields.Nested(ImportColumn), required=True)
    unknown_columns = fields.List(fields.String(), required=True)
    missing_columns = fields.List(fields.String(), required=True)
    notices = fields.List(fields.String(), required=True)
    counts = fields.Nested(ImportCounts, required=True)
    rows = fields.List(fields.Nested(ImportRow), required=True)


class ApplyArgs(Schema):
    digest = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9a-f]{64}$"),
        metadata={"description": "The preview's digest", "pattern": "^[0-9a-f]{64}$"},
    )
    matches = fields.String(
        load_default="skip",
        validate=validate.OneOf(("skip", "update")),
        metadata={"description": "What to do with rows that match a household on the register"},
    )


class ImportOutcome(Schema):
    added = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    already_imported = fields.Integer(required=True)
    skipped = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    errors = fields.Integer(required=True)


def _previewed(upload: bytes) -> Preview:
    try:
        return preview_file(db.session, upload, utcnow())
    except FileProblem as problem:
        code = HTTP_CODES.get(problem.status, "validation")
        raise ApiError(problem.status, code, problem.message, problem.details) from problem


def _row(plan: RowPlan) -> dict[str, Any]:
    return {
        "row": plan.row,
        "action": plan.action,
        "values": plan.values,
        "fields": plan.fields,
        "household_id": plan.household.id if plan.household else None,
        "changes": plan.changes,
        "errors": [asdict(p) for p in plan.errors],
        "warnings": [asdict(p) for p in plan.warnings],
    }


def preview_answer(result: Preview) -> dict[str, Any]:
    """The preview as the API answers it."""
    sheet = result.sheet
    return {
        "digest": result.digest,
        "file": {
            "format": sheet.format,
            "encoding": sheet.encoding,
            "sheet": sheet.sheet_name,
            "header_row": sheet.header_row,
            "digest": result.file_digest,
        },
        "columns": [{"title": title, "column": key} for title, key in result.columns],
        "unknown_columns": result.unknown_columns,
        "missing_columns": result.missing_columns,
        "notices": result.notices,
        "counts": {
            "rows": len(result.rows),
            "add": result.count("add"),
            "match": result.count("match"),
            "changed": result.changed,
            "error": result.count("error"),
        },
        "rows": [_row(plan) for plan in result.rows],
    }


def _download(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/imports/households/template.xlsx")
@require("admin")
@endpoint("The household register template, with the town's neighbourhoods", files=(XLSX,))
def household_template():
    return _download(template(reference_data(db.session)), "mau-danh-sach-ho.xlsx")


@bp.post("/imports/households/preview")
@require("admin")
@endpoint(
    "What importing a household register (XLSX or CSV) would do, row by row; writes nothing",
    upload=UPLOAD,
    answer=ImportPreview,
)
def preview_households(upload: bytes):
    result = _previewed(upload)
    # The preview shows the households the file matches: a look at residents' data.
    audit("import", "imports/households", {"step": "preview", "rows": len(result.rows)})
    db.session.commit()
    return preview_answer(result)


@bp.post("/imports/households/errors.xlsx")
@require("admin")
@endpoint(
    "The file's rows with errors, as they were, with a Lỗi column: to fix and upload again",
    upload=UPLOAD,
    files=(XLSX,),
)
def household_errors(upload: bytes):
    return _download(errors_workbook(_previewed(upload)), "loi-danh-sach-ho.xlsx")


@bp.post("/imports/households/apply")
@require("admin")
@endpoint(
    "Import a previewed household register through the push engine (§4), all or nothing",
    upload=UPLOAD,
    query=ApplyArgs,
    answer=ImportOutcome,
)
def apply_households(upload: bytes, query: dict[str, Any]):
    result = _previewed(upload)
    if result.digest != query["digest"]:
        raise ApiError(
            409,
            "preview_stale",
            "Tệp hoặc danh sách hộ đã thay đổi sau khi xem trước; hãy xem trước lại.",
        )
    actor = replace(g.actor, device_id=f"import:{result.file_digest[:16]}")
    try:
        outcome = apply_preview(
            db.session,
            catalogue,
            actor,
            result,
            update=query["matches"] == "update",
            now=utcnow(),
        )
    except ApplyFailed as failed:
        db.session.rollback()
        raise ApiError(
            409,
            "preview_stale",
            "Danh sách hộ đã thay đổi trong lúc nhập; không hộ nào được nhập. Hãy xem trước lại.",
            {"rows": failed.rows[:100]},
        ) from failed
    audit(
        "import",
        "imports/households",
        {"step": "apply", "file": result.file_digest[:16], **asdict(outcome)},
    )
    db.session.commit()
    return asdict(outcome)
