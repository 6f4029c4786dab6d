"""Marshmallow schemas: every synced collection's fields (domain.md) and every request body.

Structural only: no database queries here. Values stay in their JSON form (dates as
`YYYY-MM-DD` strings, ids as strings) so that what a device sent is stored as it was sent.
Unknown fields are rejected (marshmallow's default, RAISE).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from sync.catalogue import FIELD_DATA, Catalogue, Validator, build_catalogue
from sync.stranded import STATES as ESCALATION_STATES

from .fastload import Namer, fast_loader
from .vocabulary import values


class FullMatch(validate.Regexp):
    """A regular expression the whole value must match (no trailing newline slips through);
    its pattern, with ^ and $, is what the OpenAPI description shows."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value

    def fast_source(self, value: str, name: Namer) -> list[str]:
        """This check as lines of Python for `fastload` (only a string is vouched for)."""
        regex = name(self.regex, "regex")
        return [
            f"if type({value}) is not str or {regex}.fullmatch({value}) is None:",
            "    raise Slow",
        ]


UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
UUID = re.compile(UUID_PATTERN)
PHONE = re.compile(r"^(?:0[0-9]{9}|\+84[0-9]{9})$")


# -- strict field types -------------------------------------------------------------------


class StrictInt(fields.Integer):
    """An integer that is a JSON integer: not a bool, not a string, not 2.5."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)

    def fast_source(self, value: str, name: Namer) -> list[str]:
        """`_deserialize` as lines of Python for `fastload`: an int is itself."""
        return [f"if type({value}) is not int:", "    raise Slow"]


class StrictBool(fields.Boolean):
    """true or false, nothing truthy."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value

    def fast_source(self, value: str, name: Namer) -> list[str]:
        """`_deserialize` as lines of Python for `fastload`."""
        return [f"if type({value}) is not bool:", "    raise Slow"]


class StrictFloat(fields.Float):
    """A JSON number (not a string, not a bool)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if type(value) is float and math.isfinite(value):
            return value  # what Float gives a finite float: itself
        return self.checked(value, attr, data, **kwargs)

    def checked(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        """marshmallow's path, which gives every error (`_deserialize` may skip it)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)

    def fast_source(self, value: str, name: Namer) -> list[str]:
        """`_deserialize` as lines of Python for `fastload`: a finite float is itself, an integer
        (short of where floats end) becomes a float."""
        isfinite = name(math.isfinite, "isfinite")
        return [
            f"if type({value}) is float:",
            f"    if not {isfinite}({value}):",
            "        raise Slow",
            f"elif type({value}) is int and {-FLOAT_INT} <= {value} <= {FLOAT_INT}:",
            f"    {value} = float({value})",
            "else:",
            "    raise Slow",
        ]


# C0 control characters other than tab and newline: no one types them, and spreadsheets and
# PostgreSQL text refuse some of them (§7: refused as input rather than failing later).
CONTROL = r"\x00-\x08\x0b-\x1f"
NO_CONTROL = FullMatch(
    f"^[^{CONTROL}]*$", error="Contains a control character (only tab and newline are allowed)."
)
ANY_CONTROL = re.compile(f"[{CONTROL}]")
# Dates the domain can mean: a campaign, a visit, a registration or a gift between 2000 and 2100.
FIRST_YEAR, LAST_YEAR = 2000, 2100
DOMAIN_YEAR = r"(?:20[0-9]{2}|2100)"
ANY_YEAR = r"[0-9]{4}"
MONTH_DAY = r"-[0-9]{2}-[0-9]{2}"
# RFC 3339 (what OpenAPI's `date-time` means): a `T`, seconds, and an offset or `Z`.
TIME = r"T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})"
ANY_DATE = re.compile(ANY_YEAR + MONTH_DAY)
ANY_DATE_TIME = re.compile(ANY_YEAR + MONTH_DAY + TIME)
# Integers a float holds exactly (the fast path converts only these; marshmallow takes the rest).
FLOAT_INT = 2**53
# Money: a single gift of more than 10^12 ₫ is a typo (domain.md).
MONEY_MAX = 10**12


