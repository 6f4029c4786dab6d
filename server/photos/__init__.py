"""Photos as evidence of a visit, support given or an assessment.

A phone uploads each photo in chunks (`PUT /photos/<id>` with `Content-Range`), resumable from
the offset the server answers; `store` keeps the bytes on disk (a partial file, renamed to the
photo's own name only once complete and its SHA-256 matches), `images` checks what the bytes are
and makes the thumbnail, `models` is the table of complete photos, and `views` is the blueprint.
A photo is read under the same scope rules as its record (§3).
"""

from .views import bp

__all__ = ["bp"]
