"""A fast path in front of marshmallow for the schemas every push op goes through.

`fast_loader(schema)` compiles a schema into one plain Python function that returns exactly what
`schema.load` would return for input it can vouch for, and None for anything else: then the
caller asks marshmallow, which accepts it after all or produces every error. So the fast path can
only ever accept what marshmallow accepts (tests/test_fastload.py checks this on generated input),
and every message a device sees still comes from marshmallow.

The function is written as source once per schema, with every field's checks inlined (as attrs,
cattrs and msgspec build theirs): a field costs a few comparisons instead of a handful of calls
through marshmallow's machinery. marshmallow's own strings, lists, nested schemas, dicts and raw
values, and the usual validators (choices, ranges, lengths), are written here; a field type of
the server's says how its own values are checked (`fast_source`); any other field is handed to
its `_deserialize`, then its validators. A schema with hooks the fast path does not know
(pre-load, field validators, hooks given the original data or many) is never compiled: its loader
always answers None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from marshmallow.utils import missing


class Slow(Exception):
    """The fast path cannot vouch for a value: marshmallow decides."""


# What a compiled loader gives up on, for marshmallow to decide: a value it cannot vouch for, a
# validator's refusal, or a value a shortcut parses and finds wrong (`date.fromisoformat`).
GIVE_UP = (Slow, ValidationError, ValueError)


class Namer(Protocol):
    def __call__(self, value: Any, hint: str = "c") -> str: ...


class Source:
    """The lines of a compiled loader, and the values they refer to by name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {"Slow": Slow, "MISSING": missing, "GIVE_UP": GIVE_UP}
        self.locals = 0
        self.schemas: dict[int, str] = {}

    def name(self, value: Any, hint: str = "c") -> str:
        """A global name the loader's code can use for `value`."""
        key = f"{hint}_{len(self.namespace)}"
        self.namespace[key] = value
        return key

    def local(self) -> str:
        self.locals += 1
        return f"v{self.locals}"


def fast_loader(schema: Schema) -> Callable[[Any], dict[str, Any] | None]:
    """A function giving `schema.load(data)` for data it vouches for, else None."""
    source = Source()
    entry = _schema_function(schema, source, top=True)
    if entry is None:
        return lambda data: None
    text = "\n".join(source.lines)
    exec(compile(text, f"<fast loader of {type(schema).__name__}>", "exec"), source.namespace)
    loader = source.namespace[entry]
    loader.source = text  # for a reader (and a test) wondering what runs
    return loader


def _schema_function(schema: Schema, source: Source, *, top: bool = False) -> str | None:
    """Write a function loading `schema` (raising Slow, or at the top answering None); its name,
    or None when the schema has what the fast path does not know."""
    hooks = schema._hooks
    if any(hooks[name] for name in list(hooks) if name not in ("validates_schema", "post_load")):
        return None
    if schema.many or schema.partial or schema.unknown != RAISE or schema.dict_class is not dict:
        return None
    checks, processors = [], []
    for kind, found in (("validates_schema", checks), ("post_load", processors)):
        for name, many, options in hooks.get(kind, []):
            if many or options.get("pass_original"):
                return None
            found.append(getattr(schema, name))
    body: list[str] = []
    known = []
    for attr_name, field in schema.load_fields.items():
        key = attr_name if field.data_key is None else field.data_key
        target = field.attribute or attr_name
        if "." in target or field.pre_load or field.post_load:
            return None
        convert = _field_lines(field, "value", source, key, "data")
        if convert is None:
            return None
        known.append(key)
        body += _present_lines(field, key, target, convert, source)
    options = "partial=None, many=False, unknown=RAISE_"
    source.namespace["RAISE_"] = RAISE
    for check in checks:
        body.append(f"{source.name(check, 'check')}(out, {options})")
    for process in processors:
        body.append(f"out = {source.name(process, 'process')}(out, {options})")
    body.append("return out")
    name = source.name(None, "load")
    lines = [
        f"def {name}(data):",
        f"    if type(data) is not dict or not {source.name(frozenset(known), 'keys')}"
        ".issuperset(data):",
        "        raise Slow",
        "    out = {}",
        *_indent(body, 1),
    ]
    if top:  # the one entry point: anything it cannot vouch for is None, for marshmallow
        lines = [
            f"def {name}(data):",
            "    try:",
            *_indent(lines[1:], 1),
            "    except GIVE_UP:",
            "        return None",
        ]
    source.lines += lines
    return name