class Text(fields.String):
    """Text a person typed: at most `max_len` characters, no control characters but tab and
    newline; surrounding spaces are trimmed, and `min_len=1` means something besides spaces."""

    def __init__(self, *, min_len: int = 0, max_len: int | None = None, **kwargs: Any) -> None:
        pattern = f"^[^{CONTROL}]*$"
        if min_len:
            pattern = f"^[^{CONTROL}]*[^{CONTROL}\\s][^{CONTROL}]*$"
        metadata = {"pattern": pattern, "minLength": min_len, **kwargs.pop("metadata", {})}
        if max_len is not None:
            metadata["maxLength"] = max_len
        super().__init__(metadata=metadata, **kwargs)
        self.min_len, self.max_len = min_len, max_len

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if (
            type(value) is str
            and (self.max_len is None or len(value) <= self.max_len)
            and ANY_CONTROL.search(value) is None
        ):
            text = value.strip()
            if len(text) >= self.min_len:
                return text  # the checks of `checked`, passed: any failure is theirs to describe
        return self.checked(value, attr, data, **kwargs)

    def fast_source(self, value: str, name: Namer) -> list[str]:
        """`_deserialize` as lines of Python for `fastload`. Printable text has no control
        character: the regular expression is asked only about text that is not."""
        control = name(ANY_CONTROL, "control")
        longer = "" if self.max_len is None else f" or len({value}) > {self.max_len}"
        lines = [
            f"if type({value}) is not str{longer}:",
            "    raise Slow",
            f"if not {value}.isprintable() and {control}.search({value}) is not None:",
            "    raise Slow",
            f"{value} = {value}.strip()",
        ]
        if self.min_len:
            lines += [f"if len({value}) < {self.min_len}:", "    raise Slow"]
        return lines

    def checked(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        """marshmallow's path, which gives every error (`_deserialize` may skip it)."""
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.max_len is not None and len(text) > self.max_len:
            raise ValidationError(f"Longer than {self.max_len} characters.")
        NO_CONTROL(text)
        text = text.strip()
        if len(text) < self.min_len:
            raise ValidationError("Must not be empty.")
        return text


class IsoDate(fields.String):
    """A `YYYY-MM-DD` date, kept as that string; `domain=True` keeps it within 2000..2100."""

    def __init__(self, *, domain: bool = True, **kwargs: Any) -> None:
        pattern = f"^{DOMAIN_YEAR if domain else ANY_YEAR}{MONTH_DAY}$"
        super().__init__(metadata={"format": "date", "pattern": pattern}, **kwargs)
        self.regex = re.compile(pattern)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not ANY_DATE.fullmatch(text):
            raise ValidationError("Not a date (YYYY-MM-DD).")
        try:
            date.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError("Not a date (YYYY-MM-DD).") from exc
        if not self.regex.fullmatch(text):
            raise ValidationError(f"Must be between {FIRST_YEAR} and {LAST_YEAR}.")
        return text

    def fast_source(self, value: str, name: Namer) -> list[str]:
        """`_deserialize` as lines of Python for `fastload`: the field's own pattern (which only
        `YYYY-MM-DD` matches), then a real date (a ValueError is not vouched for)."""
        regex, parse = name(self.regex, "regex"), name(date.fromisoformat, "date")
        return [
            f"if type({value}) is not str or {regex}.fullmatch({value}) is None:",
            "    raise Slow",
            f"{parse}({value})",
        ]


class IsoDateTime(fields.String):
    """An RFC 3339 date and time with an offset, kept as sent; `domain=True` keeps its date
    within 2000..2100 (a device's own clock, `client_time`, may say anything)."""

    def __init__(self, *, domain: bool = True, **kwargs: Any) -> None:
        pattern = f"^{DOMAIN_YEAR if domain else ANY_YEAR}{MONTH_DAY}{TIME}$"
        super().__init__(metadata={"format": "date-time", "pattern": pattern}, **kwargs)
        self.regex = re.compile(pattern)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not ANY_DATE_TIME.fullmatch(text):
            raise ValidationError("Not a date and time (ISO 8601, e.g. 2024-10-12T08:30:00+07:00).")
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError("Not a date and time (ISO 8601).") from exc
        if not self.regex.fullmatch(text):
            raise ValidationError(f"Must be between {FIRST_YEAR} and {LAST_YEAR}.")
        return text

    def fast_source(self, value: str, name: Namer) -> list[str]:
        """`_deserialize` as lines of Python for `fastload`: the field's own pattern (which only
        RFC 3339 matches), then a real moment (a ValueError is not vouched for)."""
        regex, parse = name(self.regex, "regex"), name(datetime.fromisoformat, "moment")
        return [
            f"if type({value}) is not str or {regex}.fullmatch({value}) is None:",
            "    raise Slow",
            f"{parse}({value}.replace('Z', '+00:00'))",
        ]


class Uuid(fields.String):
    """A UUID written 8-4-4-4-12 (any case), kept in its canonical lower-case form."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"format": "uuid", "pattern": UUID_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if type(value) is str and UUID.fullmatch(value):
            return value.lower()
        return self.checked(value, attr, data, **kwargs)

    def fast_source(self, value: str, name: Namer) -> list[str]:
        """`_deserialize` as lines of Python for `fastload`."""
        uuid = name(UUID, "uuid")
        return [
            f"if type({value}) is not str or {uuid}.fullmatch({value}) is None:",
            "    raise Slow",
            f"{value} = {value}.lower()",
        ]

    def checked(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        """marshmallow's path, which gives every error (`_deserialize` may skip it)."""
        text = super()._deserialize(value, attr, data, **kwargs)
        if not UUID.fullmatch(text):
            raise ValidationError("Not a valid UUID.")
        return text.lower()


def one_of(*choices: str) -> validate.OneOf:
    return validate.OneOf(choices, error="Must be one of: {choices}.")


def notes() -> Text:
    return Text(max_len=2000, allow_none=True, load_default=None)


def money(**kwargs: Any) -> StrictInt:
    """An amount in đồng: 0..10^12 (one gift of more than that is a typo)."""
    return StrictInt(validate=validate.Range(0, MONEY_MAX), **kwargs)


def optional_uuid() -> Uuid:
    return Uuid(allow_none=True, load_default=None)


# -- the collections (domain.md) ----------------------------------------------------------


class GeoSchema(Schema):
    lat = StrictFloat(required=True, validate=validate.Range(-90, 90))
    lon = StrictFloat(required=True, validate=validate.Range(-180, 180))
    accuracy_m = StrictFloat(allow_none=True, load_default=None, validate=validate.Range(min=0))


def geo() -> fields.Nested:
    return fields.Nested(GeoSchema, allow_none=True, load_default=None)


class QuarterSchema(Schema):
    code = Text(min_len=1, max_len=20, required=True)
    name = Text(min_len=1, max_len=100, required=True)


class GroupSchema(Schema):
    quarter_id = Uuid(required=True)
    name = Text(min_len=1, max_len=100, required=True)
    model_status = fields.String(load_default="none", validate=one_of(*values("model_status")))


class CampaignSchema(Schema):
    name = Text(min_len=1, max_len=200, required=True)
    starts_on = IsoDate(required=True)
    ends_on = IsoDate(required=True)
    launch_on = IsoDate(allow_none=True, load_default=None)
    report_due_on = IsoDate(allow_none=True, load_default=None)
    active = StrictBool(load_default=True)

    @validates_schema
    def ends_after_start(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("Must be on or after the start date.", "ends_on")


REVIEW_STATUSES = values("review")
CONFLICT_KINDS = ("fields", "delete_vs_edit", "edit_vs_delete")


class HouseholdSchema(Schema):
    quarter_id = Uuid(required=True)
    group_id = optional_uuid()
    address = Text(min_len=1, max_len=200, required=True)
    head_name = Text(min_len=1, max_len=100, required=True)
    phone = fields.String(
        allow_none=True,
        load_default=None,
        validate=FullMatch(PHONE, error="Not a Vietnamese phone number."),
    )
    members_count = StrictInt(load_default=1, validate=validate.Range(1, 50))
    categories = fields.List(fields.String(validate=one_of(*values("category"))), load_default=list)
    location = geo()
    notes = notes()


class VisitSchema(Schema):
    household_id = Uuid(required=True)
    visited_at = IsoDateTime(required=True)
    purpose = fields.String(
        required=True,
        validate=one_of(*values("purpose")),
    )
    campaign_id = optional_uuid()
    follow_up_needed = StrictBool(load_default=False)
    location = geo()
    notes = notes()


class RegistrationSchema(Schema):
    household_id = Uuid(required=True)
    kind = fields.String(required=True, validate=one_of(*values("registration_kind")))
    status = fields.String(required=True, validate=one_of(*values("registration_status")))
    persons = StrictInt(load_default=0, validate=validate.Range(0, 50))
    registered_on = IsoDate(required=True)
    campaign_id = optional_uuid()
    notes = notes()

    @validates_schema
    def insured_people(self, data: dict[str, Any], **kwargs: Any) -> None:
        insured = data.get("kind") == "health_insurance" and data.get("status") == "registered"
        if insured and (data.get("persons") or 0) < 1:
            raise ValidationError(
                "At least one person for a health insurance registration.", "persons"
            )


class SupportSchema(Schema):
    household_id = Uuid(required=True)
    kind = fields.String(required=True, validate=one_of(*values("support_kind")))
    value_vnd = money(required=True)
    sponsor = Text(max_len=200, allow_none=True, load_default=None)
    given_on = IsoDate(required=True)
    campaign_id = optional_uuid()
    notes = notes()


class AssessmentSchema(Schema):
    household_id = Uuid(required=True)
    year = StrictInt(required=True, validate=validate.Range(2000, 2100))
    criteria_met = fields.List(Text(min_len=1, max_len=200), load_default=list)
    result = fields.String(required=True, validate=one_of(*values("assessment_result")))
    notes = notes()


class NominationSchema(Schema):
    quarter_id = Uuid(required=True)
    nominee = Text(min_len=1, max_len=200, required=True)
    nominee_kind = fields.String(required=True, validate=one_of(*values("nominee_kind")))
    domain = fields.String(
        required=True,
        validate=one_of(*values("domain")),
    )
    achievement = Text(min_len=1, max_len=4000, required=True)
    campaign_id = optional_uuid()
    # A collective nominee may be one of the town's units (domain.md "Units").
    unit_id = optional_uuid()

    @validates_schema
    def unit_is_a_collective(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("unit_id") and data.get("nominee_kind") != "collective":
            raise ValidationError("Only a collective nominee can be a unit.", "unit_id")


class UnitSchema(Schema):
    name = Text(min_len=1, max_len=200, required=True)
    kind = fields.String(required=True, validate=one_of(*values("unit_kind")))
    active = StrictBool(load_default=True)


class DeedSchema(Schema):
    unit_id = Uuid(required=True)
    campaign_id = Uuid(required=True)
    title = Text(min_len=1, max_len=200, required=True)
    description = Text(max_len=4000, allow_none=True, load_default=None)
    quarter_id = optional_uuid()
    planned_on = IsoDate(required=True)
    status = fields.String(load_default="planned", validate=one_of(*values("deed_status")))
    result = Text(max_len=4000, allow_none=True, load_default=None)
    beneficiaries = StrictInt(load_default=0, validate=validate.Range(0, 100_000))
    value_vnd = money(load_default=0)


# The records a photo is evidence of (domain.md: visits, support, assessments), the media types
# a photo is kept in, and how large it may be.
PHOTO_COLLECTIONS = values("photo_of")
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
PHOTO_MAX_BYTES = 10 * 1024 * 1024


class PhotoRecordSchema(Schema):
    """A photo's record in the feed: what it is of and what it is; the bytes are not in the feed
    (`GET /photos/<id>`). The server writes it when an upload completes; no device pushes it."""

    record_collection = fields.String(required=True, validate=one_of(*PHOTO_COLLECTIONS))
    record_id = Uuid(required=True, metadata={"description": "The record the photo is of"})
    household_id = Uuid(required=True, metadata={"description": "That record's household"})
    size = StrictInt(required=True, validate=validate.Range(1, PHOTO_MAX_BYTES))
    sha256 = fields.String(required=True, validate=FullMatch(r"^[0-9a-f]{64}$"))
    content_type = fields.String(required=True, validate=FullMatch(r"^image/(?:jpeg|png|webp)$"))
    width = StrictInt(required=True, validate=validate.Range(min=1))
    height = StrictInt(required=True, validate=validate.Range(min=1))


COLLECTION_SCHEMAS: dict[str, Schema] = {
    "quarters": QuarterSchema(),
    "groups": GroupSchema(),
    "campaigns": CampaignSchema(),
    "households": HouseholdSchema(),
    "visits": VisitSchema(),
    "registrations": RegistrationSchema(),
    "support": SupportSchema(),
    "assessments": AssessmentSchema(),
    "nominations": NominationSchema(),
    "units": UnitSchema(),
    "deeds": DeedSchema(),
    "photos": PhotoRecordSchema(),
}


def flatten(messages: Any) -> dict[str, list[str]]:
    """marshmallow's error messages as field → list of strings (nested fields dotted)."""
    if not isinstance(messages, Mapping):
        return {"_schema": [str(messages)]}
    flat: dict[str, list[str]] = {}
    for name, value in messages.items():
        if isinstance(value, Mapping):
            for sub, texts in flatten(value).items():
                flat[f"{name}.{sub}"] = texts
        elif isinstance(value, list):
            flat[str(name)] = [str(v) for v in value]
        else:
            flat[str(name)] = [str(value)]
    return flat


def validator_for(name: str, schema: Schema) -> Validator:
    """Adapt a schema to the engine's `Validator` (clean fields, errors by field); marshmallow
    decides whatever the fast path does not vouch for, and gives every error."""
    fast = fast_loader(schema)

    def check(
        data: Mapping[str, Any], now: datetime
    ) -> tuple[dict[str, Any], dict[str, list[str]]]:
        clean = fast(data)
        if clean is None:
            try:
                clean = schema.load(dict(data))
            except ValidationError as err:
                return {}, flatten(err.messages)
        if name == "visits":
            visited = datetime.fromisoformat(clean["visited_at"])
            if visited > now + timedelta(days=1):
                return {}, {"visited_at": ["Cannot be more than one day in the future."]}
        return clean, {}

    return check


# -- push ops (§4) ------------------------------------------------------------------------


class OpSchema(Schema):
    """The envelope of one push op, checked at rule (2) of §4. Its `fields` are checked later,
    at rule (5), by the collection's own schema (`<collection>_fields` in the OpenAPI)."""

    op_id = Uuid(required=True)
    collection = fields.String(required=True, validate=one_of(*COLLECTION_SCHEMAS))
    id = Uuid(required=True)
    base_rev = StrictInt(allow_none=True, load_default=None, validate=validate.Range(min=1))
    delete = StrictBool(load_default=False)
    fields_ = fields.Dict(data_key="fields", attribute="fields", allow_none=True, load_default=None)
    # The device's clock: recorded, never trusted (§1.5), so any year will do.
    client_time = IsoDateTime(domain=False, allow_none=True, load_default=None)

    @validates_schema
    def complete(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("delete") and data.get("base_rev") is None:
            raise ValidationError("A delete needs the revision the device saw.", "base_rev")
        if not data.get("delete") and data.get("fields") is None:
            raise ValidationError("Missing or not an object.", "fields")

    @post_load
    def no_fields_on_delete(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if data["delete"]:
            data["fields"] = None
        return data


op_schema = OpSchema()
fast_op = fast_loader(op_schema)


def parse_op(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The engine's op parser (rule 2 of §4): the op's envelope, or errors by key."""
    clean = fast_op(raw)
    if clean is not None:
        return clean, {}
    try:
        return op_schema.load(raw), {}
    except ValidationError as err:
        return {}, flatten(err.messages)


def make_catalogue() -> Catalogue:
    """The engine's collection rules with these schemas as validators and op parser."""
    return build_catalogue(
        {name: validator_for(name, schema) for name, schema in COLLECTION_SCHEMAS.items()},
        {name: frozenset(schema.fields) for name, schema in COLLECTION_SCHEMAS.items()},
        parse_op,
    )


# -- paths ----------------------------------------------------------------------------------


class CollectionPath(Schema):
    collection = fields.String(required=True, validate=one_of(*COLLECTION_SCHEMAS))


class RecordPath(CollectionPath):
    record_id = Uuid(required=True)


FIELD_COLLECTIONS = tuple(c for c in COLLECTION_SCHEMAS if c in FIELD_DATA)


class FieldCollectionPath(Schema):
    """A field collection: only those are reviewed (§6)."""

    collection = fields.String(required=True, validate=one_of(*FIELD_COLLECTIONS))


class FieldRecordPath(FieldCollectionPath):
    """A record of a field collection."""

    record_id = Uuid(required=True)


class ReviewBatchPath(Schema):
    batch_id = Uuid(required=True)


class ConflictPath(Schema):
    conflict_id = Uuid(required=True)


class UserPath(Schema):
    user_id = Uuid(required=True)


class OpPath(Schema):
    op_id = Uuid(required=True)


class DevicePath(UserPath):
    device_id = fields.String(required=True, validate=validate.Length(min=1, max=100))


# -- request bodies -----------------------------------------------------------------------


def device_text(max_len: int, **kwargs: Any) -> fields.String:
    """A device's name or id: any text without control characters."""
    return fields.String(
        validate=[validate.Length(max=max_len), NO_CONTROL],
        metadata={"pattern": NO_CONTROL.regex.pattern},
        **kwargs,
    )


class LoginSchema(Schema):
    username = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=64), NO_CONTROL],
        metadata={"pattern": NO_CONTROL.regex.pattern},
    )
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    device_id = device_text(100, load_default=None, allow_none=True)
    device_name = device_text(200, load_default=None, allow_none=True)


class PushSchema(Schema):
    device_id = device_text(100, load_default=None, allow_none=True)
    # Each op is parsed by the engine with `OpSchema` (§4): one bad op is rejected alone, never
    # the batch, so the list takes anything; the OpenAPI shows what each op must be.
    ops = fields.List(
        fields.Raw(allow_none=True, metadata={"allOf": [{"$ref": "#/components/schemas/Op"}]}),
        required=True,
        metadata={"maxItems": 1000},
    )


class LogoutSchema(Schema):
    """`{}` or no body at all (§3)."""


class ReviewSchema(Schema):
    status = fields.String(required=True, validate=one_of("approved", "has_issues", "rejected"))
    comment = Text(max_len=2000, allow_none=True, load_default=None)

    @validates_schema
    def comment_when_not_approved(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("status") in ("has_issues", "rejected") and not data.get("comment"):
            raise ValidationError("Say what needs fixing.", "comment")


class BulkReviewSchema(ReviewSchema):
    ids = fields.List(
        Uuid(),
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "The records to review (at most 500)."},
    )


class ResolveSchema(Schema):
    choices = fields.Dict(
        keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict
    )
    deleted = StrictBool(load_default=None, allow_none=True)


class EscalateSchema(Schema):
    """A rejected op handed to an admin (§6a), with a word from its author."""

    note = Text(max_len=2000, allow_none=True, load_default=None)


class DeclineSchema(Schema):
    """An admin declines a stranded op, saying why (its author reads it)."""

    reason = Text(min_len=1, max_len=2000, required=True)


ROLES = values("role")


def chosen_password(**kwargs: Any) -> fields.String:
    """A password someone sets, for themselves or for another user (§9): 8 to 200 characters."""
    return fields.String(validate=validate.Length(min=8, max=200), **kwargs)


class UserCreateSchema(Schema):
    username = fields.String(
        required=True,
        validate=[
            validate.Length(min=2, max=64),
            FullMatch(r"^[a-zA-Z0-9._-]+$", error="Letters, digits, dot, dash, underscore."),
        ],
    )
    password = chosen_password(required=True)
    display_name = Text(min_len=1, max_len=100, required=True)
    role = fields.String(required=True, validate=one_of(*ROLES))
    quarters = fields.List(Uuid(), load_default=list)
    unit_id = Uuid(allow_none=True, load_default=None)


class UserPatchSchema(Schema):
    display_name = Text(min_len=1, max_len=100)
    role = fields.String(validate=one_of(*ROLES))
    quarters = fields.List(Uuid())
    unit_id = Uuid(allow_none=True)
    password = chosen_password()
    active = StrictBool()


class PasswordChangeSchema(Schema):
    """The signed-in user's own new password; the current one proves it is still them."""

    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = chosen_password(required=True)


# -- query parameters (a bad one is 400; an empty one means "not given") --------------------


class PullArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    cursor = fields.String(load_default=None, validate=validate.Length(max=4000))
    limit = fields.Integer(load_default=500, validate=validate.Range(1, 5000))


class RecordListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    quarter = Uuid(load_default=None)
    review = fields.String(load_default=None, validate=one_of(*REVIEW_STATUSES))
    q = fields.String(
        load_default=None,
        validate=[validate.Length(max=200), NO_CONTROL],
        metadata={"pattern": NO_CONTROL.regex.pattern},
    )
    updated_since = fields.AwareDateTime(load_default=None)
    created_by = Uuid(load_default=None)
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))


class ConflictListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(load_default=None, validate=one_of("open", "resolved"))


# What the audit log notes (`audit.audit`), with their labels in the vocabulary.
AUDIT_ACTIONS = values("audit_action")


class OpListArgs(Schema):
    state = fields.String(load_default="escalated", validate=one_of(*ESCALATION_STATES))


class AuditArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    user = Uuid(load_default=None)
    action = fields.String(load_default=None, validate=one_of(*AUDIT_ACTIONS))
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))


