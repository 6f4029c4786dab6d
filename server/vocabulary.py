"""The campaign's vocabulary: every enum a record or an account carries (visit purposes,
registration kinds and statuses, support kinds, household categories, assessment results,
nomination kinds and domains, review statuses, unit kinds, deed statuses, group model statuses,
the records a photo may be of, roles) and the actions the audit log notes; each one's values in
order and each value's Vietnamese and English label.

They are written once, in `vocabulary.json` beside this module, which the field app's build also
imports (`pwa/src/vocabulary.js`): the server validates against it (`schemas.py`), the report and
the exports print its Vietnamese labels (`reports/`), and the app offers and shows the same values
with the same words. The Vietnamese labels are the report's, which follow the town's plan."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal

Kind = Literal[
    "purpose",
    "category",
    "registration_kind",
    "registration_status",
    "support_kind",
    "assessment_result",
    "nominee_kind",
    "domain",
    "review",
    "unit_kind",
    "deed_status",
    "model_status",
    "photo_of",
    "role",
    "audit_action",
]
Lang = Literal["vi", "en"]

PATH = Path(__file__).with_name("vocabulary.json")


@cache
def vocabulary() -> dict[str, dict[str, dict[str, str]]]:
    """The whole file: kind → value → language → label, in the file's order."""
    return json.loads(PATH.read_text(encoding="utf-8"))


def values(kind: Kind) -> tuple[str, ...]:
    """The values of one enum, in the order forms offer them and reports list them."""
    return tuple(vocabulary()[kind])


def label(kind: Kind, value: str, lang: Lang = "vi") -> str:
    """One value's label; a value the vocabulary does not know (an old record's) as itself."""
    entry = vocabulary()[kind].get(value)
    return entry[lang] if entry else value


def labels(kind: Kind, lang: Lang = "vi") -> dict[str, str]:
    """Value → label of one enum, in order."""
    return {value: entry[lang] for value, entry in vocabulary()[kind].items()}
