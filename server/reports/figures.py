"""The figures of the campaign report (domain.md "The campaign report"), computed in the database.

Every figure comes from a grouped query over `records` (GROUP BY neighbourhood, and kind or status
where the report splits by them), filtering on indexed columns the engine copies out of the fields
(`campaign_id`, `dated_on`) and reading the rest with SQLAlchemy's JSON operators, which render as
`JSON_EXTRACT` on SQLite and `->>` on PostgreSQL. Nothing is loaded row by row, so the
cost is a few scans of the collections involved, whatever the size of the town.

Which records count, for a campaign C with dates `starts_on..ends_on`:

- visits, registrations, support: tagged with C (`campaign_id`), or untagged and dated inside the
  campaign (visits by the local date of `visited_at`, registrations by `registered_on`, support by
  `given_on`). A record tagged with another campaign never counts for C.
- assessments (they carry a year, neither a date nor a campaign): those whose `year` is a year the
  campaign covers. The model-family title is awarded per year, so the year's assessments are the
  ones the report to the district is about.
- nominations (no date of their own): tagged with C, or untagged and created during the campaign.
- deleted records never count; by default rejected ones do not either (`review` filter).
- coverage: households on the register (live and not rejected, whatever the `review` filter) and
  how many of them have a visit that counts.
- per unit: the same visits, new health insurance registrations and support, counted for the unit
  their author belonged to when recording them (`records.unit_id`); records made by someone
  without a unit form a row of their own.
- deeds: every live deed of the campaign (they are town-wide and not reviewed), by unit.

A `date_from`/`date_to` filter narrows the dated records to that period (and assessments to its
years, nominations to their creation date or tag).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Numeric, String, and_, case, cast, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from sync.catalogue import CHILDREN
from sync.models import Record
from sync.text import fold

from ..dates import local_midnight, local_today
from ..vocabulary import values

REGISTRATION_KINDS = values("registration_kind")
REGISTRATION_STATUSES = values("registration_status")
SUPPORT_KINDS = values("support_kind")
CATEGORIES = values("category")
ASSESSMENT_RESULTS = values("assessment_result")
NOMINEE_KINDS = values("nominee_kind")
# The order units are listed in: the town's offices, then the Front and mass organisations, ...
UNIT_KINDS = values("unit_kind")
DOMAINS = values("domain")
# A household's state on the map: flagged wins over visited.
POINT_STATES = ("visited", "not_visited", "flagged")
# What the figures may count: every record but the rejected ones, all, or one review status.
REVIEW_FILTERS = ("not_rejected", "all", *values("review"))


@dataclass(frozen=True)
class Campaign:
    """The campaign a report is about."""

    id: str
    name: str
    starts_on: date
    ends_on: date
    launch_on: date | None
    report_due_on: date | None
    active: bool


@dataclass(frozen=True)
class Quarter:
    """A neighbourhood as the report lists it."""

    id: str | None
    code: str
    name: str


@dataclass(frozen=True)
class Filters:
    """What the reader asked for. `quarters` None = every neighbourhood in scope."""

    date_from: date | None = None
    date_to: date | None = None
    quarters: frozenset[str] | None = None
    review: str = "not_rejected"


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def load_campaign(session: Session, campaign_id: str) -> Campaign | None:
    """The live campaign with this id, or None."""
    row = session.execute(
        select(Record).where(
            Record.collection == "campaigns", Record.id == campaign_id, Record.deleted.is_(False)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    f = row.fields
    starts = _day(f.get("starts_on")) or date.min
    return Campaign(
        id=row.id,
        name=str(f.get("name") or ""),
        starts_on=starts,
        ends_on=_day(f.get("ends_on")) or starts,
        launch_on=_day(f.get("launch_on")),
        report_due_on=_day(f.get("report_due_on")),
        active=bool(f.get("active", True)),
    )


def _natural(code: str) -> tuple[Any, ...]:
    """KP2 before KP10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", code))