# -- answers (documentation only: views return plain dicts, the fuzz test checks them) ------


def moment(**kwargs: Any) -> fields.String:
    return fields.String(metadata={"format": "date-time"}, **kwargs)


def an_id(**kwargs: Any) -> fields.String:
    return fields.String(metadata={"format": "uuid"}, **kwargs)


class Person(Schema):
    id = an_id(required=True)
    name = fields.String(required=True)


class ReviewState(Schema):
    status = fields.String(required=True, validate=one_of(*REVIEW_STATUSES))
    comment = fields.String(required=True, allow_none=True)
    by = fields.Nested(Person, required=True, allow_none=True)
    at = moment(required=True, allow_none=True)


class Meta(Schema):
    quarter_id = an_id(required=True, allow_none=True)
    unit_id = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "format": "uuid",
            "description": "Field data: the unit of its creator when it was created",
        },
    )
    created_at = moment(required=True)
    created_by = fields.Nested(Person, required=True, allow_none=True)
    updated_at = moment(required=True)
    updated_by = fields.Nested(Person, required=True, allow_none=True)
    review = fields.Nested(ReviewState, required=True)
    open_conflicts = fields.Integer(required=True)


class RecordSchema(Schema):
    """A record on the wire (§2); `fields` follows `<collection>_fields`."""

    id = an_id(required=True)
    collection = fields.String(required=True, validate=one_of(*COLLECTION_SCHEMAS))
    rev = fields.Integer(required=True)
    deleted = fields.Boolean(required=True)
    fields_ = fields.Dict(data_key="fields", required=True)
    meta = fields.Nested(Meta, required=True)


