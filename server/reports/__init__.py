"""The campaign report and the raw exports.

`figures` counts (in the database), `sections` turns the figures into the document every file
shows, one writer per format lays it out (`csv_writer`, `xlsx_writer`, `pdf_writer`,
`docx_writer`), all through `cells` (no formulas, no illegal characters) and with the words of
`labels`; `raw` streams whole collections; `views` is the blueprint.
"""

from .views import bp

__all__ = ["bp"]
