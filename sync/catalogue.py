"""The synced collections and the rules the engine applies to each (domain.md "Collections").

Validation itself is the server's (marshmallow schemas); the engine receives it as callables (one
per collection, and one for an op's envelope), so this package needs no web framework.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# Validates a full record's fields; returns (cleaned fields with defaults, errors by field).
Validator = Callable[[Mapping[str, Any], datetime], tuple[dict[str, Any], dict[str, list[str]]]]

# Parses one push op's envelope (rule 2 of §4); returns (the op's keys, cleaned; errors by key).
# The clean op has `op_id`, `collection`, `id`, `base_rev`, `fields` (None on a delete),
# `delete` and `client_time`.
OpParser = Callable[[Mapping[str, Any]], tuple[dict[str, Any], dict[str, list[str]]]]

Scope = Literal["self", "quarter", "household", "global"]

REFERENCE = frozenset({"quarters", "groups", "campaigns", "units"})
CHILDREN = frozenset({"visits", "registrations", "support", "assessments"})
# Field data: what field staff record house by house, reviewed by supervisors and counted per
# neighbourhood and, by its creator's unit, per unit (domain.md "Units and their concrete deeds").
FIELD_DATA = frozenset({"households", *CHILDREN, "nominations"})
# Written by the server alone (a photo's record, when its upload completes): a push is refused.
SERVER_ONLY: frozenset[str] = frozenset()
ADMIN_ONLY = frozenset({"admin"})
FIELD_WRITERS = frozenset({"field", "admin"})
UNIT_WRITERS = frozenset({"supervisor", "admin"})


@dataclass(frozen=True)
class CollectionRule:
    """How one collection is scoped, who writes it, and which fields point at other records."""

    name: str
    scope: Scope
    writers: frozenset[str]
    field_names: frozenset[str]
    validate: Validator
    references: Mapping[str, str] = field(default_factory=dict)
    search_fields: tuple[str, ...] = ()
    date_field: str | None = None
    # Fields no two live records may share (compared without case or diacritics).
    unique: tuple[str, ...] = ()
    # The field naming the unit a record belongs to: writers other than admins may write only
    # their own unit's records (rule 3 of §4).
    unit_field: str | None = None
    # Records created carry their creator's unit at creation (`meta.unit_id`).
    credits_unit: bool = False

    def quarter_of(self, record_id: str, fields: Mapping[str, Any]) -> str | None:
        """The neighbourhood of a record of this collection, when its own fields tell it."""
        if self.scope == "self":
            return record_id
        if self.scope == "quarter":
            value = fields.get("quarter_id")
            return value if isinstance(value, str) else None
        return None


SCOPES: dict[str, Scope] = {
    "quarters": "self",
    "groups": "quarter",
    "campaigns": "global",
    "households": "quarter",
    "visits": "household",
    "registrations": "household",
    "support": "household",
    "assessments": "household",
    "nominations": "quarter",
    "units": "global",
    "deeds": "global",
    # A photo's metadata (the bytes are not in the feed), in the neighbourhood of the household
    # its record is about: devices learn of photos taken on other devices.
    "photos": "household",
}
# Records that belong to a household and follow it to another neighbourhood: its field data
# children, and their photos (which are no field data: never reviewed, never counted).
HOUSEHOLD_SCOPED = frozenset(name for name, scope in SCOPES.items() if scope == "household")

WRITERS: dict[str, frozenset[str]] = {
    **{name: ADMIN_ONLY for name in REFERENCE},
    **{name: FIELD_WRITERS for name in FIELD_DATA},
    "deeds": UNIT_WRITERS,
    "photos": SERVER_ONLY,
}

REFERENCES: dict[str, dict[str, str]] = {
    "groups": {"quarter_id": "quarters"},
    "households": {"quarter_id": "quarters", "group_id": "groups"},
    "visits": {"household_id": "households", "campaign_id": "campaigns"},
    "registrations": {"household_id": "households", "campaign_id": "campaigns"},
    "support": {"household_id": "households", "campaign_id": "campaigns"},
    "assessments": {"household_id": "households"},
    "nominations": {"quarter_id": "quarters", "campaign_id": "campaigns", "unit_id": "units"},
    "deeds": {"unit_id": "units", "campaign_id": "campaigns", "quarter_id": "quarters"},
    "photos": {"household_id": "households"},
}

SEARCH_FIELDS: dict[str, tuple[str, ...]] = {
    "quarters": ("code", "name"),
    "groups": ("name",),
    "campaigns": ("name",),
    "households": ("head_name", "address", "phone"),
    "nominations": ("nominee",),
    "visits": ("notes",),
    "registrations": ("notes",),
    "support": ("sponsor", "notes"),
    "assessments": ("notes",),
    "units": ("name",),
    "deeds": ("title",),
}


UNIQUE_FIELDS: dict[str, tuple[str, ...]] = {"quarters": ("code",), "units": ("name",)}
UNIT_FIELDS: dict[str, str] = {"deeds": "unit_id"}

# The field that dates a record for the campaign report (its first 10 characters).
DATE_FIELDS: dict[str, str] = {
    "visits": "visited_at",
    "registrations": "registered_on",
    "support": "given_on",
}


@dataclass(frozen=True)
class Catalogue:
    """Every collection's rule, by name."""

    rules: Mapping[str, CollectionRule]
    parse_op: OpParser

    def __contains__(self, name: object) -> bool:
        # Anything a device sends may land here, an object or a list included (§7: no 500).
        return isinstance(name, str) and name in self.rules

    def __getitem__(self, name: str) -> CollectionRule:
        return self.rules[name]


def build_catalogue(
    validators: Mapping[str, Validator],
    field_names: Mapping[str, frozenset[str]],
    parse_op: OpParser,
) -> Catalogue:
    """Combine the server's validators and op parser with the engine's rules."""
    rules = {
        name: CollectionRule(
            name=name,
            scope=scope,
            writers=WRITERS[name],
            field_names=field_names[name],
            validate=validators[name],
            references=REFERENCES.get(name, {}),
            search_fields=SEARCH_FIELDS.get(name, ()),
            date_field=DATE_FIELDS.get(name),
            unique=UNIQUE_FIELDS.get(name, ()),
            unit_field=UNIT_FIELDS.get(name),
            credits_unit=name in FIELD_DATA,
        )
        for name, scope in SCOPES.items()
    }
    return Catalogue(rules, parse_op)
