"""What importing a register would do, row by row: a pure function of the rows read and the
register as it stands (neighbourhoods, groups, households), so that the preview and the apply of
the same file, on several server processes, always agree.

Each row is one of: a household to add; a match of a household already on the register (same
neighbourhood, head's name and address, compared without diacritics, case and punctuation), to
skip or update as the admin chooses; or a row with errors, each in Vietnamese with its column.
The cells are read here (codes, names or numbers of neighbourhoods and groups; categories in
words; numbers written as text); the values are checked by the same schema as a push (§4 rule 5).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import orjson

from sync.catalogue import Validator
from sync.text import fold

from .reading import FileProblem, Formula, Sheet, title_key


@dataclass(frozen=True)
class Column:
    """A column of the template: its title, other titles that mean it, whether it is needed."""

    key: str
    title: str
    aliases: tuple[str, ...] = ()
    required: bool = False


# The template's columns, in its order. The aliases include the households export's titles, so
# that an exported file can be imported again.
COLUMNS: tuple[Column, ...] = (
    Column("quarter", "Khu phố", ("Mã khu phố", "Tên khu phố"), required=True),
    Column("group", "Tổ", ("Tổ nhân dân", "Tổ dân phố")),
    Column("head_name", "Chủ hộ", ("Họ tên chủ hộ", "Tên chủ hộ", "Họ và tên chủ hộ"), True),
    Column("address", "Địa chỉ", ("Địa chỉ hộ",), required=True),
    Column("phone", "Số điện thoại", ("Điện thoại", "SĐT", "Số ĐT")),
    Column("members_count", "Số nhân khẩu", ("Nhân khẩu", "Số người")),
    Column("categories", "Diện hộ", ("Diện chính sách", "Diện")),
    Column("notes", "Ghi chú", ()),
)
BY_KEY = {c.key: c for c in COLUMNS}
ORDER = {c.title: index for index, c in enumerate(COLUMNS)}
TITLE_KEYS: dict[str, str] = {
    title_key(name): c.key for c in COLUMNS for name in (c.title, *c.aliases)
}
# The household field each column fills, and back.
FIELD_OF = {
    "quarter": "quarter_id",
    "group": "group_id",
    "head_name": "head_name",
    "address": "address",
    "phone": "phone",
    "members_count": "members_count",
    "categories": "categories",
    "notes": "notes",
}
COLUMN_OF = {name: key for key, name in FIELD_OF.items()}
# What an update may change: the neighbourhood, head and address are what matched.
UPDATABLE = ("group_id", "phone", "members_count", "categories", "notes")

# The engine's English messages (server/schemas.py), in Vietnamese for the admin.
MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Missing data for required field\."), "Không được để trống."),
    (re.compile(r"Must not be empty\."), "Không được để trống."),
    (re.compile(r"Longer than (\d+) characters\."), "Dài quá {0} ký tự."),
    (
        re.compile(r"Not a Vietnamese phone number\."),
        "Không phải số điện thoại Việt Nam (10 chữ số bắt đầu bằng 0, hoặc +84 và 9 chữ số).",
    ),
    (
        re.compile(r"Must be greater than or equal to (\d+) and less than or equal to (\d+)\."),
        "Phải từ {0} đến {1}.",
    ),
    (re.compile(r"Contains a control character.*"), "Có ký tự điều khiển; hãy xóa đi."),
    (re.compile(r"This group belongs to another neighbourhood\."), "Tổ thuộc khu phố khác."),
    (re.compile(r"No such record\."), "Không còn trên hệ thống."),
)


@dataclass(frozen=True)
class Quarter:
    id: str
    code: str
    name: str


@dataclass(frozen=True)
class Group:
    id: str
    quarter_id: str
    name: str


@dataclass(frozen=True)
class Household:
    """A household on the register, as a match needs it."""

    id: str
    rev: int
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Register:
    """The register as it stands: neighbourhoods, groups, the households of the neighbourhoods
    the file names (oldest first), and the Vietnamese word of each category."""

    quarters: Sequence[Quarter]
    groups: Sequence[Group]
    households: Sequence[Household]
    categories: Mapping[str, str]


@dataclass(frozen=True)
class Problem:
    """An error or a warning about one cell (or the whole row when `column` is None)."""

    column: str | None
    message: str


@dataclass
class RowPlan:
    """What becomes of one row."""

    row: int
    values: dict[str, str]
    action: str = "add"  # "add" | "match" | "error"
    fields: dict[str, Any] = field(default_factory=dict)
    household: Household | None = None
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    # The fields the row's cells filled (the others take defaults on a create).
    filled: frozenset[str] = frozenset()


@dataclass
class Preview:
    """The whole file's plan, and a digest of it that an apply must present."""

    sheet: Sheet
    file_digest: str
    columns: list[tuple[str, str]]
    unknown_columns: list[str]
    missing_columns: list[str]
    rows: list[RowPlan]
    notices: list[str]
    digest: str = ""

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def changed(self) -> int:
        """Matches whose file row differs from the register: what "update" would change."""
        return sum(1 for r in self.rows if r.action == "match" and r.changes)


