"""The report as a PDF (fpdf2), laid out as Decree 30/2020/NĐ-CP (Appendix I) lays out an
administrative document: A4; margins 20 mm top and bottom, 30 mm left, 15 mm right; Liberation
Serif (metric-compatible with Times New Roman, full Vietnamese; `server/fonts`), body 13 pt;
page numbers centred in the top margin from page 2; nothing in the footer.

Table cells are aligned left (text) or right (numbers), never justified, and each table is set in
the largest size (11 pt down to 7 pt) at which every amount and every word fits its column, so an
amount never wraps and never leaves its `₫` (the space before it is unbreakable).
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from .sections import Document, Table, printed

FONTS = Path(__file__).resolve().parent.parent / "fonts"
FONT = "LiberationSerif"
STYLES = {"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"}
TOP, BOTTOM, LEFT, RIGHT = 20.0, 20.0, 30.0, 15.0
BODY = 13.0
LINE = 1.25  # line height, times the font size
TABLE_SIZES = (11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0, 7.5, 7.0)
PADDING = 1.0
PT = 25.4 / 72  # one point in mm
HEADINGS = FontFace(emphasis="BOLD", fill_color=(221, 235, 247))
BOLD = FontFace(emphasis="BOLD")


class ReportPDF(FPDF):
    """A4 in mm with the report's fonts and margins; page numbers from page 2."""

    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        for style, name in STYLES.items():
            self.add_font(FONT, style, str(FONTS / f"LiberationSerif-{name}.ttf"))
        self.set_margins(LEFT, TOP, RIGHT)
        self.set_auto_page_break(True, margin=BOTTOM)

    def header(self) -> None:
        """The page number, centred in the top margin, from the second page on."""
        if self.page_no() < 2:
            return
        self.set_font(FONT, "", BODY)
        self.set_y(TOP / 2 - 2.5)
        self.cell(0, 5, str(self.page_no()), align="C")
        self.set_y(TOP)


def _needed(pdf: FPDF, table: Table, index: int) -> float:
    """The narrowest width column `index` can have: its longest heading word (bold), and its
    longest word or whole number (numbers never break)."""
    column = table.columns[index]
    pdf.set_font(FONT, "B")
    widest = max((pdf.get_string_width(w) for w in column.title.split()), default=0)
    pdf.set_font(FONT, "")
    for row in table.rows:
        text = printed(column, row[index])
        words = text.split(" ") if column.kind == "text" else [text]
        weight = "B" if table.by_quarter and row is table.rows[-1] else ""
        pdf.set_font(FONT, weight)
        widest = max(widest, *(pdf.get_string_width(w) for w in words))
    return widest + 2 * PADDING + 1


def column_widths(pdf: FPDF, table: Table, size: float) -> list[float] | None:
    """Widths (mm) for the columns at this font size, or None when something cannot fit: each
    column gets its share of the page, widened to what it needs, taken from those with room."""
    pdf.set_font_size(size)
    need = [_needed(pdf, table, i) for i in range(len(table.columns))]
    unit = pdf.epw / sum(c.width for c in table.columns)
    share_of = [c.width * unit for c in table.columns]
    short = sum(max(n - w, 0) for n, w in zip(need, share_of, strict=True))
    room = sum(max(w - n, 0) for n, w in zip(need, share_of, strict=True))
    if short > room:
        return None
    taken = short / room if room else 0
    return [n if n >= w else w - (w - n) * taken for n, w in zip(need, share_of, strict=True)]


def fitted(pdf: FPDF, table: Table) -> tuple[float, list[float]]:
    """The largest table size at which every amount and word fits, with its column widths."""
    for size in TABLE_SIZES:
        widths = column_widths(pdf, table, size)
        if widths is not None:
            return size, widths
    unit = pdf.epw / sum(c.width for c in table.columns)
    return TABLE_SIZES[-1], [c.width * unit for c in table.columns]


def row_heights(pdf: FPDF, t: Table, size: float, widths: list[float]) -> list[float]:
    """How tall (mm) the heading row and each row will be, as fpdf2 will wrap them."""
    line = size * PT * LINE
    texts = [(True, [c.title for c in t.columns])]
    texts += [
        (
            t.by_quarter and n == len(t.rows),
            [printed(c, v) for c, v in zip(t.columns, row, strict=True)],
        )
        for n, row in enumerate(t.rows, start=1)
    ]
    heights = []
    for bold, cells in texts:
        pdf.set_font(FONT, "B" if bold else "", size)
        lines = max(
            len(pdf.multi_cell(w - 2 * PADDING, line, text, dry_run=True, output="LINES"))
            for w, text in zip(widths, cells, strict=True)
        )
        heights.append(lines * line + 2 * PADDING)
    return heights


# -- the parts of the document, in reading order -----------------------------------------------


def rule(pdf: FPDF, centre: float, length: float, y: float) -> None:
    """A thin horizontal line centred on `centre`."""
    pdf.set_line_width(0.3)
    pdf.line(centre - length / 2, y, centre + length / 2, y)