class OpResult(Schema):
    op_id = fields.Raw(required=True, allow_none=True)
    status = fields.String(
        required=True, validate=one_of("applied", "merged", "conflict", "rejected")
    )
    id = fields.Raw(required=True, allow_none=True)
    rev = fields.Integer(required=True, allow_none=True)
    record = fields.Nested(RecordSchema, required=True, allow_none=True)
    conflict_id = an_id()
    code = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    replayed = fields.Boolean()


class PushResponse(Schema):
    results = fields.List(fields.Nested(OpResult), required=True)


class Change(Schema):
    op = fields.String(required=True, validate=one_of("upsert", "delete", "evict"))
    collection = fields.String(required=True)
    id = an_id(required=True)
    rev = fields.Integer()
    record = fields.Nested(RecordSchema)


class PullResponse(Schema):
    changes = fields.List(fields.Nested(Change), required=True)
    cursor = fields.String(required=True)
    more = fields.Boolean(required=True)
    remaining = fields.Integer(
        metadata={"description": "About how many changes come after this page"}
    )


class BulkReviewItem(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, validate=one_of("reviewed", "undone", "skipped"))
    reason = fields.String(
        validate=one_of("not_found", "forbidden", "changed_since"),
        metadata={
            "description": "Why a record was skipped: unknown or deleted, outside the "
            "reviewer's neighbourhoods, or reviewed again (or edited) since the bulk review."
        },
    )
    record = fields.Nested(RecordSchema, required=True, allow_none=True)


