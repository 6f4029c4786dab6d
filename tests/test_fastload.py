"""The fast path in front of marshmallow accepts only what marshmallow accepts.

For every collection's schema, the op envelope and every request body a view declares,
Hypothesis builds objects from values near each field's edges (choices and near misses, range
and length bounds, UUIDs in both cases, dates, text with spaces, control characters and other
unprintable ones, wrong types, nulls, missing and unknown keys). Whenever the fast path vouches
for one, marshmallow must accept it too and give the very same result, byte for byte once stored
as JSON; when it does not, marshmallow decides (and gives every error).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from types import FunctionType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

from server import account, admin, auth, conflicts, ops, records, sync
from server.fastload import fast_loader
from server.schemas import (
    COLLECTION_SCHEMAS,
    IsoDate,
    IsoDateTime,
    StrictFloat,
    Text,
    Uuid,
    op_schema,
)


def request_bodies() -> dict[str, Schema]:
    """Every request body a view declares (`endpoint(body=...)`): each is read by its fast path."""
    bodies = {}
    for module in (account, admin, auth, conflicts, ops, records, sync):
        for view in vars(module).values():
            # type(), not isinstance: a module's `g` or `db` is a proxy, unusable outside an app.
            if type(view) is not FunctionType:
                continue
            declared = getattr(view, "declaration", None)
            if declared is not None and declared.body is not None:
                bodies[type(declared.body).__name__] = declared.body
    return bodies


SCHEMAS = {**COLLECTION_SCHEMAS, "op": op_schema, **request_bodies()}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
UUIDS = st.uuids().map(str)
UUID_LIKE = (
    UUIDS | UUIDS.map(str.upper) | UUIDS.map(lambda u: u + "\n") | UUIDS.map(lambda u: u[1:])
)
DATES = st.sampled_from(
    [
        "2024-10-12",
        "1999-12-31",
        "2000-01-01",
        "2100-12-31",
        "2101-01-01",
        "2024-02-30",
        "2100-02-29",
        "2024-13-01",
        "2024-1-1",
        "2024-10-12\n",
        "२०२४-10-12",
        "20241012",
    ]
) | st.dates().map(str)
DATETIMES = st.sampled_from(
    [
        "2024-10-12T08:30:00+07:00",
        "2024-10-12T08:30:00.123Z",
        "2024-10-12 08:30:00+07:00",
        "2024-10-12T08:30:00",
        "1970-01-01T00:00:00Z",
        "2024-10-12T25:30:00Z",
        "2024-10-12T08:30:60Z",
        "2024-10-12T08:30:00+24:00",
        "2024-10-12T08:30:00.5-03:30",
        "2100-12-31T23:59:59Z",
        "2101-01-01T00:00:00Z",
        "2024-10-12T08:30:00z",
        "2024-10-12T08:30:00+0700",
        "2024-W41-6T08:30:00+07:00",
    ]
)
WORDS = st.sampled_from(
    ["", " ", "  Nguyễn Văn An  ", "Khu phố 1", "a\tb\nc", "bad\x00", "x" * 201, "0912345678"]
)
# Text that is not printable yet has no control character the server refuses, and some that has.
UNPRINTABLE = st.sampled_from(
    ["a\x7fb", "\x85", "x\u2028y", "\u200b", "\xa0 Lan \xa0", "\r\n", "\x1f", "a\x0bb", "\udc80"]
)


def near(field: fields.Field) -> st.SearchStrategy[Any]:
    """Values near what the field accepts, and some it does not."""
    options: list[st.SearchStrategy[Any]] = [JSON, st.none()]
    for rule in field.validators:
        if isinstance(rule, validate.OneOf):
            options.append(st.sampled_from(list(rule.choices)))
            options.append(st.sampled_from([c.upper() for c in rule.choices if isinstance(c, str)]))
        if isinstance(rule, validate.Range):
            edges = [b for b in (rule.min, rule.max) if b is not None]
            options.append(st.sampled_from([e + d for e in edges for d in (-1, 0, 1)]))
            options.append(st.sampled_from([float(e) for e in edges]))
        if isinstance(rule, validate.Length):
            edges = [b for b in (rule.min, rule.max, rule.equal) if b is not None]
            options.append(
                st.sampled_from(["x" * max(e + d, 0) for e in edges for d in (-1, 0, 1)])
            )
    if isinstance(field, Text):
        edges = [e for e in (field.min_len, field.max_len) if e is not None]
        sizes = [max(e + d, 0) for e in edges for d in (-1, 0, 1)]
        options.append(st.sampled_from([pad + "x" * n for n in sizes for pad in ("", " ")]))
        options.append(UNPRINTABLE)
    if isinstance(field, Uuid):
        options.append(UUID_LIKE)
    elif isinstance(field, IsoDateTime):
        options.append(DATETIMES)
    elif isinstance(field, IsoDate):
        options.append(DATES)
    elif isinstance(field, Text | fields.String):
        options.append(WORDS | st.text(max_size=12))
    elif isinstance(field, fields.Integer):
        options.append(st.integers(-3, 60) | st.booleans())
    elif isinstance(field, fields.Float):
        big = [2**53 - 1, 2**53, 2**53 + 1, -(2**53) - 1, 2**1024, 1e400, -1e400]
        options.append(st.floats(-200, 200) | st.integers(-200, 200) | st.sampled_from(big))
    elif isinstance(field, fields.Boolean):
        options.append(st.booleans() | st.sampled_from([0, 1, "true"]))
    elif isinstance(field, fields.List):
        options.append(st.lists(near(field.inner), max_size=3))
    elif isinstance(field, fields.Nested):
        options.append(objects(field.schema))
    elif isinstance(field, fields.Dict):
        options.append(st.dictionaries(st.text(max_size=5), JSON, max_size=3))
    return st.one_of(options)


def valid(field: fields.Field) -> st.SearchStrategy[Any]:
    """Values the field (alone) most likely accepts."""
    for rule in field.validators:
        if isinstance(rule, validate.OneOf):
            return st.sampled_from(list(rule.choices))
        if isinstance(rule, validate.Range) and isinstance(field, fields.Integer):
            return st.integers(rule.min, rule.max)
        if isinstance(rule, validate.Range) and isinstance(field, fields.Float):
            return st.floats(rule.min, rule.max) | st.integers(int(rule.min or 0), 80)
        if isinstance(rule, validate.Regexp):
            return st.from_regex(rule.regex, fullmatch=True)
    if isinstance(field, Uuid):
        return UUIDS | UUIDS.map(str.upper)
    if isinstance(field, IsoDateTime):
        return st.datetimes(datetime(2000, 1, 1), datetime(2100, 12, 30)).map(
            lambda d: d.replace(microsecond=0).isoformat() + "+07:00"
        )
    if isinstance(field, IsoDate):
        return st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(str)
    if isinstance(field, Text):
        letters = st.characters(blacklist_categories=("Cc", "Cs"))
        return st.text(letters, min_size=1, max_size=min(field.max_len or 20, 20)) | WORDS
    if isinstance(field, fields.Integer):
        return st.integers(-5, 5)
    if isinstance(field, fields.Boolean):
        return st.booleans()
    if isinstance(field, fields.List):
        return st.lists(valid(field.inner), max_size=3)
    if isinstance(field, fields.Nested):
        return objects(field.schema)
    if isinstance(field, fields.Dict):
        return st.dictionaries(st.text(max_size=5), JSON, max_size=3)
    return JSON


def objects(schema: Schema) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly valid objects of the schema, then a few changes: a key dropped, a value near an
    edge or of another type, an unknown key."""
    keys = {(field.data_key or name): field for name, field in schema.load_fields.items()}
    base = st.fixed_dictionaries(
        {key: valid(field) for key, field in keys.items() if field.required},
        optional={key: valid(field) for key, field in keys.items() if not field.required},
    )
    changes = [st.tuples(st.just("set"), st.sampled_from(["extra", "rev"]), JSON)]
    if keys:  # a schema of no fields (`{}` or nothing) can only be sent something unknown
        changes += [
            st.tuples(st.just("drop"), st.sampled_from(sorted(keys)), st.none()),
            st.sampled_from(sorted(keys)).flatmap(
                lambda key: st.tuples(st.just("set"), st.just(key), near(keys[key]))
            ),
        ]
    change = st.one_of(changes)

    def changed(pair: tuple[dict[str, Any], list[tuple[str, str, Any]]]) -> dict[str, Any]:
        value, changes = pair
        for what, key, new in changes:
            if what == "drop":
                value.pop(key, None)
            else:
                value[key] = new
        return value

    return st.tuples(base, st.lists(change, max_size=2)).map(changed)


