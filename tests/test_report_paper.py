"""The report on paper, read back: the PDF as Decree 30/2020/NĐ-CP lays out a document (fonts,
A4 and its margins, page numbers, cells never justified, amounts that keep their ₫) and the Word
file with the same heading, tables and signature block.

The report here is written by hand (no database: the layout does not depend on it), with eight
neighbourhoods so that it runs over several pages, amounts up to a trillion đồng and a nominee
whose name wraps in its cell. The figures themselves, coverage included, are read back from every
format on SQLite and PostgreSQL in test_reports.py.
"""

from __future__ import annotations

import io
import itertools
import re
from datetime import date
from typing import Any

import pdfplumber
import pytest
from docx import Document as open_word
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from faker import Faker
from pypdf import PdfReader

from server.reports.docx_writer import report_docx
from server.reports.figures import empty_figures
from server.reports.labels import dated_at
from server.reports.pdf_writer import report_pdf
from server.reports.sections import document

MM = 72 / 25.4  # points in a millimetre
A4 = (210 * MM, 297 * MM)
TOP, BOTTOM, LEFT, RIGHT = 20 * MM, 20 * MM, 30 * MM, 15 * MM
TODAY = date(2024, 3, 5)
HOUSING = 999_999_999_999  # per neighbourhood: the total needs 16 digits and its ₫


def _sum(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _sum(total[key], value)
        else:
            total[key] += value


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """A report as `build_report` makes it, eight neighbourhoods, with a long nominee name."""
    fake = Faker("vi_VN")
    Faker.seed(12)
    quarters, total = [], empty_figures()
    for n in range(1, 9):
        figures = empty_figures()
        figures["coverage"] = {"visited": n * 10, "households": n * 15}
        figures["visits"].update(households=n * 10, visits=n * 13)
        figures["support"]["by_kind"]["housing"] = {"count": 1, "value_vnd": HOUSING}
        figures["support"].update(count=1, value_vnd=HOUSING, households=1)
        _sum(total, figures)
        quarters.append({"id": f"q{n}", "code": f"KP{n}", "name": f"Khu phố {n}", **figures})
    long_name = "Tổ tự quản gồm các hộ " + ", ".join(fake.name() for _ in range(4))
    nominees = [
        {
            "quarter_id": "q1",
            "quarter": "Khu phố 1",
            "nominee": long_name,
            "nominee_kind": "collective",
            "domain": "culture_society",
            "achievement": fake.paragraph(nb_sentences=3),
        },
        {
            "quarter_id": "q2",
            "quarter": "Khu phố 2",
            "nominee": fake.name(),
            "nominee_kind": "individual",
            "domain": "economy",
            "achievement": fake.sentence(),
        },
    ]
    return {
        "campaign": {
            "id": "0b8f6a52-7a51-4f4e-9d43-0e6f5d1c2a10",
            "name": "Dân vận đợt 2/2024",
            "starts_on": "2024-10-12",
            "ends_on": "2024-10-24",
            "launch_on": "2024-10-12",
            "report_due_on": "2024-10-25",
            "active": True,
        },
        "period": {"from": "2024-10-12", "to": "2024-10-24"},
        "filters": {"date_from": None, "date_to": None, "quarters": None, "review": "approved"},
        "quarters": quarters,
        "total": total,
        "daily_visits": [],
        "nominees": nominees,
        "units": [],
        "deeds": [],
        "units_without_deed": [],
    }


@pytest.fixture(scope="module")
def paper(report):
    return document(
        report,
        town="Thị trấn Gia Ray",
        signer="Lương Thanh Tùng",
        recipient="Phòng Nội vụ huyện",
        today=TODAY,
    )


@pytest.fixture(scope="module")
def pdf_bytes(paper) -> bytes:
    return report_pdf(paper)


@pytest.fixture(scope="module")
def pdf(pdf_bytes):
    with pdfplumber.open(io.BytesIO(pdf_bytes)) as opened:
        yield opened


@pytest.fixture(scope="module")
def word(paper):
    return open_word(io.BytesIO(report_docx(paper)))


def text_of(pdf) -> str:
    return "\n".join(page.extract_text() for page in pdf.pages)


# -- words -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "line"),
    [
        (date(2024, 3, 5), "Gia Ray, ngày 05 tháng 3 năm 2024"),
        (date(2024, 2, 15), "Gia Ray, ngày 15 tháng 02 năm 2024"),
        (date(2024, 10, 25), "Gia Ray, ngày 25 tháng 10 năm 2024"),
    ],
)
def test_date_line_pads_days_below_10_and_months_1_and_2(day: date, line: str) -> None:
    assert dated_at("Gia Ray", day) == line