def load_quarters(session: Session) -> list[Quarter]:
    """Every live neighbourhood, in natural order of code."""
    rows = session.execute(
        select(Record.id, Record.fields).where(
            Record.collection == "quarters", Record.deleted.is_(False)
        )
    ).all()
    quarters = [
        Quarter(id=r.id, code=str(r.fields.get("code") or ""), name=str(r.fields.get("name") or ""))
        for r in rows
    ]
    return sorted(quarters, key=lambda q: _natural(q.code))


# -- the conditions every query shares -------------------------------------------------------


def _text(record: Any, name: str) -> ColumnElement[Any]:
    return record.fields[name].as_string()


def _review_condition(review: str) -> ColumnElement[bool] | None:
    if review == "all":
        return None
    if review == "not_rejected":
        return Record.review_status != "rejected"
    return Record.review_status == review


class ReportQuery:
    """Builds the WHERE clauses of one report: collection, campaign, period, scope and review."""

    def __init__(self, campaign: Campaign, filters: Filters, scope: frozenset[str] | None) -> None:
        self.campaign = campaign
        self.filters = filters
        # None = every neighbourhood; else the ones the reader may see and asked for.
        quarters = filters.quarters
        if scope is not None:
            quarters = scope if quarters is None else quarters & scope
        self.quarters = quarters

    @property
    def period(self) -> tuple[date, date]:
        """The dates the figures cover: the campaign, narrowed by the filter."""
        return (
            self.filters.date_from or self.campaign.starts_on,
            self.filters.date_to or self.campaign.ends_on,
        )

    def base(self, collection: str) -> list[ColumnElement[bool]]:
        """Live records of the collection, in scope, passing the review filter."""
        where: list[ColumnElement[bool]] = [
            Record.collection == collection,
            Record.deleted.is_(False),
        ]
        if self.quarters is not None:
            where.append(Record.quarter_id.in_(sorted(self.quarters)))
        review = _review_condition(self.filters.review)
        if review is not None:
            where.append(review)
        return where

    def date_of(self, collection: str) -> ColumnElement[Any]:
        """The record's date as `YYYY-MM-DD` text (a visit: the local date of `visited_at`).

        The engine copies it out of the fields into an indexed column (`dated_on`).
        """
        return Record.dated_on

    def _tagged(self) -> ColumnElement[bool]:
        return Record.campaign_id == self.campaign.id

    def _untagged(self) -> ColumnElement[bool]:
        return Record.campaign_id.is_(None)

    def register(self, household: Any) -> list[ColumnElement[bool]]:
        """The households on the register (`household` is an alias of records): live, not
        rejected, in scope; neither the period nor the review filter applies."""
        where: list[ColumnElement[bool]] = [
            household.collection == "households",
            household.deleted.is_(False),
            household.review_status != "rejected",
        ]
        if self.quarters is not None:
            where.append(household.quarter_id.in_(sorted(self.quarters)))
        return where

    def dated(self, collection: str) -> list[ColumnElement[bool]]:
        """Visits, registrations, support: tagged with the campaign or dated inside it."""
        day = self.date_of(collection)
        c = self.campaign
        inside = and_(self._untagged(), day.between(c.starts_on.isoformat(), c.ends_on.isoformat()))
        where = [*self.base(collection), or_(self._tagged(), inside)]
        if self.filters.date_from:
            where.append(day >= self.filters.date_from.isoformat())
        if self.filters.date_to:
            where.append(day <= self.filters.date_to.isoformat())
        return where

    def assessments(self) -> list[ColumnElement[bool]]:
        """Assessments of a year the campaign (narrowed by the period) covers."""
        first = (self.filters.date_from or self.campaign.starts_on).year
        last = (self.filters.date_to or self.campaign.ends_on).year
        year = Record.fields["year"].as_integer()
        return [*self.base("assessments"), year.between(first, last)]

    def nominations(self) -> list[ColumnElement[bool]]:
        """Nominations tagged with the campaign, or untagged and created during it."""
        c = self.campaign
        created = and_(
            Record.created_at >= local_midnight(c.starts_on),
            Record.created_at < local_midnight(c.ends_on, next_day=True),
        )
        where = [*self.base("nominations"), or_(self._tagged(), and_(self._untagged(), created))]
        if self.filters.date_from:
            where.append(Record.created_at >= local_midnight(self.filters.date_from))
        if self.filters.date_to:
            where.append(Record.created_at < local_midnight(self.filters.date_to, next_day=True))
        return where