def name_key(text: Any) -> str:
    """A head's name or an address as matches compare them: no diacritics, case, punctuation."""
    return " ".join(re.sub(r"[\W_]+", " ", fold(str(text or ""))).split())


def ref_key(text: Any) -> str:
    """A neighbourhood's or group's code, name or number as compared: `KP 01` → `kp1`."""
    compact = re.sub(r"[\W_]+", "", fold(str(text)))
    return re.sub(r"\d+", lambda m: str(int(m.group())), compact)


def trailing_number(text: str) -> str | None:
    """`kp1` → `1`: the number a name or code ends with (what a cell `1` names)."""
    match = re.search(r"(\d+)$", ref_key(text))
    return match.group(1) if match else None


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the columns --------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 → `A`, 26 → `AA` (how the admin finds a column)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def map_columns(sheet: Sheet) -> tuple[dict[int, str], list[str], list[str]]:
    """Which column of the file is which template column; the unknown ones (listed, never
    dropped silently); the template's optional columns the file lacks. Missing required
    columns, or one column twice, make the file unusable (422)."""
    mapped: dict[int, str] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for index, title in enumerate(sheet.titles):
        key = TITLE_KEYS.get(title_key(title))
        if key is None:
            has_data = any(
                index < len(cells) and cells[index] is not None for _, cells in sheet.rows
            )
            if title:
                unknown.append(title)
            elif has_data:
                unknown.append(f"(cột {column_letter(index)} không có tiêu đề)")
            continue
        if key in seen:
            raise FileProblem(
                422,
                "duplicate_column",
                f"Cột “{BY_KEY[key].title}” có hai lần: “{seen[key]}” và “{title}”.",
                {"columns": [seen[key], title]},
            )
        seen[key] = title
        mapped[index] = key
    missing = [c.title for c in COLUMNS if c.required and c.key not in seen]
    if missing:
        raise FileProblem(
            422,
            "missing_columns",
            "Thiếu cột bắt buộc: " + ", ".join(missing) + ".",
            {"columns": missing},
        )
    optional = [c.title for c in COLUMNS if not c.required and c.key not in seen]
    return mapped, unknown, optional


# -- the cells --------------------------------------------------------------------------------


class CellError(Exception):
    """A cell that cannot mean a value of its column (the message is for the admin)."""


