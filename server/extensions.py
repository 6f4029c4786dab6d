"""Flask extensions, created unbound and bound in `create_app`."""

from __future__ import annotations

from flask_cors import CORS
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from .models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
cors = CORS()
