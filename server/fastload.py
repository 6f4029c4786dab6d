"""A fast path in front of marshmallow for the schemas every push op goes through.

`fast_loader(schema)` compiles a schema into a plain function that returns exactly what
`schema.load` would return for input it can vouch for, and None for anything else: then the
caller asks marshmallow, which accepts it after all or produces every error. So the fast path can
only ever accept what marshmallow accepts (tests/test_fastload.py checks this on generated input),
and every message a device sees still comes from marshmallow.

A string among choices, a list, a nested schema or a plain dict is checked inline; any other
field (the server's strict types among them) is handed to its own `_deserialize`, then its
validators. A schema with hooks the fast path does not know
(pre-load, field validators, hooks given the original data or many) is never compiled: its loader
always answers None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from marshmallow.utils import missing

Loader = Callable[[Any], Any]


class Slow(Exception):
    """The fast path cannot vouch for a value: marshmallow decides."""


def fast_loader(schema: Schema) -> Callable[[Any], dict[str, Any] | None]:
    """A function giving `schema.load(data)` for data it vouches for, else None."""
    load = _compile_schema(schema)
    if load is None:
        return lambda data: None

    def fast(data: Any) -> dict[str, Any] | None:
        try:
            return load(data)
        except (Slow, ValidationError):
            return None

    return fast


def _compile_schema(schema: Schema) -> Loader | None:
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
    plan = []
    for attr_name, field in schema.load_fields.items():
        key = attr_name if field.data_key is None else field.data_key
        target = field.attribute or attr_name
        if "." in target or field.pre_load or field.post_load:
            return None
        plan.append((key, target, field, _compile_field(field, key)))
    known = frozenset(key for key, *_ in plan)
    options = {"partial": schema.partial, "many": False, "unknown": RAISE}

    def load(data: Any) -> dict[str, Any]:
        if type(data) is not dict or not known.issuperset(data):
            raise Slow
        out: dict[str, Any] = {}
        for key, target, field, convert in plan:
            value = data.get(key, missing)
            if value is missing:
                if field.required:
                    raise Slow
                default = field.load_default
                if default is missing:
                    continue
                out[target] = default() if callable(default) else default
            elif value is None:
                if not field.allow_none:
                    raise Slow
                out[target] = None
            else:
                out[target] = convert(value, data)
        for check in checks:
            check(out, **options)
        for process in processors:
            out = process(out, **options)
        return out

    return load


def _compile_field(field: fields.Field, key: str) -> Callable[[Any, Any], Any]:
    """A converter for a present, non-null value of the field: its clean value; raises Slow or
    ValidationError for a value it cannot vouch for."""
    kind = type(field)
    validators = list(field.validators)
    choices: frozenset[str] | None = None
    only = validators[0] if len(validators) == 1 else None
    if type(only) is validate.OneOf and all(type(c) is str for c in only.choices):
        choices = frozenset(only.choices)
        validators = []

    def validated(value: Any) -> Any:
        if choices is not None and (type(value) is not str or value not in choices):
            raise Slow
        for validator in validators:
            validator(value)
        return value

    if kind is fields.String:
        return lambda value, data: validated(_string(value))
    if kind is fields.List and not (field.inner.pre_load or field.inner.post_load):
        inner = field.inner
        each = _compile_field(inner, key)

        def convert_list(value: Any, data: Any) -> list[Any]:
            if type(value) is not list:
                raise Slow
            out = []
            for item in value:
                if item is None:
                    if not inner.allow_none:
                        raise Slow
                    out.append(None)
                else:
                    out.append(each(item, data))
            return validated(out)

        return convert_list
    if kind is fields.Nested and not field.many and field.unknown is None and not field.only:
        nested = field.schema
        load = None if nested.exclude or nested.only is not None else _compile_schema(nested)
        if load is not None:
            return lambda value, data: validated(load(value))
    if kind is fields.Dict and field.key_field is None and field.value_field is None:
        return lambda value, data: validated(_dict(value))

    # Any other field: its own conversion, then its validators (what `Field.deserialize`
    # does with a value that is present and not null).
    def convert(value: Any, data: Any) -> Any:
        return validated(field._deserialize(value, key, data))

    return convert


def _string(value: Any) -> str:
    if type(value) is not str:
        raise Slow
    return value


def _dict(value: Any) -> dict[Any, Any]:
    if type(value) is not dict:
        raise Slow
    return dict(value)