# -- the figures ---------------------------------------------------------------------------


def empty_figures() -> dict[str, Any]:
    """The figures of one neighbourhood with nothing counted yet: every leaf an integer."""
    return {
        "coverage": {"visited": 0, "households": 0},
        "visits": {"households": 0, "visits": 0, "follow_up": 0, "follow_up_households": 0},
        "registrations": {
            kind: {
                **{status: {"households": 0, "persons": 0} for status in REGISTRATION_STATUSES},
                "total": {"households": 0, "persons": 0},
            }
            for kind in REGISTRATION_KINDS
        },
        "health_insurance_persons": 0,
        "support": {
            "count": 0,
            "value_vnd": 0,
            "households": 0,
            "by_kind": {kind: {"count": 0, "value_vnd": 0} for kind in SUPPORT_KINDS},
            "households_by_category": dict.fromkeys(CATEGORIES, 0),
        },
        "assessments": {
            "count": 0,
            "households": 0,
            **dict.fromkeys(ASSESSMENT_RESULTS, 0),
        },
        "nominations": {
            "count": 0,
            **dict.fromkeys(NOMINEE_KINDS, 0),
            "by_domain": dict.fromkeys(DOMAINS, 0),
        },
    }


def _add(total: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _add(total[key], value)
        else:
            total[key] += value


def money_sum(session: Session, name: str) -> ColumnElement[Any]:
    """The sum of a money field that cannot overflow, whatever is stored: PostgreSQL adds
    NUMERIC (exact, unbounded; a plain cast would be `int4`); SQLite's `total()` adds floats,
    exact up to 2^53 đồng and never failing, where its integer `sum()` stops at 2^63."""
    if session.get_bind().dialect.name == "sqlite":
        return func.total(Record.fields[name].as_integer())
    return func.sum(cast(Record.fields[name].as_string(), Numeric))


Figures = dict[str | None, dict[str, Any]]


def count_coverage(session: Session, query: ReportQuery, figures: Figures) -> None:
    """Households on the register (live, not rejected, whatever the review filter) and how many
    of them were visited in the campaign (a visit that counts, as `count_visits` counts)."""
    household = aliased(Record)
    visited = select(Record.household_id).where(*query.dated("visits"))
    for q, households, seen in session.execute(
        select(
            household.quarter_id,
            func.count(),
            func.sum(case((household.id.in_(visited), 1), else_=0)),
        )
        .where(*query.register(household))
        .group_by(household.quarter_id)
    ):
        figures[q]["coverage"].update(households=households, visited=int(seen or 0))


def count_visits(session: Session, query: ReportQuery, figures: Figures) -> None:
    """Visits: distinct households, visits, and those still needing a follow-up."""
    follow = Record.fields["follow_up_needed"].as_boolean().is_(True)
    for q, households, visits, follow_up, follow_households in session.execute(
        select(
            Record.quarter_id,
            func.count(distinct(Record.household_id)),
            func.count(),
            func.sum(case((follow, 1), else_=0)),
            func.count(distinct(case((follow, Record.household_id)))),
        )
        .where(*query.dated("visits"))
        .group_by(Record.quarter_id)
    ):
        figures[q]["visits"].update(
            households=households,
            visits=visits,
            follow_up=int(follow_up or 0),
            follow_up_households=follow_households,
        )


def count_registrations(session: Session, query: ReportQuery, figures: Figures) -> None:
    """Registrations by kind and status: households and persons."""
    kind, status = _text(Record, "kind"), _text(Record, "status")
    persons = func.coalesce(Record.fields["persons"].as_integer(), 0)
    for q, k, s, count, people in session.execute(
        select(Record.quarter_id, kind, status, func.count(), func.sum(persons))
        .where(*query.dated("registrations"))
        .group_by(Record.quarter_id, kind, status)
    ):
        regs = figures[q]["registrations"]
        if k not in regs or s not in REGISTRATION_STATUSES:
            continue
        cell = {"households": count, "persons": int(people or 0)}
        _add(regs[k][s], cell)
        _add(regs[k]["total"], cell)
        if k == "health_insurance" and s == "registered":
            figures[q]["health_insurance_persons"] += cell["persons"]


def count_support(session: Session, query: ReportQuery, figures: Figures) -> None:
    """Support by kind: count and value."""
    kind = _text(Record, "kind")
    for q, k, count, vnd in session.execute(
        select(Record.quarter_id, kind, func.count(), money_sum(session, "value_vnd"))
        .where(*query.dated("support"))
        .group_by(Record.quarter_id, kind)
    ):
        sup = figures[q]["support"]
        vnd = int(vnd or 0)
        sup["count"] += count
        sup["value_vnd"] += vnd
        if k in sup["by_kind"]:
            _add(sup["by_kind"][k], {"count": count, "value_vnd": vnd})


def count_supported_households(session: Session, query: ReportQuery, figures: Figures) -> None:
    """Supported households, and how many of them are in each category.

    `categories` is a JSON list of enum words; its JSON text contains `"poor"` exactly when the
    list does (the quotes keep `"near_poor"` from matching), which reads the same on SQLite and
    PostgreSQL."""
    household = aliased(Record)
    categories = cast(household.fields["categories"], String)
    in_category = [
        func.count(distinct(case((categories.like(f'%"{name}"%'), Record.household_id))))
        for name in CATEGORIES
    ]
    for q, households, *by_category in session.execute(
        select(Record.quarter_id, func.count(distinct(Record.household_id)), *in_category)
        .select_from(Record)
        .outerjoin(
            household,
            and_(household.collection == "households", household.id == Record.household_id),
        )
        .where(*query.dated("support"))
        .group_by(Record.quarter_id)
    ):
        sup = figures[q]["support"]
        sup["households"] = households
        sup["households_by_category"] = dict(zip(CATEGORIES, by_category, strict=True))


def count_assessments(session: Session, query: ReportQuery, figures: Figures) -> None:
    """Model-family assessments and their results."""
    result = _text(Record, "result")
    for q, r, count, households in session.execute(
        select(Record.quarter_id, result, func.count(), func.count(distinct(Record.household_id)))
        .where(*query.assessments())
        .group_by(Record.quarter_id, result)
    ):
        a = figures[q]["assessments"]
        a["count"] += count
        a["households"] += households
        if r in ASSESSMENT_RESULTS:
            a[r] += count


def count_nominations(session: Session, query: ReportQuery, figures: Figures) -> None:
    """Nominations ("Dân vận khéo"), by kind of nominee and by domain."""
    nominee_kind, domain = _text(Record, "nominee_kind"), _text(Record, "domain")
    for q, nk, d, count in session.execute(
        select(Record.quarter_id, nominee_kind, domain, func.count())
        .where(*query.nominations())
        .group_by(Record.quarter_id, nominee_kind, domain)
    ):
        n = figures[q]["nominations"]
        n["count"] += count
        if nk in NOMINEE_KINDS:
            n[nk] += count
        if d in DOMAINS:
            n["by_domain"][d] += count


# Each fills its part of `empty_figures` per neighbourhood (one or two GROUP BY queries each).
COUNTS = (
    count_coverage,
    count_visits,
    count_registrations,
    count_support,
    count_supported_households,
    count_assessments,
    count_nominations,
)


def compute_figures(session: Session, query: ReportQuery) -> Figures:
    """Figures per neighbourhood id."""
    figures: Figures = defaultdict(empty_figures)
    for count in COUNTS:
        count(session, query, figures)
    return figures


def coverage_share(figures: dict[str, Any]) -> float | None:
    """Households visited / households on the register (None when the register is empty)."""
    coverage = figures["coverage"]
    return coverage["visited"] / coverage["households"] if coverage["households"] else None


def daily_visits(session: Session, query: ReportQuery) -> list[dict[str, Any]]:
    """Visits and distinct households per day of the period, days without visits included."""
    day = query.date_of("visits")
    counted = {
        d: (visits, households)
        for d, visits, households in session.execute(
            select(day, func.count(), func.count(distinct(Record.household_id)))
            .where(*query.dated("visits"))
            .group_by(day)
        )
    }
    start, end = query.period
    # Tagged visits may fall outside the campaign's dates: widen the axis to show them.
    known = sorted(d for d in counted if _day(d))
    if known:
        start = min(start, date.fromisoformat(known[0]))
        end = max(end, date.fromisoformat(known[-1]))
    days = []
    cumulative = 0
    current = start
    while current <= end and len(days) < 1000:
        visits, households = counted.get(current.isoformat(), (0, 0))
        cumulative += visits
        days.append(
            {
                "date": current.isoformat(),
                "visits": visits,
                "households": households,
                "cumulative_visits": cumulative,
            }
        )
        if current == date.max:
            break
        current += timedelta(days=1)
    return days


def nominees(session: Session, query: ReportQuery, limit: int = 500) -> list[dict[str, Any]]:
    """The people and collectives proposed for commendation, by neighbourhood then name."""
    rows = session.execute(
        select(Record.quarter_id, Record.fields)
        .where(*query.nominations())
        .order_by(Record.quarter_id, Record.created_at)
        .limit(limit)
    ).all()
    return [
        {
            "quarter_id": r.quarter_id,
            "nominee": r.fields.get("nominee"),
            "nominee_kind": r.fields.get("nominee_kind"),
            "domain": r.fields.get("domain"),
            "achievement": r.fields.get("achievement"),
        }
        for r in rows
    ]


@dataclass(frozen=True)
class Unit:
    """A unit as the report lists it (a deleted one still names the work it did)."""

    id: str
    name: str
    kind: str | None
    active: bool
    deleted: bool


def load_units(session: Session) -> list[Unit]:
    """Every unit, deleted ones too, in the report's order: by kind, then by name."""
    rows = session.execute(
        select(Record.id, Record.fields, Record.deleted).where(Record.collection == "units")
    ).all()
    units = [
        Unit(
            id=r.id,
            name=str(r.fields.get("name") or ""),
            kind=r.fields.get("kind"),
            active=r.fields.get("active") is not False,
            deleted=bool(r.deleted),
        )
        for r in rows
    ]
    rank = {kind: n for n, kind in enumerate(UNIT_KINDS)}
    return sorted(units, key=lambda u: (rank.get(u.kind or "", len(rank)), fold(u.name), u.id))


def empty_unit_figures() -> dict[str, Any]:
    """One unit's figures with nothing counted yet."""
    return {
        "visits": {"households": 0, "visits": 0},
        "health_insurance": {"households": 0, "persons": 0},
        "support": {"count": 0, "value_vnd": 0},
    }


def unit_figures(session: Session, query: ReportQuery) -> dict[str | None, dict[str, Any]]:
    """Per unit (of the author when recording): households visited and visits, new health
    insurance registrations and the people they cover, support given and its value."""
    figures: dict[str | None, dict[str, Any]] = defaultdict(empty_unit_figures)
    for unit, households, visits in session.execute(
        select(Record.unit_id, func.count(distinct(Record.household_id)), func.count())
        .where(*query.dated("visits"))
        .group_by(Record.unit_id)
    ):
        figures[unit]["visits"].update(households=households, visits=visits)
    insured = and_(
        _text(Record, "kind") == "health_insurance", _text(Record, "status") == "registered"
    )
    persons = func.coalesce(Record.fields["persons"].as_integer(), 0)
    for unit, count, people in session.execute(
        select(Record.unit_id, func.count(), func.sum(persons))
        .where(*query.dated("registrations"), insured)
        .group_by(Record.unit_id)
    ):
        figures[unit]["health_insurance"].update(households=count, persons=int(people or 0))
    for unit, count, vnd in session.execute(
        select(Record.unit_id, func.count(), money_sum(session, "value_vnd"))
        .where(*query.dated("support"))
        .group_by(Record.unit_id)
    ):
        figures[unit]["support"].update(count=count, value_vnd=int(vnd or 0))
    return figures


def campaign_deeds(session: Session, campaign: Campaign) -> list[dict[str, Any]]:
    """The live deeds of the campaign, with their fields as stored."""
    rows = session.execute(
        select(Record.id, Record.fields)
        .where(
            Record.collection == "deeds",
            Record.deleted.is_(False),
            Record.campaign_id == campaign.id,
        )
        .order_by(Record.created_at, Record.id)
    ).all()
    return [{"id": r.id, **r.fields} for r in rows]


def units_section(
    session: Session, query: ReportQuery, quarter_names: dict[str | None, str]
) -> dict[str, Any]:
    """The report's units: figures per unit, each unit's deeds, and the units with none yet.

    A unit is listed when it is active, or did work that counts, or has a deed in the campaign.
    """
    figures = unit_figures(session, query)
    deeds = campaign_deeds(session, query.campaign)
    units = load_units(session)
    names = {u.id: u.name for u in units}
    with_deed = {d.get("unit_id") for d in deeds}
    listed = [
        u for u in units if (u.active and not u.deleted) or u.id in figures or u.id in with_deed
    ]
    rows = [
        {"id": u.id, "name": u.name, "kind": u.kind, **(figures.get(u.id) or empty_unit_figures())}
        for u in listed
    ]
    rows += [
        {"id": uid, "name": uid, "kind": None, **unit}
        for uid, unit in figures.items()
        if uid is not None and uid not in names
    ]
    if None in figures:
        rows.append({"id": None, "name": NO_UNIT, "kind": None, **figures[None]})
    order = {u.id: n for n, u in enumerate(listed)}
    deeds.sort(key=lambda d: (order.get(d.get("unit_id"), len(order)), str(d.get("planned_on"))))
    return {
        "units": rows,
        "deeds": [
            {
                "id": d["id"],
                "unit_id": d.get("unit_id"),
                "unit": names.get(d.get("unit_id"), ""),
                "title": d.get("title"),
                "description": d.get("description"),
                "quarter_id": d.get("quarter_id"),
                "quarter": quarter_names.get(d.get("quarter_id"), ""),
                "planned_on": d.get("planned_on"),
                "status": d.get("status"),
                "result": d.get("result"),
                "beneficiaries": d.get("beneficiaries") or 0,
                "value_vnd": d.get("value_vnd") or 0,
            }
            for d in deeds
        ],
        "units_without_deed": [
            {"id": u.id, "name": u.name}
            for u in listed
            if u.active and not u.deleted and u.id not in with_deed
        ],
    }


# Records made by someone who belonged to no unit.
NO_UNIT = "Chưa xác định đơn vị"


def household_points(
    session: Session, campaign: Campaign, filters: Filters, scope: frozenset[str] | None
) -> tuple[list[dict[str, Any]], int]:
    """The households on the register with a location, each `visited` (a visit that counts, as
    for coverage), `not_visited`, or `flagged` (it or one of its live records is flagged
    `has_issues` and awaits field staff); and how many households have no location."""
    query = ReportQuery(campaign, filters, scope)
    household = aliased(Record)
    visited = select(Record.household_id).where(*query.dated("visits"))
    flagged_children = select(Record.household_id).where(
        Record.collection.in_(sorted(CHILDREN)),
        Record.deleted.is_(False),
        Record.review_status == "has_issues",
    )
    rows = session.execute(
        select(
            household.id,
            household.quarter_id,
            household.fields,
            (household.review_status == "has_issues") | household.id.in_(flagged_children),
            household.id.in_(visited),
        )
        .where(*query.register(household))
        .order_by(household.id)
    )
    points, without = [], 0
    for record_id, quarter_id, fields, flagged, was_visited in rows:
        location = fields.get("location")
        if not isinstance(location, dict):
            without += 1
            continue
        state = "flagged" if flagged else "visited" if was_visited else "not_visited"
        points.append(
            {
                "id": record_id,
                "quarter_id": quarter_id,
                "head_name": str(fields.get("head_name") or ""),
                "address": str(fields.get("address") or ""),
                "lat": location.get("lat"),
                "lon": location.get("lon"),
                "state": state,
            }
        )
    return points, without


def vn_today() -> date:
    """Today in Vietnam."""
    return local_today()


def build_report(
    session: Session,
    campaign: Campaign,
    filters: Filters,
    scope: frozenset[str] | None,
    *,
    today: date | None = None,
) -> dict[str, Any]:
    """The whole report as JSON: campaign and its calendar, figures per neighbourhood and total,
    visits per day, the nominees, figures per unit and the units' deeds."""
    query = ReportQuery(campaign, filters, scope)
    by_quarter = compute_figures(session, query)
    known = load_quarters(session)
    listed = [q for q in known if query.quarters is None or q.id in query.quarters]
    listed_ids = {q.id for q in listed}
    # Figures of a neighbourhood that no longer exists still count, under its id.
    listed += [
        Quarter(id=qid, code="?", name=qid or "?") for qid in by_quarter if qid not in listed_ids
    ]
    total = empty_figures()
    rows = []
    for quarter in listed:
        figures = by_quarter.get(quarter.id) or empty_figures()
        _add(total, figures)
        rows.append({"id": quarter.id, "code": quarter.code, "name": quarter.name, **figures})
    start, end = query.period
    today = today or vn_today()
    names = {q.id: q.name for q in listed}
    people = nominees(session, query)
    for person in people:
        person["quarter"] = names.get(person["quarter_id"], "")
    # Deeds happen anywhere in town: name their place from every neighbourhood.
    everywhere = {q.id: q.name for q in known}
    return {
        "campaign": campaign_to_wire(campaign, today),
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "filters": {
            "date_from": filters.date_from.isoformat() if filters.date_from else None,
            "date_to": filters.date_to.isoformat() if filters.date_to else None,
            "quarters": sorted(query.quarters) if query.quarters is not None else None,
            "review": filters.review,
        },
        "quarters": rows,
        "total": total,
        "daily_visits": daily_visits(session, query),
        "nominees": people,
        **units_section(session, query, everywhere),
    }


def campaign_to_wire(campaign: Campaign, today: date) -> dict[str, Any]:
    """The campaign with its calendar: days in it, days gone, days left until the report is due."""
    days_total = (campaign.ends_on - campaign.starts_on).days + 1
    elapsed = min(max((today - campaign.starts_on).days + 1, 0), days_total)
    due = campaign.report_due_on
    return {
        "id": campaign.id,
        "name": campaign.name,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "launch_on": campaign.launch_on.isoformat() if campaign.launch_on else None,
        "report_due_on": due.isoformat() if due else None,
        "active": campaign.active,
        "today": today.isoformat(),
        "days_total": days_total,
        "days_elapsed": elapsed,
        # Negative once the due date has passed.
        "days_left": (due - today).days if due else None,
    }


def figure_paths(figures: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, int]]:
    """Every leaf of a figures dict as (`dotted.path`, value)."""
    for key, value in figures.items():
        if isinstance(value, dict):
            yield from figure_paths(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