class BulkReviewResponse(Schema):
    batch_id = fields.String(
        required=True, metadata={"description": "Undo with POST /reviews/{batch_id}/undo."}
    )
    results = fields.List(fields.Nested(BulkReviewItem), required=True)


class RecordList(Schema):
    records = fields.List(fields.Nested(RecordSchema), required=True)
    total = fields.Integer(required=True)


class RevisionSchema(Schema):
    rev = fields.Integer(required=True)
    at = moment(required=True)
    by = fields.Nested(Person, required=True, allow_none=True)
    device_id = fields.String(required=True, allow_none=True)
    kind = fields.String(
        required=True, validate=one_of("create", "edit", "merge", "review", "resolve", "delete")
    )
    changes = fields.Dict(required=True)
    on_behalf_of = fields.Nested(
        Person,
        metadata={"description": "Whose stranded change an admin applied in this revision (§6a)"},
    )
    op_id = an_id(allow_none=True)


class HistoryResponse(Schema):
    record = fields.Nested(RecordSchema, required=True)
    revisions = fields.List(fields.Nested(RevisionSchema), required=True)


class ConflictOp(Schema):
    op_id = an_id(required=True, allow_none=True)
    user = fields.Nested(Person, required=True, allow_none=True)
    device_id = fields.String(required=True, allow_none=True)
    client_time = fields.String(required=True, allow_none=True)
    received_at = moment(required=True)


