"""Marshmallow schemas: every synced collection's fields (domain.md) and every request body.

Structural only: no database queries here. Values stay in their JSON form (dates as
`YYYY-MM-DD` strings, ids as strings) so that what a device sent is stored as it was sent.
Unknown fields are rejected (marshmallow's default, RAISE).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from sync.catalogue import Catalogue, Validator, build_catalogue
from sync.ids import CANONICAL_UUID


class FullMatch(validate.Regexp):
    """A regular expression the whole value must match (no trailing newline slips through);
    its pattern, with ^ and $, is what the OpenAPI description shows."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


PHONE = re.compile(r"^(?:0[0-9]{9}|\+84[0-9]{9})$")
# PostgreSQL text cannot hold NUL: refuse it as invalid input rather than fail on it (§7).
NO_NUL = FullMatch(r"^[^\x00]*$", error="Contains a NUL character.")


# -- strict field types -------------------------------------------------------------------


class StrictInt(fields.Integer):
    """An integer that is a JSON integer: not a bool, not a string, not 2.5."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBool(fields.Boolean):
    """true or false, nothing truthy."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class StrictFloat(fields.Float):
    """A JSON number (not a string, not a bool)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Text(fields.String):
    """A string with surrounding spaces ignored for the length and required checks."""

    def __init__(self, *, min_len: int = 0, max_len: int | None = None, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=min_len, max=max_len), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Contains a NUL character.")
        return text.strip()


class IsoDate(fields.String):
    """A `YYYY-MM-DD` date, kept as that string."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValidationError("Not a date (YYYY-MM-DD).")
        try:
            date.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError("Not a date (YYYY-MM-DD).") from exc
        return text


class IsoDateTime(fields.String):
    """An ISO 8601 date and time with an offset, kept as sent."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError("Not a date and time (ISO 8601).") from exc
        if moment.tzinfo is None:
            raise ValidationError("The time needs an offset, e.g. +07:00.")
        return text


class Uuid(fields.String):
    """A UUID in its canonical lower-case form."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if CANONICAL_UUID.fullmatch(text):
            return text
        try:
            return str(uuid.UUID(text))
        except ValueError as exc:
            raise ValidationError("Not a valid UUID.") from exc


def one_of(*choices: str) -> validate.OneOf:
    return validate.OneOf(choices, error="Must be one of: {choices}.")


def notes() -> Text:
    return Text(max_len=2000, allow_none=True, load_default=None)


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
    model_status = fields.String(
        load_default="none", validate=one_of("none", "registered", "achieved")
    )


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


CATEGORIES = ("policy_family", "meritorious", "poor", "near_poor", "hardship")


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
    categories = fields.List(fields.String(validate=one_of(*CATEGORIES)), load_default=list)
    location = geo()
    notes = notes()


class VisitSchema(Schema):
    household_id = Uuid(required=True)
    visited_at = IsoDateTime(required=True)
    purpose = fields.String(
        required=True,
        validate=one_of(
            "outreach", "support", "registration", "model_family", "follow_up", "other"
        ),
    )
    campaign_id = optional_uuid()
    follow_up_needed = StrictBool(load_default=False)
    location = geo()
    notes = notes()


class RegistrationSchema(Schema):
    household_id = Uuid(required=True)
    kind = fields.String(
        required=True, validate=one_of("health_insurance", "waste_collection", "clean_water")
    )
    status = fields.String(
        required=True, validate=one_of("registered", "already_enrolled", "considering", "declined")
    )
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
    kind = fields.String(
        required=True, validate=one_of("gift", "cash", "scholarship", "housing", "health", "other")
    )
    value_vnd = StrictInt(required=True, validate=validate.Range(min=0))
    sponsor = Text(max_len=200, allow_none=True, load_default=None)
    given_on = IsoDate(required=True)
    campaign_id = optional_uuid()
    notes = notes()


class AssessmentSchema(Schema):
    household_id = Uuid(required=True)
    year = StrictInt(required=True, validate=validate.Range(2000, 2100))
    criteria_met = fields.List(Text(min_len=1, max_len=200), load_default=list)
    result = fields.String(required=True, validate=one_of("model", "not_yet"))
    notes = notes()


