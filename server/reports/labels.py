"""The report's words, in one place: the Vietnamese label of every enum value, how the review
filter reads in a sentence, and how numbers, money, shares and dates are written
(domain.md "Language": `dd/mm/yyyy`, `1.500.000 ₫`)."""

from __future__ import annotations

from datetime import date

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
    "unit_kind": {
        "department": "Ban ngành, bộ phận chuyên môn",
        "mass_organisation": "Mặt trận, đoàn thể",
        "school": "Trường học",
        "health_station": "Trạm y tế",
        "police_military": "Công an, quân sự",
        "other": "Khác",
    },
    "deed_status": {
        "planned": "Dự kiến",
        "in_progress": "Đang thực hiện",
        "done": "Đã hoàn thành",
    },
    "model_status": {
        "none": "Chưa đăng ký",
        "registered": "Đã đăng ký",
        "achieved": "Đạt kiểu mẫu",
    },
}

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