def settled(schema: Schema, data: Any) -> Any:
    try:
        return schema.load(data)
    except ValidationError:
        return None


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fast_path_accepts_only_what_marshmallow_accepts(name: str, data: st.DataObject) -> None:
    schema = SCHEMAS[name]
    value = data.draw(objects(schema))
    fast = fast_loader(schema)(value)
    if fast is not None:
        slow = settled(schema, value)
        assert slow is not None, f"the fast path took what marshmallow refuses: {value!r}"
        assert json.dumps(fast) == json.dumps(slow)  # same keys, order, values and types


def distinct_fields() -> dict[str, fields.Field]:
    """Every field of the schemas above, nested schemas' included, once per distinct kind
    (`notes` is the same field in five collections), by the path of its first use."""
    found: dict[tuple[Any, ...], str] = {}
    fields_by_path: dict[str, fields.Field] = {}

    def walk(schema: Schema, prefix: str) -> None:
        for name, field in schema.load_fields.items():
            own = {
                k: repr(v) for k, v in vars(field).items() if k not in ("parent", "name", "root")
            }
            signature = (type(field), repr(sorted(own.items())))
            if signature not in found:
                found[signature] = f"{prefix}.{name}"
                fields_by_path[f"{prefix}.{name}"] = field
            if isinstance(field, fields.Nested):
                walk(field.schema, f"{prefix}.{name}")

    for name, schema in SCHEMAS.items():
        walk(schema, name)
    return fields_by_path