# -- the PDF -------------------------------------------------------------------------------------


def test_pdf_embeds_liberation_serif_in_every_style_used(pdf_bytes) -> None:
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf_bytes)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[str(font["/BaseFont"]).split("+", 1)[1]] = "/FontFile2" in descriptor
    assert fonts == {
        "LiberationSerif": True,
        "LiberationSerifBold": True,
        "LiberationSerifItalic": True,
        "LiberationSerifBoldItalic": True,
    }


def test_pdf_is_a4_and_everything_but_the_page_number_stays_inside_the_margins(pdf) -> None:
    assert len(pdf.pages) >= 3
    for page in pdf.pages:
        assert (page.width, page.height) == pytest.approx(A4, abs=0.5)
        body = [c for c in page.chars if c["top"] >= TOP / 2 + 5 * MM]
        assert min(c["x0"] for c in body) >= LEFT - 0.5
        assert max(c["x1"] for c in body) <= A4[0] - RIGHT + 0.5
        assert min(c["top"] for c in body) >= TOP - 0.5
        assert max(c["bottom"] for c in body) <= A4[1] - BOTTOM + 0.5
        for edge in page.edges:  # table borders and the rules under the heading
            assert min(edge["x0"], edge["x1"]) >= LEFT - 0.5
            assert max(edge["x0"], edge["x1"]) <= A4[0] - RIGHT + 0.5
            assert min(edge["top"], edge["bottom"]) >= TOP - 0.5
            assert max(edge["top"], edge["bottom"]) <= A4[1] - BOTTOM + 0.5


def test_pdf_numbers_pages_at_the_top_centre_from_page_2_and_has_no_footer(pdf) -> None:
    centre = LEFT + (A4[0] - LEFT - RIGHT) / 2
    for number, page in enumerate(pdf.pages, start=1):
        above = [c for c in page.chars if c["bottom"] < TOP]
        below = [c for c in page.chars if c["top"] > A4[1] - BOTTOM]
        assert below == []
        if number == 1:
            assert above == []
            continue
        assert "".join(c["text"] for c in above) == str(number)
        middle = (min(c["x0"] for c in above) + max(c["x1"] for c in above)) / 2
        assert middle == pytest.approx(centre, abs=1 * MM)
        assert {round(c["size"]) for c in above} == {13}
    assert "Doorstep" not in text_of(pdf)


def test_pdf_body_is_13_point_serif(pdf) -> None:
    words = pdf.pages[0].extract_words(extra_attrs=["fontname", "size"])
    opening = next(w for w in words if w["text"] == "Thực")
    assert opening["fontname"].endswith("+LiberationSerif")
    assert opening["size"] == pytest.approx(13)