def display(value: Any) -> str:
    """A cell as the admin would read it in Excel."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_text(value: Any) -> str:
    return display(value).strip()


def as_count(value: Any) -> int:
    """A whole number: a number cell, or digits written as text."""
    if isinstance(value, datetime | date | time):
        raise CellError(
            f"Excel đã đổi ô này thành ngày tháng ({display(value)}); "
            "hãy định dạng ô là số (Number) rồi nhập lại."
        )
    if isinstance(value, bool):
        raise CellError("Phải là một số nguyên.")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError(f"Phải là số nguyên, không phải {display(value)}.")
    text = as_text(value)
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    if re.fullmatch(r"[0-9]+[.,]0+", text):
        return int(re.split(r"[.,]", text)[0])
    raise CellError(f"Phải là số nguyên, không phải “{text}”.")


def as_phone(value: Any) -> tuple[str, str | None]:
    """A phone number, and a warning when Excel dropped its leading 0 (a number cell)."""
    if isinstance(value, datetime | date | time | bool):
        raise CellError(f"Ô là ngày tháng hoặc giá trị đúng/sai ({display(value)}), không phải số.")
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = display(value)
        if re.fullmatch(r"[1-9][0-9]{8}", digits):
            return "0" + digits, "Excel lưu số điện thoại dạng số và bỏ số 0 đầu; đã thêm lại."
        return digits, None
    return re.sub(r"[\s.\-()]", "", as_text(value)), None


class References:
    """Neighbourhoods and groups by code, name or number, and categories by their words."""

    def __init__(self, register: Register) -> None:
        self.quarters: dict[str, set[str]] = {}
        self.quarter_label: dict[str, str] = {}
        for q in register.quarters:
            self.quarter_label[q.id] = q.code or q.name
            for key in {ref_key(q.code), ref_key(q.name), trailing_number(q.code)}:
                if key:
                    self.quarters.setdefault(key, set()).add(q.id)
            number = trailing_number(q.name)
            if number:
                self.quarters.setdefault(number, set()).add(q.id)
        self.groups: dict[tuple[str, str], set[str]] = {}
        for g in register.groups:
            for key in {ref_key(g.name), trailing_number(g.name)}:
                if key:
                    self.groups.setdefault((g.quarter_id, key), set()).add(g.id)
        self.categories: dict[str, str] = {}
        for code, label in register.categories.items():
            self.categories[ref_key(code)] = code
            self.categories[ref_key(label)] = code
            if fold(label).startswith("ho "):  # "nghèo" for "Hộ nghèo"
                self.categories[ref_key(label[3:])] = code
        self.category_words = ", ".join(register.categories.values())
        # A register repeats a few neighbourhoods, groups and categories thousands of times.
        self.keys: dict[str, str] = {}

    def key(self, text: str) -> str:
        """`ref_key`, remembered for this preview."""
        found = self.keys.get(text)
        if found is None:
            found = self.keys[text] = ref_key(text)
        return found

    def quarter(self, value: Any) -> str:
        text = as_text(value)
        found = self.quarters.get(self.key(text), set())
        if not found:
            raise CellError(f"Không có khu phố “{text}” (ghi mã như KP1, tên, hoặc số).")
        if len(found) > 1:
            raise CellError(f"“{text}” chỉ nhiều khu phố; hãy ghi mã khu phố (như KP1).")
        return next(iter(found))

    def group(self, quarter_id: str, value: Any) -> str:
        text = as_text(value)
        found = self.groups.get((quarter_id, self.key(text)), set())
        if not found:
            raise CellError(
                f"Khu phố {self.quarter_label.get(quarter_id, '')} không có tổ “{text}”."
            )
        if len(found) > 1:
            raise CellError(f"“{text}” chỉ nhiều tổ; hãy ghi tên tổ đầy đủ.")
        return next(iter(found))

    def category_list(self, value: Any) -> list[str]:
        codes: list[str] = []
        unknown: list[str] = []
        for word in re.split(r"[,;\n]+", as_text(value)):
            if not word.strip():
                continue
            code = self.categories.get(self.key(word))
            if code is None:
                unknown.append(word.strip())
            elif code not in codes:
                codes.append(code)
        if unknown:
            raise CellError(
                "Không rõ diện hộ: "
                + ", ".join(f"“{w}”" for w in unknown)
                + f". Ghi một hoặc nhiều trong: {self.category_words}, cách nhau bằng dấu phẩy."
            )
        return codes


def vietnamese(message: str) -> str:
    for pattern, words in MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            return words.format(*match.groups())
    return f"Không hợp lệ: {message}"


# -- the rows ---------------------------------------------------------------------------------


def read_row(
    number: int,
    cells: list[Any],
    mapped: Mapping[int, str],
    refs: References,
    validate: Validator,
    now: datetime,
) -> RowPlan:
    """One row's household fields, or its errors (each with its column's title)."""
    given = {key: cells[index] for index, key in mapped.items() if index < len(cells)}
    plan = RowPlan(row=number, values={key: display(v) for key, v in given.items()})
    if cells and isinstance(cells[-1], list):  # cells beyond the titled columns
        plan.warnings.append(
            Problem(
                None,
                "Có ô ngoài các cột có tiêu đề, không được nhập: "
                + ", ".join(f"“{display(v)}”" for v in cells[-1]),
            )
        )
    fields: dict[str, Any] = {}
    failed: set[str] = set()

    def fail(key: str, message: str) -> None:
        failed.add(key)
        plan.errors.append(Problem(BY_KEY[key].title, message))

    for key, value in given.items():
        if isinstance(value, Formula):
            plan.warnings.append(
                Problem(BY_KEY[key].title, "Ô chứa công thức: nhập nguyên văn, không tính.")
            )
    quarter = given.get("quarter")
    if quarter is not None:
        try:
            fields["quarter_id"] = refs.quarter(quarter)
        except CellError as exc:
            fail("quarter", str(exc))
    for key, value in given.items():
        if value is None or key == "quarter":
            continue
        try:
            if key == "group":
                if "quarter_id" in fields:
                    fields["group_id"] = refs.group(fields["quarter_id"], value)
            elif key == "phone":
                phone, warning = as_phone(value)
                if phone:  # "-" or "..." for no phone: none
                    fields["phone"] = phone
                if warning:
                    plan.warnings.append(Problem(BY_KEY[key].title, warning))
            elif key == "members_count":
                fields["members_count"] = as_count(value)
            elif key == "categories":
                categories = refs.category_list(value)
                if categories:
                    fields["categories"] = categories
            else:
                fields[FIELD_OF[key]] = as_text(value)
        except CellError as exc:
            fail(key, str(exc))
    plan.filled = frozenset(fields)
    clean, errors = validate(fields, now)
    for name, messages in errors.items():
        key = COLUMN_OF.get(name.split(".")[0])
        if key is None or key in failed:
            continue
        for message in messages:
            fail(key, vietnamese(message))
    if plan.errors:
        plan.errors.sort(key=lambda p: ORDER.get(p.column or "", -1))
        plan.action = "error"
    else:
        plan.fields = clean
    return plan


def match_key(fields: Mapping[str, Any]) -> tuple[str, str, str]:
    return (
        str(fields.get("quarter_id") or ""),
        name_key(fields.get("head_name")),
        name_key(fields.get("address")),
    )


def changes_for(plan: RowPlan, household: Household) -> dict[str, Any]:
    """What an update would change: filled cells of the file that differ from the register
    (an empty cell never clears a value)."""
    changes: dict[str, Any] = {}
    for name in UPDATABLE:
        if name not in plan.filled:
            continue
        new, old = plan.fields.get(name), household.fields.get(name)
        same = set(new or []) == set(old or []) if name == "categories" else new == old
        if not same:
            changes[name] = {"from": old, "to": new}
    return changes


def preview(
    sheet: Sheet,
    register: Register,
    digest_of_file: str,
    validate: Validator,
    now: datetime,
) -> Preview:
    """The plan for every row of the sheet against the register."""
    mapped, unknown, missing = map_columns(sheet)
    refs = References(register)
    on_register: dict[tuple[str, str, str], Household] = {}
    for household in register.households:
        on_register.setdefault(match_key(household.fields), household)
    in_file: dict[tuple[str, str, str], int] = {}
    rows: list[RowPlan] = []
    for number, cells in sheet.rows:
        plan = read_row(number, cells, mapped, refs, validate, now)
        if plan.action != "error":
            key = match_key(plan.fields)
            if key in in_file:
                plan.action = "error"
                plan.errors.append(
                    Problem(
                        None,
                        f"Trùng với dòng {in_file[key]} (cùng khu phố, chủ hộ và địa chỉ).",
                    )
                )
            else:
                in_file[key] = number
                household = on_register.get(key)
                if household is not None:
                    plan.action = "match"
                    plan.household = household
                    plan.changes = changes_for(plan, household)
        rows.append(plan)
    notices = []
    if sheet.other_sheets:
        notices.append(
            "Chỉ đọc trang tính đầu tiên “{}”; các trang khác không được nhập: {}.".format(
                sheet.sheet_name, ", ".join(sheet.other_sheets)
            )
        )
    if sheet.header_row > 1:
        notices.append(f"Dòng tiêu đề cột là dòng {sheet.header_row}; các dòng trên bị bỏ qua.")
    result = Preview(
        sheet=sheet,
        file_digest=digest_of_file,
        columns=[(sheet.titles[i], key) for i, key in sorted(mapped.items())],
        unknown_columns=unknown,
        missing_columns=missing,
        rows=rows,
        notices=notices,
    )
    result.digest = plan_digest(result)
    return result


def plan_digest(result: Preview) -> str:
    """A digest of the file and of what would be done with each row: an apply presents it, and
    is refused if the file, or the register it was compared with, has changed since."""
    summary = [
        [
            r.row,
            r.action,
            r.fields,
            r.household.id if r.household else None,
            r.household.rev if r.household else None,
            r.changes,
        ]
        for r in result.rows
    ]
    text = orjson.dumps([result.file_digest, summary], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()
