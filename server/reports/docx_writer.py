"""The report as a Word document (python-docx), for the town office to edit, number and sign:
the PDF's heading block, paragraphs, tables (real Word tables, their heading row repeated on each
page) and signature block, on the same A4 page with the same margins and page numbers.

The text is in Times New Roman, which Decree 30/2020/NĐ-CP asks for and every office computer
has; the PDF embeds Liberation Serif, its metric-compatible twin, so lines and tables break
alike. Tables take the PDF's size and column widths (`pdf_writer.fitted`).
"""

from __future__ import annotations

import io

from docx import Document as new_word
from docx.document import Document as Word
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from .pdf_writer import BODY, BOTTOM, FONT, LEFT, RIGHT, TOP, ReportPDF, fitted
from .sections import Document, Table, printed

SERIF = "Times New Roman"
CENTRE, JUSTIFY = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
HEADING_FILL = "DDEBF7"


# -- small pieces of WordprocessingML python-docx has no words for -------------------------------


def _serif(element) -> None:
    """Times New Roman for every script of a style or run (Vietnamese is "ascii"/"hAnsi")."""
    properties = element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), SERIF)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def _bottom_border(paragraph: Paragraph) -> None:
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in (
        ("w:val", "single"),
        ("w:sz", "6"),
        ("w:space", "1"),
        ("w:color", "000000"),
    ):
        bottom.set(qn(name), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _field(paragraph: Paragraph, instruction: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    paragraph._p.append(field)


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "nil")
        borders.append(edge)
    table._tbl.tblPr.append(borders)


def _repeat_as_heading(row) -> None:
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


# -- writing ---------------------------------------------------------------------------------------


def line(
    at,
    text: str = "",
    *,
    size: float = BODY,
    bold: bool = False,
    italic: bool = False,
    align=None,
    after: float = 0,
) -> Paragraph:
    """A paragraph of one run, in a document or a table cell."""
    paragraph = at.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_before = Pt(0)
    paragraph.paragraph_format.space_after = Pt(after)
    if text:
        run = paragraph.add_run(text)
        run.font.size, run.bold, run.italic = Pt(size), bold, italic
    return paragraph


def rule(at, length: float, width: float) -> None:
    """A short centred line (mm) in a space `width` mm wide: a bordered empty paragraph."""
    paragraph = line(at, size=2)
    paragraph.paragraph_format.left_indent = Mm((width - length) / 2)
    paragraph.paragraph_format.right_indent = Mm((width - length) / 2)
    _bottom_border(paragraph)


def page(word: Word) -> None:
    """A4, the decree's margins, Times New Roman 13 pt, page numbers at the top from page 2."""
    section = word.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(TOP), Mm(BOTTOM)
    section.left_margin, section.right_margin = Mm(LEFT), Mm(RIGHT)
    section.header_distance = Mm(8)
    normal = word.styles["Normal"]
    normal.font.name, normal.font.size = SERIF, Pt(BODY)
    _serif(normal.element)
    normal.paragraph_format.space_after = Pt(0)
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = CENTRE
    _field(number, "PAGE")


def heading(word: Word, doc: Document, measure: ReportPDF) -> None:
    """The issuing body and number on the left, the national name, motto and date line on the
    right, in a table without borders (as offices lay them out in Word)."""
    width = measure.epw
    left, right = width * 0.4, width * 0.6
    grid = word.add_table(rows=2, cols=2)
    _no_borders(grid)
    grid.autofit = False
    for row in grid.rows:
        row.cells[0].width, row.cells[1].width = Mm(left), Mm(right)
    issuer, nation = grid.cell(0, 0), grid.cell(0, 1)
    issuer.paragraphs[0]._p.getparent().remove(issuer.paragraphs[0]._p)
    for text in doc.issuer:
        line(issuer, text, size=12.5, bold=True, align=CENTRE)
    measure.set_font(FONT, "B", 12.5)
    rule(issuer, max(measure.get_string_width(t) for t in doc.issuer) * 0.4, left)
    nation.paragraphs[0]._p.getparent().remove(nation.paragraphs[0]._p)
    line(nation, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, align=CENTRE)
    motto = line(nation, "Độc lập - Tự do - Hạnh phúc", bold=True, align=CENTRE)
    motto.runs[0].font.underline = True
    reference, dateline = grid.cell(1, 0), grid.cell(1, 1)
    reference.paragraphs[0].alignment = CENTRE
    reference.paragraphs[0].paragraph_format.space_before = Pt(8)
    reference.paragraphs[0].add_run(doc.reference)
    dateline.paragraphs[0].alignment = CENTRE
    dateline.paragraphs[0].paragraph_format.space_before = Pt(8)
    dateline.paragraphs[0].add_run(doc.dateline).italic = True


def title(word: Word, doc: Document, measure: ReportPDF) -> None:
    """The kind, what it is about (a short line under it), the period and the addressee."""
    line(word, "", after=6)
    line(word, doc.kind, size=14, bold=True, align=CENTRE)
    for text in doc.subject:
        line(word, text, size=14, bold=True, align=CENTRE)
    measure.set_font(FONT, "B", 14)
    rule(word, max(measure.get_string_width(t) for t in doc.subject) / 3, measure.epw)
    line(word, doc.period, italic=True, align=CENTRE, after=6).paragraph_format.space_before = Pt(4)
    line(word, doc.recipient, size=14, align=CENTRE, after=8)


def paragraph(word: Word, text: str) -> None:
    """A body paragraph: justified, its first line indented 1 cm, 6 pt after it."""
    body = line(word, text, align=JUSTIFY, after=6)
    body.paragraph_format.first_line_indent = Mm(10)


def table(word: Word, t: Table, measure: ReportPDF) -> None:
    """A numbered table: a real Word table in the PDF's size and column widths, its heading row
    shaded and repeated on every page, numbers aligned right, a neighbourhood total in bold."""
    heading = line(word, t.title, bold=True, after=3)
    heading.paragraph_format.space_before = Pt(6)
    heading.paragraph_format.keep_with_next = True
    if not t.rows:
        line(word, t.when_empty, italic=True, after=6)
        return
    size, widths = fitted(measure, t)
    grid = word.add_table(rows=1, cols=len(t.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    _repeat_as_heading(grid.rows[0])
    for index, column in enumerate(t.columns):
        cell = grid.rows[0].cells[index]
        _shade(cell, HEADING_FILL)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        cell.paragraphs[0].alignment = CENTRE
        run = cell.paragraphs[0].add_run(column.title)
        run.bold, run.font.size = True, Pt(size)
    for n, values in enumerate(t.rows, start=1):
        total = t.by_quarter and n == len(t.rows)
        cells = grid.add_row().cells
        for cell, column, value in zip(cells, t.columns, values, strict=True):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            text = cell.paragraphs[0]
            text.alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if column.kind == "text" else (WD_ALIGN_PARAGRAPH.RIGHT)
            )
            run = text.add_run(printed(column, value))
            run.bold, run.font.size = total, Pt(size)
    for index, mm in enumerate(widths):
        grid.columns[index].width = Mm(mm)
        for cell in grid.columns[index].cells:
            cell.width = Mm(mm)
    line(word, "", after=4)


def signature(word: Word, doc: Document, measure: ReportPDF) -> None:
    """The closing sentence; where copies go on the left, the chairman's block on the right."""
    paragraph(word, doc.closing)
    left, right = measure.epw * 0.45, measure.epw * 0.55
    grid = word.add_table(rows=1, cols=2)
    _no_borders(grid)
    grid.autofit = False
    copies, chairman = grid.rows[0].cells
    copies.width, chairman.width = Mm(left), Mm(right)
    copies.paragraphs[0]._p.getparent().remove(copies.paragraphs[0]._p)
    line(copies, "Nơi nhận:", size=12, bold=True, italic=True)
    for text in doc.copies_to:
        line(copies, text, size=11)
    chairman.paragraphs[0]._p.getparent().remove(chairman.paragraphs[0]._p)
    for text in doc.signature:
        line(chairman, text, bold=True, align=CENTRE)
    for _ in range(4):
        line(chairman, "")
    line(chairman, doc.signer, bold=True, align=CENTRE)


def report_docx(doc: Document) -> bytes:
    """The whole report as a Word document."""
    word = new_word()
    word.core_properties.title = doc.title
    word.core_properties.author = doc.author
    word.core_properties.last_modified_by = doc.author
    word.core_properties.comments = ""
    measure = ReportPDF()
    page(word)
    heading(word, doc, measure)
    title(word, doc, measure)
    for text in doc.paragraphs:
        paragraph(word, text)
    for t in doc.tables:
        table(word, t, measure)
    signature(word, doc, measure)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()
