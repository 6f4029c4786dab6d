"""JSON in ASCII for the wire: every non-ASCII character escaped (`"L\\u00ea"` for `"Lê"`).

A browser reads an ASCII body into a string about three times as fast as UTF-8 with a few
non-ASCII characters in it (it then needs two bytes per character for the whole text): a pull
page of 1 MB, about 1 ms against 3 ms in Chromium, on the phone's worker. The engine writes a
pull page's records this way (`state.PageWriter.change`), and the server writes the page's whole
body this way (`server.sync`).

The escaping is the standard library's C encoder of JSON strings in ASCII
(`encode_basestring_ascii`, what `json.dumps` uses), run over the whole JSON text as if it were
one string, and then its escapes of `\\` and `"` undone (`_unquote`): in its output every
backslash of the text is `\\\\`, every quote `\\"` and every non-ASCII character `\\uXXXX`
(astral ones as a surrogate pair), so replacing `\\\\` by `\\` from left to right, then `\\"` by
`"`, gives the text back with only its non-ASCII characters escaped (and DEL as `\\u007f`).
A text with tabs or line ends between its tokens (stored JSON written by another hand: PostgreSQL
keeps a `json` value's text as it came) has those escaped too, and undone token by token.
"""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

import orjson

# What `encode_basestring_ascii` made of a backslash, a quote, or JSON's whitespace other than
# the space (which may stand between tokens, and never raw inside a string).
_ESCAPED = re.compile(r'\\([\\"ntr])')
_UNESCAPED = {"\\": "\\", '"': '"', "n": "\n", "t": "\t", "r": "\r"}


def _unquote(escaped: str, spaced: bool) -> str:
    """The JSON text inside `encode_basestring_ascii`'s quotes, its `\\\\` and `\\"` undone, and
    with `spaced` its escapes of tabs and line ends too (one token at a time, from left to right:
    slower, and only for a text that has them between its tokens)."""
    inner = escaped[1:-1]
    if spaced:
        return _ESCAPED.sub(lambda found: _UNESCAPED[found[1]], inner)
    return inner.replace("\\\\", "\\").replace('\\"', '"')


def _spaced(text: str) -> bool:
    """Whether a JSON text has a tab or a line end (between tokens: a string holds none raw)."""
    return "\n" in text or "\t" in text or "\r" in text


def ascii_text(text: str) -> str:
    """A JSON text in ASCII: the same value, its non-ASCII characters escaped."""
    if text.isascii():
        return text
    return _unquote(encode_basestring_ascii(text), _spaced(text))


def ascii_dumps(value: Any) -> bytes:
    """JSON with every non-ASCII character escaped: the same value, in pure ASCII. Escaping
    costs the server a few milliseconds a MB of household-like records."""
    try:
        body = orjson.dumps(value)
    except TypeError:
        # Integers beyond 64 bits, which the standard library writes (in ASCII by default).
        # Nothing else is turned into text: a stored record's fields (`orjson.Fragment`) cannot
        # be read back here, and a TypeError is better than an answer that is not the record.
        return json.dumps(value, separators=(",", ":")).encode()
    if body.isascii():
        return body
    text = body.decode()
    return _unquote(encode_basestring_ascii(text), _spaced(text)).encode()
