"""Demo data for `doorstep seed-demo`: the town's 8 neighbourhoods, the campaign of the seed plan
(launch 12/10/2024, report due 25/10/2024), the units the plan sends out and some of their
concrete deeds, demo users of each role in those units, and realistic households made with
Faker's `vi_VN` locale. Everything goes through the push engine, so demo records have
revisions and history like real ones.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.actor import Actor
from sync.push import push

from .auth import utcnow
from .dates import VN
from .models import User
from .schemas import catalogue
from .users import add_user
from .vocabulary import values

DEMO_PASSWORD = "doorstep2024"
# username, role, neighbourhood codes, display name (None: a Faker name)
DEMO_USERS: list[tuple[str, str, list[str], str | None]] = [
    ("admin", "admin", [], "Văn phòng UBND thị trấn"),
    ("giamsat1", "supervisor", ["KP1", "KP2", "KP3", "KP4"], None),
    ("giamsat2", "supervisor", ["KP5", "KP6", "KP7", "KP8"], None),
    ("canbo1", "field", ["KP1", "KP2"], None),
    ("canbo2", "field", ["KP1", "KP3"], None),
    ("canbo3", "field", ["KP4"], None),
]
# The plan's "ban ngành, đơn vị, đoàn thể" (its wording): name, kind.
UNITS: list[tuple[str, str]] = [
    ("Văn phòng - Thống kê", "department"),
    ("Văn hóa - Xã hội", "department"),
    ("Ủy ban MTTQ Việt Nam thị trấn", "mass_organisation"),
    ("Hội Liên hiệp Phụ nữ thị trấn", "mass_organisation"),
    ("Đoàn Thanh niên thị trấn", "mass_organisation"),
    ("Hội Cựu chiến binh thị trấn", "mass_organisation"),
    ("Hội Nông dân thị trấn", "mass_organisation"),
    ("Trạm Y tế thị trấn", "health_station"),
    ("Công an thị trấn", "police_military"),
    ("Ban Chỉ huy Quân sự thị trấn", "police_military"),
    ("Trường Tiểu học Gia Ray", "school"),
    ("Trường Mầm non Gia Ray", "school"),
]
# Which unit each demo user works for.
DEMO_UNITS: dict[str, str] = {
    "admin": "Văn phòng - Thống kê",
    "giamsat1": "Hội Liên hiệp Phụ nữ thị trấn",
    "giamsat2": "Đoàn Thanh niên thị trấn",
    "canbo1": "Hội Liên hiệp Phụ nữ thị trấn",
    "canbo2": "Đoàn Thanh niên thị trấn",
    "canbo3": "Hội Cựu chiến binh thị trấn",
}
# Some units' "01 việc cụ thể thiết thực": unit, title, where (code), day, status, result,
# people or households helped, value. The other units have none yet (the dashboard lists them).
DEEDS: list[tuple[str, str, str | None, str, str, str | None, int, int]] = [
    (
        "Hội Liên hiệp Phụ nữ thị trấn",
        "Trao quà cho hộ nghèo, cận nghèo và hộ có hoàn cảnh khó khăn",
        "KP2",
        "2024-10-12",
        "done",
        "Trao 20 suất quà, mỗi suất 500.000 đồng.",
        20,
        10_000_000,
    ),
    (
        "Đoàn Thanh niên thị trấn",
        "Ra quân dọn vệ sinh, trồng cây xanh trên tuyến đường khu phố",
        "KP5",
        "2024-10-13",
        "in_progress",
        None,
        0,
        0,
    ),
    (
        "Hội Cựu chiến binh thị trấn",
        "Sửa chữa nhà cho gia đình chính sách",
        "KP4",
        "2024-10-15",
        "done",
        "Sửa mái và nền nhà cho 01 gia đình chính sách.",
        1,
        25_000_000,
    ),
    (
        "Trạm Y tế thị trấn",
        "Khám bệnh, cấp thuốc miễn phí cho người cao tuổi",
        "KP1",
        "2024-10-19",
        "planned",
        None,
        0,
        0,
    ),
]
CAMPAIGN = {
    "name": "Dân vận đợt 2/2024",
    "starts_on": "2024-10-12",
    "ends_on": "2024-10-24",
    "launch_on": "2024-10-12",
    "report_due_on": "2024-10-25",
    "active": True,
}
SPONSORS = (
    "Ủy ban MTTQ Việt Nam thị trấn",
    "Hội Chữ thập đỏ",
    "Doanh nghiệp tư nhân",
    "Nhà hảo tâm",
)
CRITERIA = (
    "Chấp hành tốt chủ trương, chính sách",
    "Gia đình hòa thuận, hạnh phúc",
    "Nhà cửa sạch đẹp, có cây xanh",
    "Tham gia bảo hiểm y tế đầy đủ",
    "Phân loại rác tại nguồn",
)
BATCH = 500
# Roughly where the town lies (Gia Ray, Xuân Lộc); each neighbourhood around its own point.
TOWN_CENTRE = (10.9247, 107.4044)


def person_name(fake: Faker, rng: random.Random) -> str:
    """A Vietnamese full name, family name first (Faker's `name()` sometimes puts it last)."""
    given = fake.first_name_male() if rng.random() < 0.5 else fake.first_name_female()
    return f"{fake.last_name()} {fake.middle_name()} {given}"


class Seeder:
    """Pushes demo records as the demo users would."""

    def __init__(self, session: Session, rng: random.Random, fake: Faker) -> None:
        self.session, self.rng, self.fake = session, rng, fake
        self.now = utcnow()
        self.centres: dict[str, tuple[float, float]] = {}

    def op(self, collection: str, fields: dict[str, Any]) -> dict[str, Any]:
        return {
            "op_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "collection": collection,
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "base_rev": None,
            "fields": fields,
        }

    def push(self, actor: Actor, ops: list[dict[str, Any]]) -> list[str]:
        ids = []
        for start in range(0, len(ops), BATCH):
            results = push(self.session, catalogue, actor, ops[start : start + BATCH], self.now)
            for result in results:
                if result["status"] != "applied":
                    raise RuntimeError(f"demo op not applied: {result}")
                ids.append(result["id"])
        return ids


class NotADemoDatabase(Exception):
    """The database has people of its own: demo data (and `admin`/`doorstep2024`) stay out."""


def seed(
    session: Session, *, households: int = 300, random_seed: int = 2024
) -> dict[str, int] | None:
    """Create the demo data unless it is there already; returns what was made.

    Refuses (`NotADemoDatabase`) a database with users other than the demo's: a real one.
    """
    present = set(session.execute(select(User.username)).scalars())
    strangers = sorted(present - {username for username, *_ in DEMO_USERS})
    if strangers:
        raise NotADemoDatabase(
            f"This database has users that are not the demo's ({', '.join(strangers[:5])}): "
            "seed-demo only runs on a database of its own, never on a real one."
        )
    if "admin" in present:
        return None
    rng = random.Random(random_seed)
    fake = Faker("vi_VN")
    fake.seed_instance(random_seed)
    seeder = Seeder(session, rng, fake)

    users: dict[str, User] = {}
    admin_user = add_user(
        session, "admin", DEMO_PASSWORD, role="admin", display_name=DEMO_USERS[0][3]
    )
    bootstrap = Actor(admin_user.id, "admin", None, "seed-demo")
    # Units and deeds draw their ids from a generator of their own, so the rest of the demo
    # (names, households) stays what it was before there were units.
    unit_seeder = Seeder(session, random.Random(f"{random_seed}-units"), fake)
    unit_ops = [unit_seeder.op("units", {"name": name, "kind": kind}) for name, kind in UNITS]
    unit_ids = dict(zip([n for n, _ in UNITS], unit_seeder.push(bootstrap, unit_ops), strict=True))
    admin_user.unit_id = unit_ids[DEMO_UNITS["admin"]]
    admin = Actor(admin_user.id, "admin", None, "seed-demo", unit_id=admin_user.unit_id)

    quarter_ops = [
        seeder.op("quarters", {"code": f"KP{n}", "name": f"Khu phố {n}"}) for n in range(1, 9)
    ]
    quarter_ids = dict(
        zip([f"KP{n}" for n in range(1, 9)], seeder.push(admin, quarter_ops), strict=True)
    )
    seeder.centres = quarter_centres(list(quarter_ids.values()))
    group_ops = [
        seeder.op(
            "groups",
            {
                "quarter_id": q,
                "name": f"Tổ {g}",
                "model_status": rng.choice(["none", "none", "registered", "achieved"]),
            },
        )
        for q in quarter_ids.values()
        for g in range(1, 5)
    ]
    group_ids = seeder.push(admin, group_ops)
    groups_by_quarter: dict[str, list[str]] = {}
    for op, gid in zip(group_ops, group_ids, strict=True):
        groups_by_quarter.setdefault(op["fields"]["quarter_id"], []).append(gid)
    campaign_id = seeder.push(admin, [seeder.op("campaigns", CAMPAIGN)])[0]

    for username, role, codes, display in DEMO_USERS[1:]:
        user = add_user(
            session,
            username,
            DEMO_PASSWORD,
            role=role,
            display_name=display or person_name(fake, rng),
            quarters=[quarter_ids[c] for c in codes],
            unit_id=unit_ids[DEMO_UNITS[username]],
        )
        users[username] = user
    session.flush()
    _deeds(unit_seeder, admin, users, unit_ids, quarter_ids, campaign_id)

    field_staff = [users[u] for u, role, _, _ in DEMO_USERS if role == "field"]
    codes = list(quarter_ids)
    children = 0
    made = 0
    for staff in [*field_staff, None]:
        # Field staff cover their own neighbourhoods; the admin's office enters the rest.
        if staff is None:
            covered = {q for s in field_staff for q in s.quarters}
            quarters = [quarter_ids[c] for c in codes if quarter_ids[c] not in covered]
            actor = admin
        else:
            quarters = list(staff.quarters)
            actor = Actor(
                staff.id,
                "field",
                frozenset(staff.quarters),
                f"seed-{staff.username}",
                unit_id=staff.unit_id,
            )
        share = max(1, households // (len(field_staff) + 1))
        if staff is None:
            share = households - made
        ops, kids = _households(seeder, quarters, groups_by_quarter, share, campaign_id)
        seeder.push(actor, ops)
        seeder.push(actor, kids)
        made += share
        children += len(kids)
    collective = unit_seeder.op(
        "nominations",
        {
            "quarter_id": quarter_ids["KP2"],
            "nominee": DEMO_UNITS["giamsat1"],
            "nominee_kind": "collective",
            "unit_id": unit_ids[DEMO_UNITS["giamsat1"]],
            "domain": "culture_society",
            "achievement": "Vận động hội viên và nhà hảo tâm chăm lo cho hộ nghèo, cận nghèo; "
            "phối hợp các khu phố phát động hộ dân tham gia bảo hiểm y tế.",
            "campaign_id": campaign_id,
        },
    )
    unit_seeder.push(admin, [collective])
    return {"households": made, "children": children}


def _deeds(
    seeder: Seeder,
    admin: Actor,
    users: dict[str, User],
    unit_ids: dict[str, str],
    quarter_ids: dict[str, str],
    campaign_id: str,
) -> None:
    """The demo deeds: a supervisor records their own unit's, the office the others'."""
    supervisors = {
        user.unit_id: user for user in users.values() if user.role == "supervisor" and user.unit_id
    }
    for unit, title, code, day, status, result, helped, value in DEEDS:
        unit_id = unit_ids[unit]
        op = seeder.op(
            "deeds",
            {
                "unit_id": unit_id,
                "campaign_id": campaign_id,
                "title": title,
                "quarter_id": quarter_ids[code] if code else None,
                "planned_on": day,
                "status": status,
                "result": result,
                "beneficiaries": helped,
                "value_vnd": value,
            },
        )
        writer = supervisors.get(unit_id)
        actor = (
            admin
            if writer is None
            else Actor(writer.id, "supervisor", frozenset(writer.quarters), "seed", unit_id)
        )
        seeder.push(actor, [op])


def quarter_centres(quarter_ids: list[str]) -> dict[str, tuple[float, float]]:
    """A point for each neighbourhood, in a ring about 1 km around the town's centre."""
    return {
        qid: (
            TOWN_CENTRE[0] + 0.009 * math.sin(2 * math.pi * n / len(quarter_ids)),
            TOWN_CENTRE[1] + 0.009 * math.cos(2 * math.pi * n / len(quarter_ids)),
        )
        for n, qid in enumerate(quarter_ids)
    }


def _households(
    seeder: Seeder, quarters: list[str], groups: dict[str, list[str]], count: int, campaign_id: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Household ops and their visits, registrations, support and assessments."""
    rng, fake = seeder.rng, seeder.fake
    start = date(2024, 10, 12)
    ops: list[dict[str, Any]] = []
    kids: list[dict[str, Any]] = []
    for _ in range(count):
        quarter = rng.choice(quarters)
        centre = seeder.centres[quarter]
        categories = rng.sample(values("category"), k=rng.choice([0, 0, 0, 1, 1, 2]))
        household = seeder.op(
            "households",
            {
                "quarter_id": quarter,
                "group_id": rng.choice(groups[quarter]),
                "address": fake.street_address(),
                "head_name": person_name(fake, rng),
                "phone": fake.numerify(rng.choice(["09########", "03########", "08########"]))
                if rng.random() < 0.8
                else None,
                "members_count": rng.randint(1, 7),
                "categories": categories,
                "notes": fake.sentence(nb_words=8) if rng.random() < 0.2 else None,
                # Most households were placed on the map by the phone's GPS.
                "location": {
                    "lat": round(rng.gauss(centre[0], 0.0018), 6),
                    "lon": round(rng.gauss(centre[1], 0.0018), 6),
                    "accuracy_m": float(rng.randint(5, 40)),
                }
                if rng.random() < 0.85
                else None,
            },
        )
        ops.append(household)
        hid = household["id"]
        visits = rng.choice([0, 1, 1, 1, 2, 3])
        if not visits:
            continue  # not reached yet: the campaign's coverage is below 100%
        for _ in range(visits):
            day = start + timedelta(days=rng.randint(0, 12))
            at = datetime.combine(day, time(rng.randint(7, 17), rng.randint(0, 59)), tzinfo=VN)
            kids.append(
                seeder.op(
                    "visits",
                    {
                        "household_id": hid,
                        "visited_at": at.isoformat(),
                        "campaign_id": campaign_id,
                        "purpose": rng.choice(
                            ["outreach", "outreach", "registration", "support", "model_family"]
                        ),
                        "follow_up_needed": rng.random() < 0.15,
                        "notes": fake.sentence(nb_words=10) if rng.random() < 0.3 else None,
                    },
                )
            )
        for kind in values("registration_kind"):
            if rng.random() < 0.45:
                status = rng.choice(
                    ["registered", "registered", "already_enrolled", "considering", "declined"]
                )
                persons = (
                    rng.randint(1, 5)
                    if kind == "health_insurance" and status == "registered"
                    else 0
                )
                kids.append(
                    seeder.op(
                        "registrations",
                        {
                            "household_id": hid,
                            "kind": kind,
                            "status": status,
                            "persons": persons,
                            "registered_on": (
                                start + timedelta(days=rng.randint(0, 12))
                            ).isoformat(),
                            "campaign_id": campaign_id,
                        },
                    )
                )
        if categories and rng.random() < 0.7:
            kids.append(
                seeder.op(
                    "support",
                    {
                        "household_id": hid,
                        "kind": rng.choice(["gift", "cash", "scholarship", "health"]),
                        "value_vnd": rng.choice(
                            [300_000, 500_000, 1_000_000, 1_500_000, 2_000_000]
                        ),
                        "sponsor": rng.choice(SPONSORS),
                        "given_on": (start + timedelta(days=rng.randint(0, 12))).isoformat(),
                        "campaign_id": campaign_id,
                    },
                )
            )
        if rng.random() < 0.2:
            met = rng.sample(CRITERIA, k=rng.randint(2, 5))
            kids.append(
                seeder.op(
                    "assessments",
                    {
                        "household_id": hid,
                        "year": 2024,
                        "criteria_met": met,
                        "result": "model" if len(met) >= 4 else "not_yet",
                    },
                )
            )
    if quarters and rng.random() < 0.9:
        kids.append(
            seeder.op(
                "nominations",
                {
                    "quarter_id": quarters[0],
                    "nominee": person_name(fake, rng),
                    "nominee_kind": "individual",
                    "domain": rng.choice(
                        ["economy", "culture_society", "security_defence", "party_government"]
                    ),
                    "achievement": "Vận động "
                    + str(rng.randint(10, 60))
                    + " hộ dân tham gia bảo hiểm y tế và "
                    "thu gom rác thải sinh hoạt trong đợt ra quân.",
                    "campaign_id": campaign_id,
                },
            )
        )
    return ops, kids
