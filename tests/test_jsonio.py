"""A request body read by orjson gives what the careful parser gives (§7), for any body.

`strict_loads` takes orjson's reading only when orjson writes the body back byte for byte;
Hypothesis sends it bodies as encoders write them and as they should not be: keys twice, NaN,
lone surrogates, integers beyond 64 bits, odd numbers, spaces, nesting near every parser's limit.
Whatever it answers, the standard library's parser (`checked_loads`) must answer the same.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server import jsonio
from server.jsonio import JSONError, checked_loads, strict_loads
from sync import ascii_json

# A JSON document whose objects are lists of pairs, so that a key can be given twice.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(["\ud800", "\udc80x", "😀", "\u2028", "\x00\x1f\x7f", '"\\/'])
)
KEYS = st.sampled_from(["a", "b", "op_id", "fields"]) | st.text(max_size=3)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda items: ("list", items))
        | st.lists(st.tuples(KEYS, inner), max_size=3).map(lambda pairs: ("object", pairs))
    ),
    max_leaves=8,
)


def scalar_text(value: Any, style: str) -> str:
    if style == "orjson":
        try:
            return orjson.dumps(value).decode()
        except (TypeError, UnicodeDecodeError):  # beyond orjson: the standard library's way
            pass
    return json.dumps(value, ensure_ascii=style == "ascii")


def write(document: Any, style: str) -> str:
    """The document as text: compact as orjson writes it, or spaced, or ASCII-escaped."""
    comma, colon = (", ", ": ") if style == "spaced" else (",", ":")
    if isinstance(document, tuple) and document[0] == "list":
        return "[" + comma.join(write(item, style) for item in document[1]) + "]"
    if isinstance(document, tuple):
        pairs = (scalar_text(k, style) + colon + write(v, style) for k, v in document[1])
        return "{" + comma.join(pairs) + "}"
    return scalar_text(document, style)


def outcome(parse: Any, body: bytes) -> tuple[str, str]:
    try:
        return "ok", repr(parse(body))  # repr: 1, 1.0 and True differ, and so does key order
    except JSONError as error:
        return "error", str(error)


@settings(max_examples=500, deadline=None)
@given(document=DOCUMENTS, style=st.sampled_from(["orjson", "spaced", "ascii"]))
def test_a_body_reads_the_same_either_way(document: Any, style: str) -> None:
    try:
        body = write(document, style).encode("utf-8", "surrogatepass")
    except UnicodeEncodeError:
        return
    assert outcome(strict_loads, body) == outcome(checked_loads, body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"a":1,"a":2}',
        b'{"ops":[{"op_id":"x","op_id":"y"}]}',
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'["\\ud800"]',
        b'["\\ud83d\\ude00"]',
        b"[1e400]",
        b"[-0]",
        b"[18446744073709551616]",
        b"\xef\xbb\xbf{}",
        b'{"a":"\xff"}',
        b'"\\\\ud800"',
        b"[" * 254 + b"]" * 254,
        b"[" * 255 + b"]" * 255,
        b"[" * 2000 + b"]" * 2000,
    ],
)
def test_bodies_at_the_edges_read_the_same_either_way(body: bytes) -> None:
    assert outcome(strict_loads, body) == outcome(checked_loads, body)


def test_a_body_as_the_app_sends_it_is_read_by_orjson_alone(monkeypatch) -> None:
    """The fast reading is used: a push as `JSON.stringify` writes it needs no second parser."""
    monkeypatch.setattr(jsonio, "checked_loads", lambda data: pytest.fail("parsed twice"))
    body = b'{"device_id":"d1","ops":[{"op_id":"5f0c","fields":{"head_name":"L\xc3\xaa","n":1.5}}]}'
    assert strict_loads(body)["ops"][0]["fields"] == {"head_name": "Lê", "n": 1.5}


# Any text a field can hold, with the non-ASCII runs long and short: Vietnamese letters, astral
# characters (two UTF-16 units), the line separators JavaScript once refused, combining marks.
TEXTS = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"])
    | st.sampled_from(["ễ", "Đ", "😀", "\u2028", "\u0301", "\\", '"'])
)


VALUES = st.recursive(
    st.none() | st.integers(-(2**53), 2**53) | TEXTS,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(TEXTS, kids, max_size=4),
    max_leaves=12,
)


@given(value=VALUES)
def test_a_page_in_ascii_reads_back_as_the_value(value: Any) -> None:
    body = ascii_json.ascii_dumps(value)
    assert body.isascii()
    assert json.loads(body) == value
    # Byte for byte what the standard library writes in ASCII (same escapes, `\\u` in lower
    # case, astral characters as surrogate pairs), but that DEL, which is ASCII, may stay as it
    # is; and a stored JSON text is escaped alike.
    expected = json.dumps(value, separators=(",", ":")).replace("\\u007f", "\x7f")
    assert body.decode().replace("\\u007f", "\x7f") == expected
    text = ascii_json.ascii_text(orjson.dumps(value).decode())
    assert text.isascii() and text.replace("\\u007f", "\x7f") == expected


@given(value=VALUES)
def test_a_stored_text_with_tabs_and_line_ends_between_its_tokens_stays_json(value: Any) -> None:
    # JSON written by another hand (PostgreSQL keeps a `json` value's text as it came).
    spaced = json.dumps(value, ensure_ascii=False, indent="\t").replace("\n", "\r\n")
    text = ascii_json.ascii_text(spaced)
    assert text.isascii() and json.loads(text) == value
    body = ascii_json.ascii_dumps({"fields": orjson.Fragment(spaced), "name": "Lê"})
    assert body.isascii() and json.loads(body) == {"fields": value, "name": "Lê"}


def test_a_long_field_in_another_script_is_escaped_whole() -> None:
    field = 'Тихий переулок \\ "дом" 😀 ' * 300
    text = orjson.dumps({"note": field, "name": "Nguyễn"}).decode()
    escaped = ascii_json.ascii_text(text)
    assert escaped.isascii() and json.loads(escaped) == {"note": field, "name": "Nguyễn"}
    assert '"name":"Nguy\\u1ec5n"' in escaped
    assert ascii_json.ascii_text('{"a":"plain"}') == '{"a":"plain"}'


def test_a_page_orjson_refuses_is_written_by_the_standard_library_or_not_at_all() -> None:
    # An integer beyond 64 bits: the standard library writes it, in ASCII.
    body = ascii_json.ascii_dumps({"n": 2**70, "name": "Lê"})
    assert body.isascii() and json.loads(body) == {"n": 2**70, "name": "Lê"}
    # Stored fields passed through as they are cannot be written by it: refused, never their repr.
    with pytest.raises(TypeError):
        ascii_json.ascii_dumps({"n": 2**70, "fields": orjson.Fragment(b'{"a":1}')})