def heading(pdf: FPDF, doc: Document) -> None:
    """The issuing body and the number on the left; the national name, the motto and the place
    and date on the right; each name underlined as Appendix I shows."""
    left = pdf.epw * 0.4
    right = pdf.epw - left
    top = pdf.get_y()
    line = 5.5
    pdf.set_font(FONT, "B", 12.5)
    for text in doc.issuer:
        pdf.cell(left, line, text, align="C", new_x="LEFT", new_y="NEXT")
    width = max(pdf.get_string_width(t) for t in doc.issuer)
    rule(pdf, pdf.l_margin + left / 2, width * 0.4, pdf.get_y() + 0.8)
    issuer_end = pdf.get_y()

    pdf.set_xy(pdf.l_margin + left, top)
    nation, motto = doc.nation
    pdf.set_font(FONT, "B", 12)
    pdf.cell(right, line, nation, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "B", BODY)
    pdf.cell(right, line + 0.5, motto, align="C", new_x="LEFT", new_y="NEXT")
    rule(pdf, pdf.l_margin + left + right / 2, pdf.get_string_width(motto), pdf.get_y() + 0.6)

    y = max(issuer_end, pdf.get_y()) + 4
    pdf.set_xy(pdf.l_margin, y)
    pdf.set_font(FONT, "", BODY)
    pdf.cell(left, line, doc.reference, align="C")
    pdf.set_xy(pdf.l_margin + left, y)
    pdf.set_font(FONT, "I", BODY)
    pdf.cell(right, line, doc.dateline, align="C")
    pdf.set_xy(pdf.l_margin, y + line + 8)


def title(pdf: FPDF, doc: Document) -> None:
    """The kind ("BÁO CÁO"), what it is about (underlined), its period, and whom it goes to."""
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 7, doc.kind, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6.5, "\n".join(doc.subject), align="C", new_x="LMARGIN", new_y="NEXT")
    longest = max(pdf.get_string_width(t) for t in doc.subject)
    rule(pdf, pdf.l_margin + pdf.epw / 2, longest / 3, pdf.get_y() + 0.8)
    pdf.ln(2.5)
    pdf.set_font(FONT, "I", BODY)
    pdf.cell(0, 6, doc.period, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, "", 14)
    pdf.cell(0, 7, doc.recipient, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def paragraph(pdf: FPDF, text: str) -> None:
    """A body paragraph: justified, its first line indented 1 cm, 6 pt after it."""
    pdf.set_font(FONT, "", BODY)
    with (
        pdf.text_columns(text_align="J", line_height=LINE) as columns,
        columns.paragraph(first_line_indent=10, bottom_margin=6 * PT) as par,
    ):
        par.write(text)


def table(pdf: FPDF, t: Table) -> None:
    """A numbered table under its title; its heading repeats on each page it runs onto."""
    size, widths = fitted(pdf, t)
    heights = row_heights(pdf, t, size, widths)
    # A table that fits on a page starts on the next one rather than split; a longer one starts
    # where there is room for its title, heading and first two rows.
    title = LINE * BODY * PT * 2 + 1
    whole, start = title + sum(heights), title + sum(heights[:3])
    if pdf.will_page_break(whole if whole < pdf.eph else start):
        pdf.add_page()
    pdf.set_font(FONT, "B", BODY)
    pdf.multi_cell(0, LINE * BODY * PT, t.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    if not t.rows:
        pdf.set_font(FONT, "I", BODY)
        pdf.cell(0, LINE * BODY * PT, t.when_empty, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        return
    pdf.set_font(FONT, "", size)
    align = tuple("LEFT" if c.kind == "text" else "RIGHT" for c in t.columns)
    with pdf.table(
        col_widths=widths,
        width=pdf.epw,
        align="LEFT",
        text_align=align,
        headings_style=HEADINGS,
        line_height=size * PT * LINE,
        padding=PADDING,
    ) as grid:
        heads = grid.row()
        for column in t.columns:
            heads.cell(column.title, align="CENTER")
        for n, values in enumerate(t.rows, start=1):
            style = BOLD if t.by_quarter and n == len(t.rows) else None
            row = grid.row()
            for column, value in zip(t.columns, values, strict=True):
                row.cell(printed(column, value), style=style)
    pdf.ln(4)


def signature(pdf: FPDF, doc: Document) -> None:
    """The closing sentence; where copies go on the left, the chairman's block on the right."""
    pdf.set_font(FONT, "", BODY)
    if pdf.will_page_break(60):
        pdf.add_page()
    paragraph(pdf, doc.closing)
    pdf.ln(3)
    left = pdf.epw * 0.45
    right = pdf.epw - left
    top = pdf.get_y()
    pdf.set_font(FONT, "BI", 12)
    pdf.cell(left, 5.5, "Nơi nhận:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 11)
    for line in doc.copies_to:
        pdf.cell(left, 4.8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(pdf.l_margin + left, top)
    pdf.set_font(FONT, "B", BODY)
    for line in doc.signature:
        pdf.cell(right, 6, line, align="C", new_x="LEFT", new_y="NEXT")
    pdf.ln(24)
    pdf.set_x(pdf.l_margin + left)
    pdf.cell(right, 6, doc.signer, align="C")


def report_pdf(doc: Document) -> bytes:
    """The whole report as a PDF."""
    pdf = ReportPDF()
    pdf.set_title(doc.title)
    pdf.set_author(doc.author)
    pdf.add_page()
    heading(pdf, doc)
    title(pdf, doc)
    for text in doc.paragraphs:
        paragraph(pdf, text)
    for t in doc.tables:
        table(pdf, t)
    signature(pdf, doc)
    return bytes(pdf.output())
