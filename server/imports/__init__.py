"""The household register from a spreadsheet: an admin's XLSX or CSV file becomes households.

`reading` turns the file into a header and rows of cells (or a 4xx for a file that is not one),
`preview` is a pure function from those rows and the register as it stands to what would happen
to each row, `apply` turns a preview into push ops and hands them to the engine, `files` writes the
template and the errors workbook, and `views` is the blueprint. Nothing is kept between requests:
the file is sent again to apply it, and the same file and register always give the same preview,
whose digest ties the apply to what the admin saw.
"""

from .views import bp

__all__ = ["bp"]