FIELDS = distinct_fields()


@pytest.mark.parametrize("path", sorted(FIELDS))
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_each_field_alone_gives_what_marshmallow_gives(path: str, data: st.DataObject) -> None:
    """One field in a schema of its own, sent a value near its edges or a valid one, or none:
    every field's inlined checks get the examples to themselves."""
    field = FIELDS[path]
    schema = Schema.from_dict({"value": field})()
    key = field.data_key or "value"
    value = data.draw(st.one_of(near(field), valid(field), st.just(MISSING)))
    sent = {} if value is MISSING else {key: value}
    fast = fast_loader(schema)(sent)
    if fast is not None:
        slow = settled(schema, sent)
        assert slow is not None, f"the fast path took what marshmallow refuses: {sent!r}"
        assert json.dumps(fast) == json.dumps(slow)


MISSING = object()


def test_every_request_body_of_the_app_is_among_those_checked(app) -> None:
    declared = {
        type(view.declaration.body).__name__
        for view in app.view_functions.values()
        if getattr(view, "declaration", None) is not None and view.declaration.body is not None
    }
    assert declared == set(request_bodies())


@given(value=JSON)
@settings(max_examples=200, deadline=None)
def test_fast_path_accepts_no_op_that_is_not_an_object_of_known_keys(value: Any) -> None:
    fast = fast_loader(op_schema)(value)
    assert fast is None or settled(op_schema, value) == fast


def test_a_household_pushed_by_the_app_takes_the_fast_path() -> None:
    """The fast path is used: a typical op and household from the app need no marshmallow."""
    quarter = str(uuid.uuid4())
    household = {
        "quarter_id": quarter.upper(),
        "address": " 12 Hùng Vương, Khu phố 1 ",
        "head_name": "Nguyễn Thị Lan",
        "phone": "0912345678",
        "members_count": 4,
        "categories": ["poor", "policy_family"],
        "location": {"lat": 10.9, "lon": 107, "accuracy_m": None},
    }
    op = {
        "op_id": str(uuid.uuid4()),
        "collection": "households",
        "id": str(uuid.uuid4()),
        "base_rev": None,
        "fields": household,
        "client_time": "2024-10-12T08:30:00+07:00",
    }
    assert fast_loader(op_schema)(op) == op_schema.load(op)
    clean = fast_loader(COLLECTION_SCHEMAS["households"])(household)
    assert clean == COLLECTION_SCHEMAS["households"].load(household)
    assert clean["quarter_id"] == quarter and clean["address"] == "12 Hùng Vương, Khu phố 1"
    assert clean["location"] == {"lat": 10.9, "lon": 107.0, "accuracy_m": None}
    assert clean["notes"] is None and clean["group_id"] is None


def test_a_bad_op_still_gets_every_marshmallow_error() -> None:
    from server.schemas import parse_op

    clean, errors = parse_op({"op_id": "x", "collection": "nope", "id": None, "delete": 1})
    assert clean == {}
    assert set(errors) == {"op_id", "collection", "id", "delete"}


# The field types' own shortcuts (`_deserialize`) skip marshmallow's path (`checked`) for values
# that path would accept: for any value, both give the same result or the shortcut defers.
FIELD_VALUES = (
    st.text()
    | WORDS
    | UUID_LIKE
    | st.sampled_from(["", "\x0b", " a ", "\n", "\u00a0x\u00a0", "x" * 200, "x" * 201])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers()
    | st.booleans()
    | st.none()
    | st.binary(max_size=8)
)
SHORTCUT_FIELDS = [
    Text(),
    Text(min_len=1),
    Text(min_len=1, max_len=200),
    Text(max_len=3),
    Uuid(),
    StrictFloat(),
]


def outcome(load: Any, value: Any) -> tuple[str, Any]:
    try:
        result = load(value, None, None)
    except ValidationError as error:
        return "error", error.messages
    return "ok", (type(result), result)


@pytest.mark.parametrize(
    "field",
    SHORTCUT_FIELDS,
    ids=lambda f: f"{type(f).__name__}-{getattr(f, 'min_len', '')}-{getattr(f, 'max_len', '')}",
)
@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=FIELD_VALUES)
def test_field_shortcuts_give_what_marshmallow_gives(field: fields.Field, value: Any) -> None:
    assert outcome(field._deserialize, value) == outcome(field.checked, value)
