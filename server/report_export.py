"""The campaign report and the raw collections as files: CSV (UTF-8 with BOM, for Excel), XLSX
(openpyxl) and a printable PDF (fpdf2, with DejaVu fonts, which cover Vietnamese).

Every text cell is written so that no spreadsheet takes it for a formula (OWASP's rule against
CSV injection: a CSV cell starting with `=`, `+`, `-`, `@`, tab or CR gets a `'` in front; XLSX
text cells are typed as strings), and without the control characters spreadsheets and PDFs
refuse, which push refuses too but older rows may hold.

The report's figures are small, so its files are built in memory. Raw exports can hold every
record of a collection: they are read in chunks (`yield_per`) and streamed, CSV row by row, XLSX
through openpyxl's write-only mode into a temporary file that is then sent in chunks.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from sync.models import Record, User

from .dates import VN

FONTS = Path(__file__).parent / "fonts"
BOM = "\ufeff"
CHUNK = 1000
MONEY_FORMAT = '#,##0 "₫"'
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

# -- text as files may hold it --------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(value: Any) -> Any:
    """Text without the control characters XML (XLSX) and fonts (PDF) refuse; tab, newline and
    CR stay. Lists and dicts are cleaned all through (the report, for the PDF)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def csv_cell(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would read as a formula gets a `'` in front."""
    if isinstance(value, str):
        value = plain(value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def xlsx_cell(ws: Any, value: Any, number_format: str | None = None) -> Any:
    """An XLSX cell: text is always a string cell (never a formula); numbers and dates may get
    a number format."""
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=plain(value))
        cell.data_type = "s"
        return cell
    if number_format and value is not None:
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell
    return value


# -- words ------------------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "purpose": {
        "outreach": "Tuyên truyền, vận động",
        "support": "Chăm lo, hỗ trợ",
        "registration": "Vận động đăng ký",
        "model_family": "Gia đình kiểu mẫu",
        "follow_up": "Theo dõi tiếp",
        "other": "Khác",
    },
    "registration_kind": {
        "health_insurance": "Bảo hiểm y tế",
        "waste_collection": "Thu gom rác thải sinh hoạt",
        "clean_water": "Nước sạch",
    },
    "status": {
        "registered": "Đăng ký mới",
        "already_enrolled": "Đã tham gia trước",
        "considering": "Đang cân nhắc",
        "declined": "Không đồng ý",
    },
    "support_kind": {
        "gift": "Quà tặng",
        "cash": "Tiền mặt",
        "scholarship": "Học bổng (khuyến học)",
        "housing": "Hỗ trợ nhà ở",
        "health": "Chăm sóc sức khỏe",
        "other": "Khác",
    },
    "categories": {
        "policy_family": "Gia đình chính sách",
        "meritorious": "Người có công",
        "poor": "Hộ nghèo",
        "near_poor": "Hộ cận nghèo",
        "hardship": "Hoàn cảnh khó khăn",
    },
    "result": {"model": "Đạt", "not_yet": "Chưa đạt"},
    "nominee_kind": {"individual": "Cá nhân", "collective": "Tập thể"},
    "domain": {
        "economy": "Kinh tế",
        "culture_society": "Văn hóa - xã hội",
        "security_defence": "Quốc phòng - an ninh",
        "party_government": "Xây dựng Đảng, chính quyền",
    },
    "review": {
        "pending": "Chờ duyệt",
        "approved": "Đã duyệt",
        "has_issues": "Cần sửa",
        "rejected": "Không duyệt",
        "edited": "Đã sửa",
    },
    "model_status": {
        "none": "Chưa đăng ký",
        "registered": "Đã đăng ký",
        "achieved": "Đạt kiểu mẫu",
    },
}

REVIEW_FILTER_WORDS = {
    "not_rejected": "tất cả, trừ bản ghi không duyệt",
    "all": "tất cả",
    "approved": "chỉ bản ghi đã duyệt",
    "pending": "chỉ bản ghi chờ duyệt",
    "has_issues": "chỉ bản ghi cần sửa",
    "rejected": "chỉ bản ghi không duyệt",
    "edited": "chỉ bản ghi đã sửa",
}


def money(value: int) -> str:
    """`1.500.000 ₫`."""
    return f"{value:,}".replace(",", ".") + " ₫"


def number(value: int) -> str:
    """`12.345`."""
    return f"{value:,}".replace(",", ".")


def ddmmyyyy(day: date | str | None) -> str:
    """`25/10/2024`."""
    if day is None:
        return ""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return day.strftime("%d/%m/%Y")


# -- the report's tables ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One figure of a section: its heading, where it is in the figures, and how it reads."""

    title: str
    path: str
    money: bool = False

    def value(self, figures: dict[str, Any]) -> int:
        node: Any = figures
        for key in self.path.split("."):
            node = node[key]
        return int(node)


@dataclass(frozen=True)
class Section:
    """One table of the report: rows are neighbourhoods and a total, columns are figures."""

    title: str
    sheet: str
    columns: tuple[Column, ...]


def _statuses(kind: str, persons: bool = False) -> tuple[Column, ...]:
    base = f"registrations.{kind}"
    cols = [Column("Đăng ký mới (hộ)", f"{base}.registered.households")]
    if persons:
        cols.append(Column("Số người đăng ký mới", f"{base}.registered.persons"))
    cols += [
        Column("Đã tham gia trước (hộ)", f"{base}.already_enrolled.households"),
        Column("Đang cân nhắc (hộ)", f"{base}.considering.households"),
        Column("Không đồng ý (hộ)", f"{base}.declined.households"),
    ]
    return tuple(cols)


SECTIONS: tuple[Section, ...] = (
    Section(
        "1. Thăm hộ gia đình",
        "Thăm hộ",
        (
            Column("Số hộ được thăm", "visits.households"),
            Column("Số lượt thăm", "visits.visits"),
            Column("Lượt thăm cần theo dõi tiếp", "visits.follow_up"),
            Column("Số hộ cần theo dõi tiếp", "visits.follow_up_households"),
        ),
    ),
    Section(
        "2. Vận động đăng ký tham gia bảo hiểm y tế",
        "Bảo hiểm y tế",
        _statuses("health_insurance", persons=True),
    ),
    Section(
        "3. Vận động đăng ký thu gom rác thải sinh hoạt",
        "Thu gom rác thải",
        _statuses("waste_collection"),
    ),
    Section("4. Vận động đăng ký sử dụng nước sạch", "Nước sạch", _statuses("clean_water")),
    Section(
        "5. Chăm lo gia đình chính sách, người có công, hộ nghèo, hộ cận nghèo",
        "Chăm lo",
        (
            Column("Số lượt chăm lo", "support.count"),
            Column("Tổng giá trị", "support.value_vnd", money=True),
            Column("Số hộ được chăm lo", "support.households"),
            Column("Gia đình chính sách", "support.households_by_category.policy_family"),
            Column("Người có công", "support.households_by_category.meritorious"),
            Column("Hộ nghèo", "support.households_by_category.poor"),
            Column("Hộ cận nghèo", "support.households_by_category.near_poor"),
        ),
    ),
    Section(
        "6. Chăm lo theo hình thức: số lượt",
        "Chăm lo - số lượt",
        tuple(
            Column(label, f"support.by_kind.{kind}.count")
            for kind, label in LABELS["support_kind"].items()
        ),
    ),
    Section(
        "7. Chăm lo theo hình thức: giá trị",
        "Chăm lo - giá trị",
        tuple(
            Column(label, f"support.by_kind.{kind}.value_vnd", money=True)
            for kind, label in LABELS["support_kind"].items()
        ),
    ),
    Section(
        "8. Xây dựng gia đình kiểu mẫu",
        "Gia đình kiểu mẫu",
        (
            Column("Số hộ được đánh giá", "assessments.households"),
            Column("Số lượt đánh giá", "assessments.count"),
            Column("Đạt gia đình kiểu mẫu", "assessments.model"),
            Column("Chưa đạt", "assessments.not_yet"),
        ),
    ),
    Section(
        "9. Đề xuất điển hình “Dân vận khéo”",
        "Dân vận khéo",
        (
            Column("Cá nhân", "nominations.individual"),
            Column("Tập thể", "nominations.collective"),
            *(
                Column(label, f"nominations.by_domain.{key}")
                for key, label in LABELS["domain"].items()
            ),
            Column("Tổng số", "nominations.count"),
        ),
    ),
)

TOTAL = "Tổng cộng"
QUARTER = "Khu phố"


def report_rows(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(neighbourhood name, figures) for every listed neighbourhood, then the total."""
    return [(q["name"], q) for q in report["quarters"]] + [(TOTAL, report["total"])]


def report_filename(report: dict[str, Any], extension: str) -> str:
    """`bao-cao-<campaign start>-<campaign id prefix>.<ext>` (ASCII, safe in any browser)."""
    c = report["campaign"]
    return f"bao-cao-dan-van-{c['starts_on']}-{c['id'][:8]}.{extension}"


def report_csv(report: dict[str, Any]) -> bytes:
    """One table: a row per figure (section, figure), a column per neighbourhood and the total.
    Numbers are plain integers (money in đồng) so that Excel can add them up."""
    out = io.StringIO()
    writer = csv.writer(out)
    rows = report_rows(report)
    writer.writerow([csv_cell(v) for v in ("Mục", "Chỉ tiêu", *(name for name, _ in rows))])
    for section in SECTIONS:
        for column in section.columns:
            title = column.title + (" (đồng)" if column.money else "")
            writer.writerow([section.title, title, *(column.value(f) for _, f in rows)])
    return (BOM + out.getvalue()).encode("utf-8")


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")


def report_xlsx(report: dict[str, Any], town: str) -> bytes:
    """A sheet about the report, then one sheet per section (frozen header and first column,
    thousands separators, money in ₫), then the nominees."""
    wb = Workbook()
    info = wb.active
    info.title = "Thông tin"
    c = report["campaign"]
    for label, value in (
        ("Đơn vị", f"Ủy ban nhân dân {town}"),
        ("Báo cáo", "Kết quả ra quân công tác Dân vận"),
        ("Đợt ra quân", c["name"]),
        ("Từ ngày", _as_date(report["period"]["from"])),
        ("Đến ngày", _as_date(report["period"]["to"])),
        ("Hạn gửi báo cáo", _as_date(c["report_due_on"])),
        ("Bản ghi được tính", REVIEW_FILTER_WORDS.get(report["filters"]["review"], "")),
        ("Khu phố", ", ".join(q["name"] for q in report["quarters"])),
    ):
        info.append([xlsx_cell(info, label), xlsx_cell(info, value)])
        info.cell(info.max_row, 1).font = HEADER_FONT
        if isinstance(value, date):
            info.cell(info.max_row, 2).number_format = DATE_FORMAT
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 60

    rows = report_rows(report)
    for section in SECTIONS:
        ws = wb.create_sheet(section.sheet[:31])
        ws.append([QUARTER, *(col.title for col in section.columns)])
        for cell in ws[1]:
            cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        for name, figures in rows:
            ws.append([xlsx_cell(ws, name), *(col.value(figures) for col in section.columns)])
            for index, col in enumerate(section.columns, start=2):
                ws.cell(ws.max_row, index).number_format = MONEY_FORMAT if col.money else "#,##0"
        for cell in ws[ws.max_row]:
            cell.font = HEADER_FONT
        ws.freeze_panes = "B2"
        ws.row_dimensions[1].height = 45
        ws.column_dimensions["A"].width = 16
        for index, col in enumerate(section.columns, start=2):
            ws.column_dimensions[get_column_letter(index)].width = 20 if col.money else 15

    ws = wb.create_sheet("Danh sách đề xuất")
    ws.append(["STT", QUARTER, "Cá nhân / tập thể", "Loại", "Lĩnh vực", "Thành tích"])
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for n, person in enumerate(report["nominees"], start=1):
        ws.append(
            [
                n,
                *(
                    xlsx_cell(ws, value)
                    for value in (
                        person["quarter"],
                        person["nominee"],
                        LABELS["nominee_kind"].get(person["nominee_kind"], ""),
                        LABELS["domain"].get(person["domain"], ""),
                        person["achievement"],
                    )
                ),
            ]
        )
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEF", (6, 14, 28, 10, 24, 80), strict=True):
        ws.column_dimensions[letter].width = width

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _as_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# -- the PDF ---------------------------------------------------------------------------------


def report_pdf(
    report: dict[str, Any],
    *,
    town: str,
    signer: str,
    recipient: str,
    today: date,
) -> bytes:
    """An official-looking report: the town's heading, the title, the campaign and its period,
    a summary, the tables, where it goes and the chairman's signature block."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    report = plain(report)

    note = (
        f"Số liệu: {REVIEW_FILTER_WORDS.get(report['filters']['review'], '')}. Lập bằng Doorstep."
    )

    class ReportPDF(FPDF):
        def footer(self) -> None:
            """Page numbers, and which records the figures count, in small print."""
            self.set_y(-11)
            self.set_font("DejaVu", "I", 7)
            self.cell(0, 4, f"{note} Trang {self.page_no()}/{{nb}}", align="C")

    pdf = ReportPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(18, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(FONTS / "DejaVuSans-Oblique.ttf"))
    c = report["campaign"]
    place = town.split(" ", 2)[-1] if town.lower().startswith(("thị trấn", "thi tran")) else town
    # "Thị trấn Gia Ray" inside a sentence: "thị trấn Gia Ray".
    in_text = town[:1].lower() + town[1:]
    pdf.set_title(f"Báo cáo kết quả ra quân công tác Dân vận - {c['name']}")
    pdf.set_author(f"Ủy ban nhân dân {town}")
    pdf.set_creator("Doorstep")
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw

    # The heading: the issuing body on the left, the national motto on the right.
    left, right = width * 0.42, width * 0.58
    top = pdf.get_y()
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(left, 5, "ỦY BAN NHÂN DÂN", align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(left, 5, town.upper(), align="C", new_x="LEFT", new_y="NEXT")
    pdf.line(
        pdf.l_margin + left / 2 - 12,
        pdf.get_y() + 0.5,
        pdf.l_margin + left / 2 + 12,
        pdf.get_y() + 0.5,
    )
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(left, 5, "Số:        /BC-UBND", align="C")
    pdf.set_xy(pdf.l_margin + left, top)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(right, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.cell(right, 5, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LEFT", new_y="NEXT")
    mid = pdf.l_margin + left + right / 2
    pdf.line(mid - 27, pdf.get_y() + 0.5, mid + 27, pdf.get_y() + 0.5)
    pdf.ln(2)
    pdf.set_x(pdf.l_margin + left)
    pdf.set_font("DejaVu", "I", 10)
    pdf.cell(
        right,
        5,
        f"{place}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}",
        align="C",
    )
    pdf.set_xy(pdf.l_margin, top + 30)

    # The title.
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(width, 7, "BÁO CÁO", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(
        width,
        5.5,
        "Kết quả ra quân thực hiện công tác Dân vận chính quyền\n"
        f"{c['name']} trên địa bàn {in_text}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    period = report["period"]
    pdf.set_font("DejaVu", "I", 10)
    pdf.cell(
        width,
        6,
        f"(Từ ngày {ddmmyyyy(period['from'])} đến ngày {ddmmyyyy(period['to'])})",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 10.5)
    pdf.cell(width, 6, f"Kính gửi: {recipient}.", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    total = report["total"]
    sup = total["support"]
    bhyt = total["registrations"]["health_insurance"]["registered"]
    text = (
        f"Thực hiện Kế hoạch ra quân công tác dân vận ({c['name']}), Ủy ban nhân dân {in_text} "
        f"báo cáo kết quả thực hiện từ ngày {ddmmyyyy(period['from'])} đến ngày "
        f"{ddmmyyyy(period['to'])} như sau: các ban ngành, đơn vị đã đến thăm "
        f"{number(total['visits']['households'])} hộ gia đình với "
        f"{number(total['visits']['visits'])} lượt thăm; vận động "
        f"{number(bhyt['households'])} hộ đăng ký mới bảo hiểm y tế cho "
        f"{number(bhyt['persons'])} người; chăm lo {number(sup['count'])} lượt cho "
        f"{number(sup['households'])} hộ với tổng giá trị {money(sup['value_vnd'])}; "
        f"{number(total['assessments']['model'])} hộ đạt gia đình kiểu mẫu; đề xuất "
        f"{number(total['nominations']['count'])} điển hình “Dân vận khéo”. "
        "Kết quả cụ thể theo từng khu phố:"
    )
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(width, 5.5, "     " + text, align="J", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    headings = FontFace(emphasis="BOLD", fill_color=(221, 235, 247))
    bold = FontFace(emphasis="BOLD")
    rows = report_rows(report)
    for section in SECTIONS:
        has_money = any(col.money for col in section.columns)
        size = 7.5 if has_money and len(section.columns) > 4 else 8.5
        needed = 12 + 6 * len(rows)
        if pdf.get_y() + needed > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 10.5)
        pdf.multi_cell(width, 6, section.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", size)
        first = 24.0
        widths = [first, *([(width - first) / len(section.columns)] * len(section.columns))]
        with pdf.table(
            col_widths=widths,
            width=width,
            text_align=("LEFT", *(["RIGHT"] * len(section.columns))),
            headings_style=headings,
            line_height=4.2,
            padding=1,
        ) as table:
            header = table.row()
            header.cell(QUARTER, align="C")
            for col in section.columns:
                header.cell(col.title, align="C")
            for name, figures in rows:
                row = table.row()
                style = bold if name == TOTAL else None
                row.cell(name, style=style)
                for col in section.columns:
                    value = col.value(figures)
                    row.cell(money(value) if col.money else number(value), style=style)
        pdf.ln(3)

    if report["nominees"]:
        if pdf.get_y() + 30 > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 10.5)
        pdf.cell(
            width,
            6,
            "10. Danh sách đề xuất biểu dương, khen thưởng “Dân vận khéo”",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(
            col_widths=(8, 22, 36, 28, width - 94),
            width=width,
            headings_style=headings,
            line_height=4.2,
            padding=1,
        ) as table:
            header = table.row()
            for title in ("STT", QUARTER, "Cá nhân / tập thể", "Lĩnh vực", "Thành tích"):
                header.cell(title, align="C")
            for n, person in enumerate(report["nominees"], start=1):
                row = table.row()
                row.cell(str(n), align="C")
                row.cell(person["quarter"] or "")
                kind = LABELS["nominee_kind"].get(person["nominee_kind"], "")
                row.cell(f"{person['nominee']} ({kind.lower()})")
                row.cell(LABELS["domain"].get(person["domain"], ""))
                row.cell(person["achievement"] or "")
        pdf.ln(3)

    if pdf.get_y() + 55 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.set_font("DejaVu", "", 10.5)
    due = c["report_due_on"]
    closing = (
        f"Ủy ban nhân dân {in_text} báo cáo {recipient} theo thời hạn"
        + (f" trước ngày {ddmmyyyy(due)}" if due else "")
        + "./."
    )
    pdf.multi_cell(width, 5.5, "     " + closing, align="J", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 9.5)
    pdf.cell(left, 5, "Nơi nhận:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8.5)
    for line in (
        f"- {recipient};",
        "- TT Đảng ủy-HĐND thị trấn;",
        "- Chủ tịch, các PCT UBND;",
        "- Lưu: VT.",
    ):
        pdf.cell(left, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(pdf.l_margin + left, top)
    pdf.set_font("DejaVu", "B", 10.5)
    pdf.cell(right, 5.5, "TM. ỦY BAN NHÂN DÂN", align="C", new_x="LEFT", new_y="NEXT")
    pdf.cell(right, 5.5, "CHỦ TỊCH", align="C", new_x="LEFT", new_y="NEXT")
    pdf.ln(22)
    pdf.set_x(pdf.l_margin + left)
    pdf.cell(right, 5.5, signer, align="C")

    return bytes(pdf.output())


# -- raw exports -------------------------------------------------------------------------------

# Column titles of every collection's fields, in the order they are exported.
FIELD_TITLES: dict[str, tuple[tuple[str, str], ...]] = {
    "quarters": (("code", "Mã khu phố"), ("name", "Tên khu phố")),
    "groups": (("name", "Tên tổ nhân dân"), ("model_status", "Tổ nhân dân kiểu mẫu")),
    "campaigns": (
        ("name", "Tên đợt ra quân"),
        ("starts_on", "Ngày bắt đầu"),
        ("ends_on", "Ngày kết thúc"),
        ("launch_on", "Ngày phát động"),
        ("report_due_on", "Hạn báo cáo"),
        ("active", "Đang thực hiện"),
    ),
    "households": (
        ("head_name", "Chủ hộ"),
        ("address", "Địa chỉ"),
        ("group_id", "Tổ nhân dân"),
        ("phone", "Số điện thoại"),
        ("members_count", "Số nhân khẩu"),
        ("categories", "Diện chính sách"),
        ("location", "Vị trí (vĩ độ, kinh độ)"),
        ("notes", "Ghi chú"),
    ),
    "visits": (
        ("visited_at", "Thời gian thăm"),
        ("purpose", "Mục đích"),
        ("campaign_id", "Đợt ra quân"),
        ("follow_up_needed", "Cần theo dõi tiếp"),
        ("location", "Vị trí (vĩ độ, kinh độ)"),
        ("notes", "Ghi chú"),
    ),
    "registrations": (
        ("kind", "Loại đăng ký"),
        ("status", "Tình trạng"),
        ("persons", "Số người"),
        ("registered_on", "Ngày đăng ký"),
        ("campaign_id", "Đợt ra quân"),
        ("notes", "Ghi chú"),
    ),
    "support": (
        ("kind", "Hình thức chăm lo"),
        ("value_vnd", "Giá trị (đồng)"),
        ("sponsor", "Đơn vị, cá nhân tài trợ"),
        ("given_on", "Ngày trao"),
        ("campaign_id", "Đợt ra quân"),
        ("notes", "Ghi chú"),
    ),
    "assessments": (
        ("year", "Năm"),
        ("criteria_met", "Tiêu chí đạt"),
        ("result", "Kết quả"),
        ("notes", "Ghi chú"),
    ),
    "nominations": (
        ("nominee", "Cá nhân / tập thể được đề xuất"),
        ("nominee_kind", "Loại"),
        ("domain", "Lĩnh vực"),
        ("achievement", "Thành tích"),
        ("campaign_id", "Đợt ra quân"),
    ),
}
ENUM_OF = {
    "purpose": "purpose",
    "status": "status",
    "categories": "categories",
    "result": "result",
    "nominee_kind": "nominee_kind",
    "domain": "domain",
    "model_status": "model_status",
}
KIND_OF = {"registrations": "registration_kind", "support": "support_kind"}
DATE_FIELDS = frozenset(
    {"starts_on", "ends_on", "launch_on", "report_due_on", "registered_on", "given_on"}
)
CHILD = frozenset({"visits", "registrations", "support", "assessments"})


@dataclass(frozen=True)
class RawColumn:
    """A column of a raw export: title, how to get its value from a row, and its XLSX format."""

    title: str
    get: Callable[[Any], Any]
    number_format: str | None = None
    width: float = 16


def _local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN).replace(tzinfo=None)


def _visit_time(value: Any) -> datetime | None:
    """The visit's wall-clock time where it happened (the offset the phone sent)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        return None


class RawExport:
    """The columns and rows of one collection's raw export, for one reader's scope."""

    def __init__(
        self,
        session: Session,
        collection: str,
        quarters: frozenset[str] | None,
        review: str | None,
    ) -> None:
        self.session, self.collection = session, collection
        self.quarters, self.review = quarters, review
        # Reference data is small: names of neighbourhoods, groups, campaigns and users.
        self.names: dict[str, str] = {}
        for row in session.execute(
            select(Record.id, Record.fields).where(
                Record.collection.in_(("quarters", "groups", "campaigns"))
            )
        ):
            self.names[row.id] = str(row.fields.get("name") or row.fields.get("code") or "")
        self.users = dict(session.execute(select(User.id, User.display_name)).all())
        self.columns = self._columns()

    def _field(self, name: str) -> RawColumn:
        title = dict(FIELD_TITLES[self.collection])[name]
        labels = LABELS.get(KIND_OF.get(self.collection, "")) if name == "kind" else None
        labels = labels or LABELS.get(ENUM_OF.get(name, ""))

        def value(row: Any) -> Any:
            v = row.fields.get(name)
            if v is None:
                return None
            if name in ("campaign_id", "group_id"):
                return self.names.get(v, v)
            if name == "visited_at":
                return _visit_time(v)
            if name in DATE_FIELDS:
                return _as_date(v) if isinstance(v, str) else None
            if isinstance(v, bool):
                return "Có" if v else "Không"
            if name == "location" and isinstance(v, dict):
                return f"{v.get('lat')}, {v.get('lon')}"
            if isinstance(v, list):
                return "; ".join(str((labels or {}).get(x, x)) for x in v)
            if labels:
                return labels.get(v, v)
            return v

        fmt = None
        if name == "visited_at":
            fmt = DATETIME_FORMAT
        elif name in DATE_FIELDS:
            fmt = DATE_FORMAT
        elif name == "value_vnd":
            fmt = MONEY_FORMAT
        wide = name in ("address", "notes", "achievement", "criteria_met", "head_name", "nominee")
        return RawColumn(title, value, fmt, 36 if wide else 16)

    def _columns(self) -> list[RawColumn]:
        cols = [
            RawColumn("Mã bản ghi", lambda r: r.id, width=38),
            RawColumn("Khu phố", lambda r: self.names.get(r.quarter_id, r.quarter_id or "")),
        ]
        if self.collection in CHILD:
            cols += [
                RawColumn("Chủ hộ", lambda r: (r.household or {}).get("head_name"), width=26),
                RawColumn("Địa chỉ hộ", lambda r: (r.household or {}).get("address"), width=30),
            ]
        cols += [self._field(name) for name, _ in FIELD_TITLES[self.collection]]
        cols += [
            RawColumn("Trạng thái duyệt", lambda r: LABELS["review"].get(r.review_status)),
            RawColumn("Ý kiến duyệt", lambda r: r.review_comment, width=30),
            RawColumn("Người nhập", lambda r: self.users.get(r.created_by, ""), width=22),
            RawColumn("Ngày nhập", lambda r: _local(r.created_at), DATETIME_FORMAT),
            RawColumn("Cập nhật lần cuối", lambda r: _local(r.updated_at), DATETIME_FORMAT),
            RawColumn("Phiên bản", lambda r: r.rev, width=10),
        ]
        return cols

    def _query(self) -> Any:
        household = aliased(Record)
        columns = [
            Record.id,
            Record.rev,
            Record.fields,
            Record.quarter_id,
            Record.review_status,
            Record.review_comment,
            Record.created_by,
            Record.created_at,
            Record.updated_at,
        ]
        query = select(*columns)
        if self.collection in CHILD:
            query = select(*columns, household.fields.label("household")).outerjoin(
                household,
                (household.collection == "households") & (household.id == Record.household_id),
            )
        query = query.where(Record.collection == self.collection, Record.deleted.is_(False))
        if self.quarters is not None:
            query = query.where(Record.quarter_id.in_(sorted(self.quarters)))
        if self.review == "not_rejected":
            query = query.where(Record.review_status != "rejected")
        elif self.review and self.review != "all":
            query = query.where(Record.review_status == self.review)
        return query.order_by(Record.quarter_id, Record.created_at, Record.id)

    def count(self) -> int:
        """How many rows the export has (sent ahead, so the app can show progress)."""
        query = self._query().order_by(None).subquery()
        return int(self.session.execute(select(func.count()).select_from(query)).scalar_one())

    def rows(self) -> Iterator[list[Any]]:
        """The values of every row, read from the database CHUNK rows at a time."""
        result = self.session.execute(self._query().execution_options(yield_per=CHUNK))
        for row in result:
            yield [col.get(row) for col in self.columns]

    def titles(self) -> list[str]:
        return [c.title for c in self.columns]


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else value


def stream_csv(export: RawExport) -> Iterator[bytes]:
    """The CSV, with a BOM, a few hundred rows per chunk."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write(BOM)
    writer.writerow(export.titles())
    for n, row in enumerate(export.rows(), start=1):
        writer.writerow([csv_cell(_csv_value(v)) for v in row])
        if n % 500 == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def write_xlsx(export: RawExport, sheet_title: str) -> str:
    """Write the XLSX in openpyxl's write-only mode to a temporary file; returns its path."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title[:31])
    ws.freeze_panes = "A2"
    for index, col in enumerate(export.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = col.width
    header = []
    for title in export.titles():
        cell = WriteOnlyCell(ws, value=title)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        header.append(cell)
    ws.append(header)
    formats = [c.number_format for c in export.columns]
    for row in export.rows():
        ws.append([xlsx_cell(ws, value, fmt) for value, fmt in zip(row, formats, strict=True)])
    handle, path = tempfile.mkstemp(prefix="doorstep-export-", suffix=".xlsx")
    os.close(handle)
    wb.save(path)
    return path


def stream_file(path: str, chunk: int = 256 * 1024) -> Iterable[bytes]:
    """A file's bytes in chunks; the file is removed once sent (or when the client goes away)."""
    try:
        with open(path, "rb") as handle:
            while data := handle.read(chunk):
                yield data
    finally:
        remove_file(path)


def remove_file(path: str) -> None:
    """Remove a temporary export file, if it is still there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