class NominationSchema(Schema):
    quarter_id = Uuid(required=True)
    nominee = Text(min_len=1, max_len=200, required=True)
    nominee_kind = fields.String(required=True, validate=one_of("individual", "collective"))
    domain = fields.String(
        required=True,
        validate=one_of("economy", "culture_society", "security_defence", "party_government"),
    )
    achievement = Text(min_len=1, max_len=4000, required=True)
    campaign_id = optional_uuid()


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
    """Adapt a schema to the engine's `Validator` (clean fields, errors by field)."""

    def check(
        data: Mapping[str, Any], now: datetime
    ) -> tuple[dict[str, Any], dict[str, list[str]]]:
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


def make_catalogue() -> Catalogue:
    """The engine's collection rules with these schemas as validators."""
    return build_catalogue(
        {name: validator_for(name, schema) for name, schema in COLLECTION_SCHEMAS.items()},
        {name: frozenset(schema.fields) for name, schema in COLLECTION_SCHEMAS.items()},
    )


# -- request bodies -----------------------------------------------------------------------


class LoginSchema(Schema):
    username = fields.String(required=True, validate=[validate.Length(min=1, max=64), NO_NUL])
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    device_id = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=100), NO_NUL]
    )
    device_name = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=200), NO_NUL]
    )


class PushSchema(Schema):
    device_id = fields.String(
        load_default=None, allow_none=True, validate=[validate.Length(max=100), NO_NUL]
    )
    # Each op is checked by the engine (§4): one bad op is rejected alone, never the batch.
    ops = fields.List(fields.Raw(allow_none=True), required=True)


class PullArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    cursor = fields.String(load_default=None, validate=validate.Length(max=4000))
    limit = fields.Integer(load_default=500, validate=validate.Range(1, 5000))


class RecordListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    quarter = Uuid(load_default=None)
    review = fields.String(
        load_default=None,
        validate=one_of("pending", "approved", "has_issues", "rejected", "edited"),
    )
    q = fields.String(load_default=None, validate=[validate.Length(max=200), NO_NUL])
    updated_since = fields.AwareDateTime(load_default=None)
    created_by = Uuid(load_default=None)
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))


class ReviewSchema(Schema):
    status = fields.String(required=True, validate=one_of("approved", "has_issues", "rejected"))
    comment = Text(max_len=2000, allow_none=True, load_default=None)

    @validates_schema
    def comment_when_not_approved(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("status") in ("has_issues", "rejected") and not data.get("comment"):
            raise ValidationError("Say what needs fixing.", "comment")


class ConflictListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(load_default=None, validate=one_of("open", "resolved"))


class ResolveSchema(Schema):
    choices = fields.Dict(
        keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict
    )
    deleted = StrictBool(load_default=None, allow_none=True)


ROLES = ("field", "supervisor", "admin")


class UserCreateSchema(Schema):
    username = fields.String(
        required=True,
        validate=[
            validate.Length(min=2, max=64),
            validate.Regexp(r"^[a-zA-Z0-9._-]+$", error="Letters, digits, dot, dash, underscore."),
        ],
    )
    password = fields.String(required=True, validate=validate.Length(min=8, max=200))
    display_name = Text(min_len=1, max_len=100, required=True)
    role = fields.String(required=True, validate=one_of(*ROLES))
    quarters = fields.List(Uuid(), load_default=list)


class UserPatchSchema(Schema):
    display_name = Text(min_len=1, max_len=100)
    role = fields.String(validate=one_of(*ROLES))
    quarters = fields.List(Uuid())
    password = fields.String(validate=validate.Length(min=8, max=200))
    active = StrictBool()


class UserSchema(Schema):
    """A user as the API shows it (dump only)."""

    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    quarters = fields.List(fields.String())
    active = fields.Boolean()


login_schema = LoginSchema()
push_schema = PushSchema()
pull_args = PullArgs()
record_list_args = RecordListArgs()
review_schema = ReviewSchema()
conflict_list_args = ConflictListArgs()
resolve_schema = ResolveSchema()
user_create_schema = UserCreateSchema()
user_patch_schema = UserPatchSchema()
user_schema = UserSchema()

catalogue = make_catalogue()