def test_pdf_heading_and_signature_follow_the_decree_and_the_town_plan(pdf) -> None:
    text = text_of(pdf)
    lines = text.splitlines()
    assert lines[0] == "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert lines[1] == "THỊ TRẤN GIA RAY Độc lập - Tự do - Hạnh phúc"
    assert re.match(r"^Số: +/BC-UBND Gia Ray, ngày 05 tháng 3 năm 2024$", lines[2]), lines[2]
    for words in (
        "BÁO CÁO",
        "Kết quả ra quân thực hiện công tác dân vận chính quyền",
        "Kính gửi: Phòng Nội vụ huyện.",
        "Nơi nhận: TM. ỦY BAN NHÂN DÂN",
        "- Như trên; CHỦ TỊCH",
        "- Lưu: VT.",
        "Lương Thanh Tùng",
    ):
        assert words in lines, words


def test_pdf_says_which_records_count_in_plain_vietnamese(pdf) -> None:
    text = " ".join(text_of(pdf).split())
    assert (
        "Số liệu trong báo cáo gồm chỉ các bản ghi đã được duyệt, từ ngày 12/10/2024 đến "
        "ngày 24/10/2024, tại tất cả các khu phố; số hộ trong danh sách là các hộ đang được "
        "quản lý đến ngày 05/03/2024" in text
    )


def test_pdf_coverage_table_hand_computed(pdf) -> None:
    rows = next(
        table
        for page in pdf.pages
        for table in page.extract_tables()
        if table[0][:2] == ["Khu phố", "Số hộ được thăm"] and "Tỷ lệ" in (table[0][3] or "")
    )
    # Khu phố n: 10n visited of 15n households; in total 360 of 540.
    assert rows[1] == ["Khu phố 1", "10", "15", "66,7%"]
    assert rows[8] == ["Khu phố 8", "80", "120", "66,7%"]
    assert rows[9] == ["Tổng cộng", "360", "540", "66,7%"]


def test_pdf_amounts_never_wrap_away_from_their_dong_sign(pdf) -> None:
    cells = [
        cell
        for page in pdf.pages
        for table in page.extract_tables()
        for row in table
        for cell in row
        if cell and "₫" in cell
    ]
    assert "7.999.999.999.992 ₫" in cells  # the housing total, in a column of six amounts
    for cell in cells:
        assert re.fullmatch(r"\d{1,3}(\.\d{3})* ₫", cell), cell


def test_pdf_long_nominee_name_wraps_left_aligned_not_stretched(pdf, report) -> None:
    name = report["nominees"][0]["nominee"]
    page, table = next(
        (page, table)
        for page in pdf.pages
        for table in page.find_tables()
        if table.extract()[0][0] == "STT"
    )
    cell = table.rows[1].cells[2]
    words = page.crop(cell).extract_words(extra_attrs=["size"])
    assert " ".join(w["text"] for w in words) == name
    lines: dict[float, list[dict[str, Any]]] = {}
    for word in words:
        lines.setdefault(round(word["top"]), []).append(word)
    assert len(lines) >= 3  # it wraps, so a justified cell would stretch its lines
    for line in lines.values():
        assert line[0]["x0"] == pytest.approx(cell[0] + 1 * MM, abs=1)  # left, after padding
        space = 0.25 * line[0]["size"]  # Liberation Serif's space is a quarter em
        for before, after in itertools.pairwise(line):
            assert after["x0"] - before["x1"] == pytest.approx(space, abs=0.3)


# -- the Word file -------------------------------------------------------------------------------


def test_docx_page_is_a4_with_the_decree_margins(word) -> None:
    section = word.sections[0]
    assert (section.page_width.mm, section.page_height.mm) == pytest.approx((210, 297), abs=0.1)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [m.mm for m in margins] == pytest.approx([20, 20, 30, 15], abs=0.1)


def test_docx_is_times_new_roman_13_point_throughout(word) -> None:
    normal = word.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size.pt == 13
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert {fonts.get(qn(f"w:{s}")) for s in ("ascii", "hAnsi", "eastAsia", "cs")} == {
        "Times New Roman"
    }
    assert not [name for name in fonts if name.endswith("Theme")]
    runs = [r for p in word.paragraphs for r in p.runs]
    runs += [r for t in word.tables for c in t._cells for p in c.paragraphs for r in p.runs]
    assert {r.font.name for r in runs} == {None}  # every run takes the Normal font
    body = next(p for p in word.paragraphs if p.text.startswith("Thực hiện Kế hoạch"))
    assert body.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert body.paragraph_format.first_line_indent.mm == pytest.approx(10, abs=0.1)
    assert body.runs[0].font.size.pt == 13


