"""The campaign report (issue 5): figures and exports. Routes are added as the report lands."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__)
