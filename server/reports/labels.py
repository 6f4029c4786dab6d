"""The report's words that are not the vocabulary's (enum labels are read from
`server/vocabulary.json` through `server.vocabulary`): how the review filter reads in a sentence,
and how numbers, money, shares and dates are written (domain.md "Language": `dd/mm/yyyy`,
`1.500.000 ₫`)."""

from __future__ import annotations

from datetime import date

# How the review filter reads after "Số liệu gồm" (the basis of the figures).
REVIEW_FILTER_WORDS = {
    "not_rejected": "mọi bản ghi đã nhập, trừ bản ghi không được duyệt",
    "all": "mọi bản ghi đã nhập, kể cả bản ghi không được duyệt",
    "approved": "chỉ các bản ghi đã được duyệt",
    "pending": "chỉ các bản ghi đang chờ duyệt",
    "has_issues": "chỉ các bản ghi cần sửa",
    "rejected": "chỉ các bản ghi không được duyệt",
    "edited": "chỉ các bản ghi đã sửa, chờ duyệt lại",
}

# Between an amount and its `₫`: a space no writer breaks a line at.
NBSP = "\u00a0"


def number(value: int) -> str:
    """`12.345`."""
    return f"{value:,}".replace(",", ".")


def money(value: int) -> str:
    """`1.500.000 ₫`, the space unbreakable, so that the `₫` never goes to the next line."""
    return number(value) + NBSP + "₫"


def share(value: float | None) -> str:
    """A share as a percentage with one decimal, Vietnamese style: `66,7%`; `–` for none."""
    if value is None:
        return "–"
    return f"{value * 100:.1f}".replace(".", ",") + "%"


def ddmmyyyy(day: date | str | None) -> str:
    """`25/10/2024`."""
    if day is None:
        return ""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return day.strftime("%d/%m/%Y")


def dated_at(place: str, day: date) -> str:
    """`Gia Ray, ngày 05 tháng 10 năm 2024`: a day below 10 and the months 1 and 2 take a
    leading 0 (Decree 30/2020/NĐ-CP, Appendix I)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"
