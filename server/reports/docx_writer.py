"""The report as a Word document (python-docx), for the town office to edit, number and sign:
the PDF's heading block, paragraphs, tables (real Word tables, their heading row repeated on each
page) and signature block, on the same A4 page with the same margins and page numbers.

The text is in Times New Roman, which Decree 30/2020/NĐ-CP asks for and every office computer
has; the PDF embeds Liberation Serif, its metric-compatible twin, so lines and tables break
alike. Tables take the PDF's size and column widths (`pdf_writer.fitted`).
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document as new_word
from docx.document import Document as Word
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table as DocxTable
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph

from .pdf_writer import BODY, BOTTOM, FONT, LEFT, PADDING, RIGHT, TOP, ReportPDF, fitted
from .sections import Document, Table, printed

SERIF = "Times New Roman"
CENTRE, JUSTIFY = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
LEFT_SIDE, RIGHT_SIDE = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT
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
    _insert(cell._tc.get_or_add_tcPr(), shading, before=AFTER_SHADING)


def _insert(properties: Any, element: Any, before: tuple[str, ...]) -> None:
    """Add a property where the schema wants it (Word and LibreOffice ignore one out of order):
    before the first of `before` that is there, else last."""
    following = [found for tag in before if (found := properties.find(qn(tag))) is not None]
    if following:
        following[0].addprevious(element)
    else:
        properties.append(element)


# What may follow a cell's shading, and its no-wrap flag (the order of CT_TcPr).
AFTER_SHADING = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")


def _no_borders(table: DocxTable) -> None:
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "nil")
        borders.append(edge)
    _insert(table._tbl.tblPr, borders, before=("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"))


def _cell_margins(table: DocxTable, mm: float) -> None:
    """Cell margins of `mm` (Word's default is 0 and 1.9 mm): the PDF's padding."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(round(mm * 56.7)))  # twentieths of a point
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    _insert(table._tbl.tblPr, margins, before=("w:tblLook", "w:tblCaption", "w:tblDescription"))


def _no_wrap(cell: _Cell) -> None:
    _insert(cell._tc.get_or_add_tcPr(), OxmlElement("w:noWrap"), before=AFTER_SHADING[1:])


def _row_flag(row: _Row, name: str) -> None:
    flag = OxmlElement(f"w:{name}")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


# -- writing ---------------------------------------------------------------------------------------


def line(
    at: Word | _Cell,
    text: str = "",
    *,
    size: float = BODY,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    after: float = 0,
) -> Paragraph:
    """A paragraph of one run, in the document or a table cell (a cell's first line goes in
    the empty paragraph Word gives every cell)."""
    first = at.paragraphs[0] if isinstance(at, _Cell) else None
    paragraph = first if first is not None and not first.text else at.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_before = Pt(0)
    paragraph.paragraph_format.space_after = Pt(after)
    if text:
        run = paragraph.add_run(text)
        run.font.size, run.bold, run.italic = Pt(size), bold, italic
    return paragraph


def rule(at: Word | _Cell, length: float, width: float) -> None:
    """A short centred line (mm) in a space `width` mm wide: a bordered empty paragraph."""
    paragraph = line(at, size=2)
    paragraph.paragraph_format.left_indent = Mm((width - length) / 2)
    paragraph.paragraph_format.right_indent = Mm((width - length) / 2)
    _bottom_border(paragraph)


def grid(word: Word, widths: list[float], *, ruled: bool) -> DocxTable:
    """An empty table of fixed column widths (mm), with the PDF's cell padding; `ruled`: with
    the borders of a figures table, else none (the heading and signature blocks)."""
    table = word.add_table(rows=0, cols=len(widths))
    table.autofit = False
    if ruled:
        table.style = "Table Grid"
    else:
        _no_borders(table)
    _cell_margins(table, PADDING)
    for column, mm in zip(table.columns, widths, strict=True):
        column.width = Mm(mm)
    return table


def row(table: DocxTable, widths: list[float]) -> tuple[_Cell, ...]:
    """A new row of the table, its cells as wide as their columns."""
    cells = table.add_row().cells
    for cell, mm in zip(cells, widths, strict=True):
        cell.width = Mm(mm)
    return cells


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
    widths = [measure.epw * 0.4, measure.epw * 0.6]
    table = grid(word, widths, ruled=False)
    issuer, nation = row(table, widths)
    for text in doc.issuer:
        line(issuer, text, size=12.5, bold=True, align=CENTRE)
    measure.set_font(FONT, "B", 12.5)
    rule(issuer, max(measure.get_string_width(t) for t in doc.issuer) * 0.4, widths[0])
    line(nation, doc.nation[0], size=12, bold=True, align=CENTRE)
    motto = line(nation, doc.nation[1], bold=True, align=CENTRE)
    motto.runs[0].font.underline = True  # a line as long as the motto
    reference, dateline = row(table, widths)
    line(reference, doc.reference, align=CENTRE).paragraph_format.space_before = Pt(8)
    dated = line(dateline, doc.dateline, italic=True, align=CENTRE)
    dated.paragraph_format.space_before = Pt(8)


def title(word: Word, doc: Document, measure: ReportPDF) -> None:
    """The kind, what it is about (a short line under it), the period and the addressee."""
    line(word, "", after=6)
    line(word, doc.kind, size=14, bold=True, align=CENTRE)
    for text in doc.subject:
        line(word, text, size=14, bold=True, align=CENTRE)
    measure.set_font(FONT, "B", 14)
    rule(word, max(measure.get_string_width(t) for t in doc.subject) / 3, measure.epw)
    period = line(word, doc.period, italic=True, align=CENTRE, after=6)
    period.paragraph_format.space_before = Pt(4)
    line(word, doc.recipient, size=14, align=CENTRE, after=8)


def paragraph(word: Word, text: str) -> Paragraph:
    """A body paragraph: justified, its first line indented 1 cm, 6 pt after it."""
    body = line(word, text, align=JUSTIFY, after=6)
    body.paragraph_format.first_line_indent = Mm(10)
    return body


def table(word: Word, t: Table, measure: ReportPDF) -> None:
    """A numbered table: a real Word table in the PDF's size and column widths, its heading row
    shaded and repeated on every page, numbers aligned right, a neighbourhood total in bold.
    A neighbourhood table is kept on one page, as in the PDF."""
    title = line(word, t.title, bold=True, after=3)
    title.paragraph_format.space_before = Pt(6)
    title.paragraph_format.keep_with_next = True
    if not t.rows:
        line(word, t.when_empty, italic=True, after=6)
        return
    size, widths = fitted(measure, t)
    table = grid(word, widths, ruled=True)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    heads = row(table, widths)
    _row_flag(table.rows[0], "tblHeader")
    for cell, column in zip(heads, t.columns, strict=True):
        _shade(cell, HEADING_FILL)
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        line(cell, column.title, size=size, bold=True, align=CENTRE)
    for n, values in enumerate(t.rows, start=1):
        total = t.by_quarter and n == len(t.rows)
        for cell, column, value in zip(row(table, widths), t.columns, values, strict=True):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            if column.kind == "text":
                line(cell, printed(column, value), size=size, bold=total, align=LEFT_SIDE)
            else:
                line(cell, printed(column, value), size=size, bold=total, align=RIGHT_SIDE)
                _no_wrap(cell)  # a number, and an amount with its ₫, stay whole
    for number, each in enumerate(table.rows, start=1):
        _row_flag(each, "cantSplit")
        if t.by_quarter and number < len(table.rows):
            for cell in each.cells:
                cell.paragraphs[0].paragraph_format.keep_with_next = True
    line(word, "", after=4)


def signature(word: Word, doc: Document, measure: ReportPDF) -> None:
    """The closing sentence, kept with the block below it: where copies go on the left, the
    chairman's block on the right."""
    paragraph(word, doc.closing).paragraph_format.keep_with_next = True
    widths = [measure.epw * 0.45, measure.epw * 0.55]
    table = grid(word, widths, ruled=False)
    copies, chairman = row(table, widths)
    _row_flag(table.rows[0], "cantSplit")
    line(copies, "Nơi nhận:", size=12, bold=True, italic=True)
    for text in doc.copies_to:
        line(copies, text, size=11)
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
