"""The report as a document, built once from its figures: the heading block, the paragraphs, the
numbered tables and the signature block that every writer (PDF, DOCX, XLSX, CSV) lays out.

Every word of the document is chosen here (labels in `labels`); writers only lay out. A table is
one small function below and one entry in `TABLES`: each writer shows it without change.
The wording of the heading and signature follows the town's plan and Decree 30/2020/NĐ-CP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import getitem
from typing import Any, Literal

from ..vocabulary import label, labels, values
from .cells import as_date, plain
from .figures import coverage_share
from .labels import REVIEW_FILTER_WORDS, dated_at, ddmmyyyy, money, number, share

Kind = Literal["text", "count", "money", "share"]
QUARTER = "Khu phố"
TOTAL = "Tổng cộng"


@dataclass(frozen=True)
class Column:
    """A column of a table: its heading, what its cells hold, its relative width on paper."""

    title: str
    kind: Kind = "count"
    width: float = 1.0


@dataclass(frozen=True)
class Table:
    """A numbered table of the report. `by_quarter`: a row per neighbourhood, then the total."""

    title: str
    sheet: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    by_quarter: bool = False
    when_empty: str = ""


@dataclass(frozen=True)
class Document:
    """Everything the report says, in the order it is read."""

    issuer: tuple[str, str]
    nation: tuple[str, str]
    reference: str
    dateline: str
    kind: str
    subject: tuple[str, ...]
    period: str
    recipient: str
    paragraphs: tuple[str, ...]
    tables: tuple[Table, ...]
    closing: str
    copies_to: tuple[str, ...]
    signature: tuple[str, str]
    signer: str
    title: str
    author: str
    facts: tuple[tuple[str, str | date | None], ...]


def printed(column: Column, value: Any) -> str:
    """A table cell as it reads on paper (PDF, DOCX)."""
    if column.kind == "money":
        return money(int(value))
    if column.kind == "share":
        return share(value)
    if column.kind == "count":
        return number(int(value))
    return str(value)


# -- tables whose rows are the neighbourhoods --------------------------------------------------

Figure = tuple[Column, Callable[[dict[str, Any]], Any]]


def at(path: str) -> Callable[[dict[str, Any]], int]:
    """The figure at a dotted path (`support.by_kind.gift.count`), as an integer."""
    return lambda figures: int(reduce(getitem, path.split("."), figures))


def by_quarter(report: dict[str, Any], title: str, sheet: str, *figures: Figure) -> Table:
    """A table with a row per listed neighbourhood and the total, a column per figure."""
    named = [(q["name"], q) for q in report["quarters"]] + [(TOTAL, report["total"])]
    return Table(
        title,
        sheet,
        (Column(QUARTER, "text", 1.3), *(column for column, _ in figures)),
        tuple((name, *(get(f) for _, get in figures)) for name, f in named),
        by_quarter=True,
    )


def coverage_table(report: dict[str, Any]) -> Table:
    """Households visited in the campaign out of those on the register."""
    return by_quarter(
        report,
        "Tỷ lệ hộ gia đình được thăm",
        "Tỷ lệ hộ được thăm",
        (Column("Số hộ được thăm"), at("coverage.visited")),
        (Column("Số hộ trong danh sách"), at("coverage.households")),
        (Column("Tỷ lệ hộ được thăm", "share"), coverage_share),
    )


def visits_table(report: dict[str, Any]) -> Table:
    """Households visited, visits, and what still needs a follow-up."""
    return by_quarter(
        report,
        "Thăm hộ gia đình",
        "Thăm hộ",
        (Column("Số hộ được thăm"), at("visits.households")),
        (Column("Số lượt thăm"), at("visits.visits")),
        (Column("Lượt thăm cần theo dõi tiếp"), at("visits.follow_up")),
        (Column("Số hộ cần theo dõi tiếp"), at("visits.follow_up_households")),
    )


def _registrations(
    report: dict[str, Any], kind: str, title: str, sheet: str, persons: bool = False
) -> Table:
    base = f"registrations.{kind}"
    figures: list[Figure] = []
    for status, word in labels("registration_status").items():
        figures.append((Column(f"{word} (hộ)"), at(f"{base}.{status}.households")))
        if persons and status == "registered":
            figures.append((Column("Số người đăng ký mới"), at(f"{base}.registered.persons")))
    return by_quarter(report, title, sheet, *figures)


def health_insurance_table(report: dict[str, Any]) -> Table:
    """Health insurance: households by answer, and the people newly covered."""
    return _registrations(
        report,
        "health_insurance",
        "Vận động đăng ký tham gia bảo hiểm y tế",
        "Bảo hiểm y tế",
        persons=True,
    )


def waste_collection_table(report: dict[str, Any]) -> Table:
    """Household waste collection: households by answer."""
    return _registrations(
        report,
        "waste_collection",
        "Vận động đăng ký thu gom rác thải sinh hoạt",
        "Thu gom rác thải",
    )


def clean_water_table(report: dict[str, Any]) -> Table:
    """Clean water: households by answer."""
    return _registrations(report, "clean_water", "Vận động đăng ký sử dụng nước sạch", "Nước sạch")


def support_table(report: dict[str, Any]) -> Table:
    """Support given: count, value, households, and their categories."""
    category = "support.households_by_category"
    return by_quarter(
        report,
        "Chăm lo gia đình chính sách, người có công, hộ nghèo, hộ cận nghèo, hoàn cảnh khó khăn",
        "Chăm lo",
        (Column("Số lượt chăm lo"), at("support.count")),
        (Column("Tổng giá trị", "money", 1.5), at("support.value_vnd")),
        (Column("Số hộ được chăm lo"), at("support.households")),
        *(
            (Column(label("category", name)), at(f"{category}.{name}"))
            for name in values("category")
        ),
    )


def support_count_table(report: dict[str, Any]) -> Table:
    """Support by kind: how many times."""
    return by_quarter(
        report,
        "Chăm lo theo hình thức: số lượt",
        "Chăm lo - số lượt",
        *(
            (Column(word), at(f"support.by_kind.{kind}.count"))
            for kind, word in labels("support_kind").items()
        ),
    )


def support_value_table(report: dict[str, Any]) -> Table:
    """Support by kind: how much."""
    return by_quarter(
        report,
        "Chăm lo theo hình thức: giá trị",
        "Chăm lo - giá trị",
        *(
            (Column(word, "money"), at(f"support.by_kind.{kind}.value_vnd"))
            for kind, word in labels("support_kind").items()
        ),
    )


def assessments_table(report: dict[str, Any]) -> Table:
    """Model-family assessments and their results."""
    return by_quarter(
        report,
        "Xây dựng gia đình kiểu mẫu",
        "Gia đình kiểu mẫu",
        (Column("Số hộ được đánh giá"), at("assessments.households")),
        (Column("Số lượt đánh giá"), at("assessments.count")),
        (Column("Đạt gia đình kiểu mẫu"), at("assessments.model")),
        (Column("Chưa đạt"), at("assessments.not_yet")),
    )


def nominations_table(report: dict[str, Any]) -> Table:
    """Nominations by kind of nominee and by domain."""
    return by_quarter(
        report,
        "Đề xuất điển hình “Dân vận khéo”",
        "Dân vận khéo",
        (Column(label("nominee_kind", "individual")), at("nominations.individual")),
        (Column(label("nominee_kind", "collective")), at("nominations.collective")),
        *(
            (Column(word), at(f"nominations.by_domain.{key}"))
            for key, word in labels("domain").items()
        ),
        (Column("Tổng số"), at("nominations.count")),
    )


# -- lists ---------------------------------------------------------------------------------------


def nominees_table(report: dict[str, Any]) -> Table:
    """The people and collectives proposed for commendation."""
    rows = tuple(
        (
            n,
            person["quarter"] or "",
            person["nominee"] or "",
            label("nominee_kind", person["nominee_kind"]),
            label("domain", person["domain"]),
            person["achievement"] or "",
        )
        for n, person in enumerate(report["nominees"], start=1)
    )
    return Table(
        "Danh sách đề xuất biểu dương, khen thưởng “Dân vận khéo”",
        "Danh sách đề xuất",
        (
            Column("STT", "count", 0.5),
            Column(QUARTER, "text", 1.2),
            Column("Cá nhân / tập thể", "text", 2),
            Column("Loại", "text", 0.9),
            Column("Lĩnh vực", "text", 1.4),
            Column("Thành tích", "text", 3),
        ),
        rows,
        when_empty="Không có đề xuất trong kỳ báo cáo.",
    )


def units_table(report: dict[str, Any]) -> Table:
    """What each unit's people did: visits, new health insurance, support (by their unit when
    they recorded it)."""
    rows = tuple(
        (
            unit["name"] or "",
            unit["visits"]["households"],
            unit["visits"]["visits"],
            unit["health_insurance"]["households"],
            unit["health_insurance"]["persons"],
            unit["support"]["count"],
            unit["support"]["value_vnd"],
        )
        for unit in report["units"]
    )
    return Table(
        "Kết quả theo đơn vị",
        "Theo đơn vị",
        (
            Column("Đơn vị", "text", 2.2),
            Column("Số hộ được thăm"),
            Column("Số lượt thăm"),
            Column("Hộ đăng ký mới BHYT"),
            Column("Số người tham gia BHYT"),
            Column("Số lượt chăm lo"),
            Column("Giá trị chăm lo", "money", 1.5),
        ),
        rows,
        when_empty="Chưa có ban ngành, đơn vị nào.",
    )


def deeds_table(report: dict[str, Any]) -> Table:
    """Each unit's concrete deed ("01 việc cụ thể thiết thực"), with its progress and result."""
    rows = tuple(
        (
            n,
            deed["unit"] or "",
            deed["title"] or "",
            deed["quarter"] or "",
            ddmmyyyy(deed["planned_on"]) if isinstance(deed["planned_on"], str) else "",
            label("deed_status", deed["status"]),
            deed["result"] or "",
            deed["beneficiaries"],
            deed["value_vnd"],
        )
        for n, deed in enumerate(report["deeds"], start=1)
    )
    return Table(
        "Việc làm cụ thể của các ban ngành, đơn vị",
        "Việc làm cụ thể",
        (
            Column("STT", "count", 0.5),
            Column("Đơn vị", "text", 1.6),
            Column("Việc làm cụ thể", "text", 2.2),
            Column("Địa bàn", "text", 1),
            Column("Ngày thực hiện", "text", 1),
            Column("Tiến độ", "text", 1),
            Column("Kết quả", "text", 2),
            Column("Số người, hộ được giúp", "count", 0.9),
            Column("Giá trị", "money", 1.3),
        ),
        rows,
        when_empty="Chưa có đơn vị nào đăng ký việc làm cụ thể.",
    )