def _present_lines(
    field: fields.Field, key: str, target: str, convert: list[str], source: Source
) -> list[str]:
    """What `Field.deserialize` does with the key: missing (required, or its default), null
    (allowed or not), or a value, converted and validated, stored under its attribute."""
    default = field.load_default
    if field.required:
        when_missing = ["raise Slow"]
    elif default is missing:
        when_missing = ["pass"]
    elif callable(default):
        when_missing = [f"out[{target!r}] = {source.name(default, 'default')}()"]
    else:
        when_missing = [f"out[{target!r}] = {source.name(default, 'default')}"]
    when_none = [f"out[{target!r}] = None"] if field.allow_none else ["raise Slow"]
    head = [f"value = data.get({key!r}, MISSING)"]
    if when_none == when_missing:
        return [
            *head,
            "if value is None or value is MISSING:",
            *_indent(when_none, 1),
            "else:",
            *_indent(convert or ["pass"], 1),
            f"    out[{target!r}] = value",
        ]
    return [
        *head,
        "if value is None:",
        *_indent(when_none, 1),
        "elif value is MISSING:",
        *_indent(when_missing, 1),
        "else:",
        *_indent(convert or ["pass"], 1),
        f"    out[{target!r}] = value",
    ]


def _field_lines(
    field: fields.Field, value: str, source: Source, key: str | None, data: str
) -> list[str] | None:
    """Lines that check the present, non-null `value` of a field and rebind it to its clean
    value (`_deserialize`, then the validators), or raise Slow; None when the field cannot be
    compiled."""
    kind = type(field)
    own = getattr(field, "fast_source", None)
    if own is not None:
        lines = own(value, source.name)
    elif kind is fields.String:
        lines = [f"if type({value}) is not str:", "    raise Slow"]
    elif kind is fields.Raw:
        lines = []
    elif kind is fields.Dict and field.key_field is None and field.value_field is None:
        lines = [f"if type({value}) is not dict:", "    raise Slow", f"{value} = dict({value})"]
    elif kind is fields.List and not (field.inner.pre_load or field.inner.post_load):
        lines = _list_lines(field, value, source)
        if lines is None:
            return None
    elif kind is fields.Nested and not field.many and field.unknown is None and not field.only:
        nested = field.schema
        load = None
        if not nested.exclude and nested.only is None:
            load = _schema_function(nested, source)
        if load is None:
            return None
        lines = [f"{value} = {load}({value})"]
    else:  # any other field: its own conversion
        lines = [f"{value} = {source.name(field, 'field')}._deserialize({value}, {key!r}, {data})"]
    # Every string field's value is a str by now (marshmallow's, and the server's types).
    text = isinstance(field, fields.String) and (own is not None or kind is fields.String)
    for rule in field.validators:
        lines += _validator_lines(field, rule, value, source, text)
    return lines


def _list_lines(field: fields.List, value: str, source: Source) -> list[str] | None:
    inner = field.inner
    item = source.local()
    each = _field_lines(inner, item, source, None, "None")
    if each is None:
        return None
    head = [f"if type({value}) is not list:", "    raise Slow"]
    if not each and inner.allow_none:  # any item will do: a copy, as marshmallow makes
        return [*head, f"{value} = list({value})"]
    items = source.local()
    when_none = ["pass"] if inner.allow_none else ["raise Slow"]
    return [
        *head,
        f"{items} = []",
        f"for {item} in {value}:",
        f"    if {item} is None:",
        *_indent(when_none, 2),
        "    else:",
        *_indent(each or ["pass"], 2),
        f"    {items}.append({item})",
        f"{value} = {items}",
    ]


def _validator_lines(
    field: fields.Field, rule: Callable[[Any], Any], value: str, source: Source, text: bool
) -> list[str]:
    """A validator's check inlined where it is one of marshmallow's usual ones, else a call."""
    kind = type(rule)
    own = getattr(rule, "fast_source", None)
    if own is not None:
        return own(value, source.name)
    if kind is validate.OneOf and all(type(c) is str for c in rule.choices):
        choices = source.name(frozenset(rule.choices), "choices")
        test = f"{value} not in {choices}"
        return [f"if {test if text else f'type({value}) is not str or {test}'}:", "    raise Slow"]
    if kind is validate.Range and isinstance(field, fields.Number):
        tests = []
        if rule.min is not None:
            bound = _constant(rule.min, source)
            tests.append(f"{value} {'<' if rule.min_inclusive else '<='} {bound}")
        if rule.max is not None:
            bound = _constant(rule.max, source)
            tests.append(f"{value} {'>' if rule.max_inclusive else '>='} {bound}")
        return [f"if {' or '.join(tests)}:", "    raise Slow"] if tests else []
    if kind is validate.Length and isinstance(field, fields.String | fields.List):
        if rule.equal is not None:
            tests = [f"len({value}) != {rule.equal!r}"]
        else:
            tests = []
            if rule.min is not None:
                tests.append(f"len({value}) < {rule.min!r}")
            if rule.max is not None:
                tests.append(f"len({value}) > {rule.max!r}")
        return [f"if {' or '.join(tests)}:", "    raise Slow"] if tests else []
    return [f"{source.name(rule, 'rule')}({value})"]


def _constant(value: Any, source: Source) -> str:
    """A bound written into the code: a plain integer as itself, anything else by name."""
    return repr(value) if type(value) is int else source.name(value, "bound")


def _indent(lines: list[str], depth: int) -> list[str]:
    return ["    " * depth + line for line in lines]