class ConflictSchema(Schema):
    id = an_id(required=True)
    collection = fields.String(required=True)
    record_id = an_id(required=True)
    quarter_id = an_id(required=True, allow_none=True)
    kind = fields.String(required=True, validate=one_of(*CONFLICT_KINDS))
    fields_ = fields.Dict(data_key="fields", required=True)
    base_rev = fields.Integer(required=True, allow_none=True)
    server_rev = fields.Integer(required=True)
    op = fields.Nested(ConflictOp, required=True)
    status = fields.String(required=True, validate=one_of("open", "resolved"))
    created_at = moment(required=True)
    resolved_by = fields.Nested(Person, required=True, allow_none=True)
    resolved_at = moment(required=True, allow_none=True)
    resolution = fields.Dict(required=True, allow_none=True)


class ConflictList(Schema):
    conflicts = fields.List(fields.Nested(ConflictSchema), required=True)


class EscalationState(Schema):
    op_id = an_id(required=True)
    state = fields.String(required=True, validate=one_of(*ESCALATION_STATES))


class MyOp(EscalationState):
    collection = fields.String(required=True, allow_none=True)
    id = fields.String(required=True, allow_none=True)
    reason = fields.String(allow_none=True)
    at = moment(required=True, allow_none=True)


class MyOps(Schema):
    ops = fields.List(fields.Nested(MyOp), required=True)