# The report's tables, in order; each is numbered by its place here.
TABLES: tuple[Callable[[dict[str, Any]], Table], ...] = (
    coverage_table,
    visits_table,
    health_insurance_table,
    waste_collection_table,
    clean_water_table,
    support_table,
    support_count_table,
    support_value_table,
    assessments_table,
    nominations_table,
    units_table,
    deeds_table,
    nominees_table,
)


# -- the words around the tables -------------------------------------------------------------------


def _in_text(town: str) -> str:
    """The town inside a sentence: "thị trấn Gia Ray" for "Thị trấn Gia Ray"."""
    return town[:1].lower() + town[1:]


def _place(town: str) -> str:
    """The place in the date line: "Gia Ray" for "Thị trấn Gia Ray"."""
    for prefix in ("thị trấn ", "xã ", "phường "):
        if town.lower().startswith(prefix):
            return town[len(prefix) :]
    return town


def summary(report: dict[str, Any], town: str) -> str:
    """The paragraph that opens the report: what was done, in total."""
    c, period, total = report["campaign"], report["period"], report["total"]
    sup = total["support"]
    bhyt = total["registrations"]["health_insurance"]["registered"]
    coverage = total["coverage"]
    return (
        f"Thực hiện Kế hoạch ra quân công tác dân vận ({c['name']}), Ủy ban nhân dân "
        f"{_in_text(town)} báo cáo kết quả thực hiện từ ngày {ddmmyyyy(period['from'])} đến "
        f"ngày {ddmmyyyy(period['to'])} như sau: các ban ngành, đơn vị đã đến thăm "
        f"{number(coverage['visited'])}/{number(coverage['households'])} hộ gia đình trong "
        f"danh sách ({share(coverage_share(total))}) với {number(total['visits']['visits'])} "
        f"lượt thăm; vận động {number(bhyt['households'])} hộ đăng ký mới bảo hiểm y tế cho "
        f"{number(bhyt['persons'])} người; chăm lo {number(sup['count'])} lượt cho "
        f"{number(sup['households'])} hộ với tổng giá trị {money(sup['value_vnd'])}; "
        f"{number(total['assessments']['model'])} hộ đạt gia đình kiểu mẫu; đề xuất "
        f"{number(total['nominations']['count'])} điển hình “Dân vận khéo”."
    )


