"""One vocabulary (`server/vocabulary.json`): the server's validation, the report's figures, the
exports and the audit log use exactly its values, and every value has a Vietnamese and an English
label. A value that exists on one side only fails here (the app's side:
pwa/test/vocabulary.test.js)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

import pytest
from marshmallow import Schema, fields, validate

from server import schemas
from server.photos import views as photo_views
from server.reports import raw
from server.reports.figures import REVIEW_FILTERS, empty_figures
from server.reports.labels import REVIEW_FILTER_WORDS
from server.reports.sections import support_table
from server.vocabulary import PATH, Kind, label, labels, values, vocabulary

KINDS: tuple[Kind, ...] = get_args(Kind)

# Every enum field of the collections (domain.md) and the vocabulary kind it takes its values from.
COLLECTION_ENUMS: dict[tuple[str, str], Kind] = {
    ("groups", "model_status"): "model_status",
    ("households", "categories"): "category",
    ("visits", "purpose"): "purpose",
    ("registrations", "kind"): "registration_kind",
    ("registrations", "status"): "registration_status",
    ("support", "kind"): "support_kind",
    ("assessments", "result"): "assessment_result",
    ("nominations", "nominee_kind"): "nominee_kind",
    ("nominations", "domain"): "domain",
    ("units", "kind"): "unit_kind",
    ("deeds", "status"): "deed_status",
    ("photos", "record_collection"): "photo_of",
}
# The same enums in the API's other schemas: the review a record carries, filters, users.
API_ENUMS: dict[tuple[type[Schema], str], Kind] = {
    (schemas.ReviewState, "status"): "review",
    (schemas.RecordListArgs, "review"): "review",
    (schemas.UserCreateSchema, "role"): "role",
    (schemas.UserPatchSchema, "role"): "role",
    (photo_views.UploadArgs, "collection"): "photo_of",
    (photo_views.PhotoListArgs, "collection"): "photo_of",
    (photo_views.PhotoSchema, "collection"): "photo_of",
    (schemas.AuditArgs, "action"): "audit_action",
    (schemas.AuditEntrySchema, "action"): "audit_action",
}


def choices(field: fields.Field) -> tuple[str, ...] | None:
    """The values a field (or a list's items) is validated against, if it is an enum."""
    inner = field.inner if isinstance(field, fields.List) else field
    for validator in inner.validators:
        if isinstance(validator, validate.OneOf):
            return tuple(validator.choices)
    return None


def test_the_file_is_what_the_module_reads() -> None:
    assert json.loads(PATH.read_text(encoding="utf-8")) == vocabulary()
    assert set(vocabulary()) == set(KINDS), "the Kind type lists the file's kinds"


@pytest.mark.parametrize("kind", KINDS)
def test_every_value_has_a_vietnamese_and_an_english_label(kind: Kind) -> None:
    assert values(kind), kind
    for value in values(kind):
        assert re.fullmatch(r"[a-z_]+", value), value
        for lang in ("vi", "en"):
            assert label(kind, value, lang).strip(), (kind, value, lang)
    # Two values with one word could not be told apart in a form or a report column.
    for lang in ("vi", "en"):
        words = list(labels(kind, lang).values())
        assert len(set(words)) == len(words), (kind, lang, words)


def test_every_enum_field_of_the_collections_is_in_the_vocabulary() -> None:
    found = {
        (collection, name): choices(field)
        for collection, schema in schemas.COLLECTION_SCHEMAS.items()
        for name, field in schema.fields.items()
        if choices(field) is not None
    }
    assert set(found) == set(COLLECTION_ENUMS), "an enum field not in COLLECTION_ENUMS"
    for key, kind in COLLECTION_ENUMS.items():
        assert found[key] == values(kind), (key, kind)


@pytest.mark.parametrize(("schema", "name"), API_ENUMS)
def test_the_apis_enums_are_the_vocabularys(schema: type[Schema], name: str) -> None:
    assert choices(schema().fields[name]) == values(API_ENUMS[schema, name])


def test_every_action_the_server_audits_is_in_the_vocabulary() -> None:
    """The audit log's filter and its entries take the vocabulary's actions: an action noted in
    the code but missing there would make the log unreadable (and unlabelled in the console)."""
    server = Path(schemas.__file__).parent
    noted: set[str] = set()
    for module in server.rglob("*.py"):
        text = module.read_text(encoding="utf-8")
        noted |= set(re.findall(r'\baudit(?:_together)?\(\s*"([a-z_]+)"', text))
    assert len(noted) >= 15, noted
    assert noted == set(values("audit_action"))


def test_a_reviewer_sets_only_statuses_of_the_vocabulary() -> None:
    given = choices(schemas.ReviewSchema().fields["status"])
    assert given and set(given) < set(values("review"))


def test_the_report_counts_every_value_and_nothing_else() -> None:
    figures = empty_figures()
    assert tuple(figures["registrations"]) == values("registration_kind")
    for kind in values("registration_kind"):
        statuses = [s for s in figures["registrations"][kind] if s != "total"]
        assert tuple(statuses) == values("registration_status")
    support = figures["support"]
    assert tuple(support["by_kind"]) == values("support_kind")
    assert tuple(support["households_by_category"]) == values("category")
    assessments = {k for k in figures["assessments"] if k not in ("count", "households")}
    assert assessments == set(values("assessment_result"))
    nominations = {k for k in figures["nominations"] if k not in ("count", "by_domain")}
    assert nominations == set(values("nominee_kind"))
    assert tuple(figures["nominations"]["by_domain"]) == values("domain")


def test_the_support_table_has_a_column_for_every_category_in_its_words() -> None:
    report = {"quarters": [], "total": empty_figures()}
    titles = [column.title for column in support_table(report).columns]
    for word in labels("category").values():
        assert word in titles


def test_the_review_filters_are_the_statuses_and_all_or_not_rejected() -> None:
    assert set(REVIEW_FILTERS) == {"all", "not_rejected", *values("review")}
    assert set(REVIEW_FILTER_WORDS) == set(REVIEW_FILTERS)


def test_the_exports_label_every_enum_field_with_its_kind() -> None:
    for (collection, name), kind in COLLECTION_ENUMS.items():
        exported = raw.ENUM_IN.get((collection, name), raw.ENUM_OF.get(name))
        assert exported == kind, (collection, name)


def test_no_second_copy_of_the_labels_in_the_server() -> None:
    """A label written again in the server's code (rather than read from the vocabulary) would
    drift from it: the words that only the vocabulary may say are not in any module."""
    own = {
        label("support_kind", "gift"),
        label("purpose", "follow_up"),
        label("purpose", "outreach"),
        label("registration_status", "already_enrolled"),
        label("domain", "culture_society"),
        label("support_kind", "housing"),
    }
    server = Path(schemas.__file__).parent
    for module in server.rglob("*.py"):
        if "migrations" in module.parts:
            continue
        text = module.read_text(encoding="utf-8")
        for word in own:
            assert f'"{word}"' not in text, (module, word)