def test_docx_numbers_pages_at_the_top_from_page_2(word) -> None:
    section = word.sections[0]
    assert section.different_first_page_header_footer
    assert section.first_page_header.is_linked_to_previous or not "".join(
        p.text for p in section.first_page_header.paragraphs
    )
    number = section.header.paragraphs[0]
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert number._p.find(qn("w:fldSimple")).get(qn("w:instr")) == "PAGE"
    assert not "".join(p.text for p in section.footer.paragraphs)


def test_docx_heading_block_title_and_signature(word) -> None:
    heading, signature = word.tables[0], word.tables[-1]
    issuer, nation = heading.rows[0].cells
    assert [p.text for p in issuer.paragraphs][:2] == ["ỦY BAN NHÂN DÂN", "THỊ TRẤN GIA RAY"]
    assert all(r.bold for p in issuer.paragraphs for r in p.runs)
    assert [p.text for p in nation.paragraphs] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert nation.paragraphs[1].runs[0].font.underline
    reference, dateline = heading.rows[1].cells
    assert re.fullmatch(r"Số: +/BC-UBND", reference.text)
    assert dateline.text == "Gia Ray, ngày 05 tháng 3 năm 2024"
    assert dateline.paragraphs[0].runs[0].italic
    texts = [p.text for p in word.paragraphs]
    kind = word.paragraphs[texts.index("BÁO CÁO")]
    assert kind.runs[0].bold and kind.runs[0].font.size.pt == 14
    assert "Kính gửi: Phòng Nội vụ huyện." in texts
    copies, chairman = signature.rows[0].cells
    assert [p.text for p in copies.paragraphs] == [
        "Nơi nhận:",
        "- Như trên;",
        "- TT Đảng ủy-HĐND thị trấn;",
        "- Chủ tịch, các PCT UBND thị trấn;",
        "- Lưu: VT.",
    ]
    assert copies.paragraphs[0].runs[0].bold and copies.paragraphs[0].runs[0].italic
    lines = [p.text for p in chairman.paragraphs if p.text]
    assert lines == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Lương Thanh Tùng"]


def test_docx_tables_are_word_tables_with_repeated_headings(word, report) -> None:
    tables = word.tables[1:-1]
    assert len(tables) == 11
    titles = [p.text for p in word.paragraphs if re.match(r"^\d+\. ", p.text)]
    assert titles[0] == "1. Tỷ lệ hộ gia đình được thăm"
    assert titles[-1] == "13. Danh sách đề xuất biểu dương, khen thưởng “Dân vận khéo”"
    coverage = [[c.text for c in row.cells] for row in tables[0].rows]
    assert coverage[1] == ["Khu phố 1", "10", "15", "66,7%"]
    assert coverage[-1] == ["Tổng cộng", "360", "540", "66,7%"]
    for table in tables:
        assert table.style.name == "Table Grid"
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    value = tables[7]  # support by kind: value
    housing = [c.text for c in value.columns[4].cells]
    assert housing[0] == "Hỗ trợ nhà ở"
    assert housing[-1] == "7.999.999.999.992\u00a0₫"  # the space before ₫ does not break
    total = value.rows[-1].cells[4]
    assert total.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert total._tc.tcPr.find(qn("w:noWrap")) is not None  # Word keeps the amount whole
    nominee = tables[-1].rows[1].cells[2].paragraphs[0]
    assert nominee.text == report["nominees"][0]["nominee"]
    assert nominee.alignment == WD_ALIGN_PARAGRAPH.LEFT