def basis(report: dict[str, Any], today: date) -> str:
    """Which records the figures count, in plain Vietnamese."""
    period, filters = report["period"], report["filters"]
    if filters["quarters"] is None:
        where = "tất cả các khu phố"
    else:
        where = ", ".join(q["name"] for q in report["quarters"]) or "không khu phố nào"
    return (
        f"Số liệu trong báo cáo gồm {REVIEW_FILTER_WORDS[filters['review']]}, từ ngày "
        f"{ddmmyyyy(period['from'])} đến ngày {ddmmyyyy(period['to'])}, tại {where}; số hộ "
        f"trong danh sách là các hộ đang được quản lý đến ngày {ddmmyyyy(today)} (không tính "
        "hộ không được duyệt). Kết quả cụ thể theo từng khu phố:"
    )


def document(
    report: dict[str, Any], *, town: str, signer: str, recipient: str, today: date
) -> Document:
    """The report as a document, every text cleaned for files (`cells.plain`)."""
    report, town, signer, recipient = plain((report, town, signer, recipient))
    c, period = report["campaign"], report["period"]
    due = c["report_due_on"]
    in_text = _in_text(town)
    tables = tuple(make(report) for make in TABLES)
    numbered = tuple(
        Table(f"{n}. {t.title}", t.sheet, t.columns, t.rows, t.by_quarter, t.when_empty)
        for n, t in enumerate(tables, start=1)
    )
    return Document(
        issuer=("ỦY BAN NHÂN DÂN", town.upper()),
        nation=("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"),
        reference="Số:          /BC-UBND",
        dateline=dated_at(_place(town), today),
        kind="BÁO CÁO",
        subject=(
            "Kết quả ra quân thực hiện công tác dân vận chính quyền",
            f"{c['name']} trên địa bàn {in_text}",
        ),
        period=f"(Từ ngày {ddmmyyyy(period['from'])} đến ngày {ddmmyyyy(period['to'])})",
        recipient=f"Kính gửi: {recipient}.",
        paragraphs=(summary(report, town), basis(report, today)),
        tables=numbered,
        closing=(
            "Trên đây là báo cáo kết quả ra quân thực hiện công tác dân vận chính quyền "
            f"{c['name']} của Ủy ban nhân dân {in_text}, gửi {recipient}"
            + (f" trước ngày {ddmmyyyy(due)}" if due else "")
            + "./."
        ),
        copies_to=(
            "- Như trên;",
            "- TT Đảng ủy-HĐND thị trấn;",
            "- Chủ tịch, các PCT UBND thị trấn;",
            "- Lưu: VT.",
        ),
        signature=("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
        signer=signer,
        title=f"Báo cáo kết quả ra quân công tác dân vận - {c['name']}",
        author=f"Ủy ban nhân dân {in_text}",
        facts=(
            ("Đơn vị", f"Ủy ban nhân dân {in_text}"),
            ("Báo cáo", "Kết quả ra quân công tác dân vận chính quyền"),
            ("Đợt ra quân", c["name"]),
            ("Từ ngày", as_date(period["from"])),
            ("Đến ngày", as_date(period["to"])),
            ("Hạn gửi báo cáo", as_date(due)),
            ("Số liệu gồm", REVIEW_FILTER_WORDS[report["filters"]["review"]]),
            ("Khu phố", ", ".join(q["name"] for q in report["quarters"])),
        ),
    )


def filename(report: dict[str, Any], extension: str) -> str:
    """`bao-cao-dan-van-<campaign start>-<campaign id prefix>.<ext>` (ASCII, safe anywhere)."""
    c = report["campaign"]
    return f"bao-cao-dan-van-{c['starts_on']}-{c['id'][:8]}.{extension}"