class StrandedOp(MyOp):
    """An escalated op beside the record as it is now (`record`, null if there is none)."""

    user = fields.Nested(Person, required=True, allow_none=True)
    device_id = fields.String(required=True, allow_none=True)
    base_rev = fields.Integer(required=True, allow_none=True)
    fields_ = fields.Dict(data_key="fields", required=True, allow_none=True)
    delete = fields.Boolean(required=True)
    code = fields.String(required=True, allow_none=True)
    errors = fields.Dict(required=True)
    received_at = moment(required=True)
    escalated_at = moment(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    record = fields.Nested(RecordSchema, required=True, allow_none=True)
    decided_by = fields.Nested(Person, required=True, allow_none=True)
    decided_at = moment(required=True, allow_none=True)


class StrandedOps(Schema):
    ops = fields.List(fields.Nested(StrandedOp), required=True)


class UserSchema(Schema):
    """A user as the API shows it (dump only)."""

    id = an_id(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True, validate=one_of(*ROLES))
    quarters = fields.List(an_id(), required=True)
    unit_id = an_id(required=True, allow_none=True)
    active = fields.Boolean(required=True)


class UserList(Schema):
    users = fields.List(fields.Nested(UserSchema), required=True)


class LoginResponse(Schema):
    token = fields.String(required=True)
    expires_at = moment(required=True)
    user = fields.Nested(UserSchema, required=True)


class LogoutResponse(Schema):
    status = fields.String(required=True, validate=one_of("signed_out"))


class RevokedResponse(Schema):
    revoked = fields.Integer(required=True)


class DeviceSchema(Schema):
    device_id = fields.String(required=True, allow_none=True)
    device_name = fields.String(required=True, allow_none=True)
    device_label = fields.String(
        required=True,
        metadata={
            "description": "A readable name: `Chrome 131 · Android 14`, read from the "
            "name the device gave (its user agent, or what its browser's client hints say)."
        },
    )
    signed_in_at = moment(required=True)
    last_used_at = moment(required=True)
    last_sync_at = moment(required=True, allow_none=True)
    active = fields.Boolean(required=True)


class DeviceList(Schema):
    devices = fields.List(fields.Nested(DeviceSchema), required=True)


class AuditSubject(Schema):
    collection = fields.String(required=True)
    id = fields.String(required=True)
    label = fields.String(required=True, allow_none=True)


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    at = moment(required=True)
    user = fields.Nested(Person, required=True)
    action = fields.String(required=True, validate=one_of(*AUDIT_ACTIONS))
    target = fields.String(required=True, allow_none=True)
    subject = fields.Nested(AuditSubject, required=True, allow_none=True)
    details = fields.Dict(required=True)


class AuditList(Schema):
    entries = fields.List(fields.Nested(AuditEntrySchema), required=True)
    total = fields.Integer(required=True)


class ClientSettings(Schema):
    map_tiles = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Tile URL template ({z}/{x}/{y}); null: no base layer"},
    )


class Health(Schema):
    status = fields.String(required=True, validate=one_of("ok", "degraded"))
    database = fields.String(required=True, validate=one_of("ok", "read_only", "unreachable"))
    version = fields.String(required=True)
    details = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "When degraded (503): the reason for each failing check"},
    )


login_schema = LoginSchema()
user_schema = UserSchema()

catalogue = make_catalogue()
