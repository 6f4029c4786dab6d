"""The three-way merge of §4 as a pure function: a table of cases, then its invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.merge import FieldConflict, changed_fields, create_conflicts, merge

BASE = {"address": "12 Hùng Vương", "head_name": "Nguyễn Văn A", "phone": None, "members_count": 3}

# Every case merges a patch made against BASE into a server state:
# (server, patch, expected merged fields, expected applied, expected conflicting fields)
MERGE_CASES = [
    pytest.param(
        BASE,
        {"phone": "0912345678"},
        {**BASE, "phone": "0912345678"},
        {"phone": "0912345678"},
        {},
        id="client-changes-a-field-the-server-left-alone",
    ),
    pytest.param(
        {**BASE, "address": "14 Hùng Vương"},
        {"phone": "0912345678"},
        {**BASE, "address": "14 Hùng Vương", "phone": "0912345678"},
        {"phone": "0912345678"},
        {},
        id="different-fields-changed-on-each-side-merge",
    ),
    pytest.param(
        {**BASE, "address": "14 Hùng Vương"},
        {"address": "12 Hùng Vương"},
        {**BASE, "address": "14 Hùng Vương"},
        {},
        {},
        id="client-sends-base-value-keeps-server-change",
    ),
    pytest.param(
        {**BASE, "phone": "0912345678"},
        {"phone": "0912345678"},
        {**BASE, "phone": "0912345678"},
        {},
        {},
        id="equal-changes-on-both-sides-are-not-a-conflict",
    ),
    pytest.param(
        {**BASE, "phone": "0987654321"},
        {"phone": "0912345678"},
        {**BASE, "phone": "0987654321"},
        {},
        {"phone": FieldConflict(None, "0987654321", "0912345678")},
        id="same-field-changed-to-different-values-conflicts-keeping-server",
    ),
    pytest.param(
        {**BASE, "phone": "0987654321", "members_count": 4},
        {"phone": "0912345678", "address": "20 Lê Lợi"},
        {**BASE, "phone": "0987654321", "members_count": 4, "address": "20 Lê Lợi"},
        {"address": "20 Lê Lợi"},
        {"phone": FieldConflict(None, "0987654321", "0912345678")},
        id="partial-merge-applies-the-non-conflicting-fields",
    ),
    pytest.param(
        {**BASE, "phone": "0987654321"},
        {"phone": None},
        {**BASE, "phone": "0987654321"},
        {},
        {},
        id="client-sends-null-equal-to-base-keeps-server-value",
    ),
    pytest.param(
        {**BASE, "members_count": 5},
        {"members_count": None},
        {**BASE, "members_count": 5},
        {},
        {"members_count": FieldConflict(3, 5, None)},
        id="client-clears-a-field-the-server-changed-conflicts",
    ),
    pytest.param(
        BASE,
        {"notes": "Gia đình khó khăn"},
        {**BASE, "notes": "Gia đình khó khăn"},
        {"notes": "Gia đình khó khăn"},
        {},
        id="field-absent-from-base-and-server-is-taken",
    ),
    pytest.param(
        {**BASE, "categories": ["poor", "policy_family"]},
        {"categories": ["poor", "meritorious"]},
        {**BASE, "categories": ["poor", "policy_family"]},
        {},
        {"categories": FieldConflict(None, ["poor", "policy_family"], ["poor", "meritorious"])},
        id="a-list-field-is-one-value",
    ),
    pytest.param(
        BASE,
        {},
        BASE,
        {},
        {},
        id="empty-patch-is-a-no-op",
    ),
]


@pytest.mark.parametrize(
    ("server", "patch", "merged", "applied", "conflicts"),
    MERGE_CASES,
)
def test_three_way_merge(server, patch, merged, applied, conflicts):
    result = merge(BASE, server, patch)
    assert result.fields == merged
    assert result.applied == applied
    assert result.conflicts == conflicts
    assert result.changed == bool(applied)


def test_conflict_records_all_three_sides():
    result = merge({"phone": "0900000001"}, {"phone": "0900000002"}, {"phone": "0900000003"})
    conflict = result.conflicts["phone"]
    assert (conflict.base, conflict.server, conflict.client) == (
        "0900000001",
        "0900000002",
        "0900000003",
    )


def test_merge_does_not_mutate_its_inputs():
    base, server, patch = dict(BASE), {**BASE, "phone": "0987654321"}, {"address": "1 Lê Lợi"}
    snapshot = (dict(base), dict(server), dict(patch))
    merge(base, server, patch)
    assert (base, server, patch) == snapshot


@pytest.mark.parametrize(
    ("existing", "sent", "conflicting"),
    [
        pytest.param(BASE, dict(BASE), {}, id="same-content-no-conflict"),
        pytest.param(
            BASE,
            {**BASE, "phone": "0912345678"},
            {"phone": FieldConflict(None, None, "0912345678")},
            id="differing-field-conflicts-with-no-base",
        ),
        pytest.param(
            BASE,
            {"address": "1 Lê Lợi", "notes": "mới"},
            {
                "address": FieldConflict(None, "12 Hùng Vương", "1 Lê Lợi"),
                "notes": FieldConflict(None, None, "mới"),
            },
            id="every-differing-sent-field",
        ),
    ],
)
def test_create_of_existing_record_conflicts_on_every_differing_field(existing, sent, conflicting):
    assert create_conflicts(existing, sent) == conflicting


def test_history_changes_list_from_and_to():
    assert changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {
        "b": {"from": 2, "to": 3},
        "c": {"from": None, "to": 4},
    }


# -- properties ----------------------------------------------------------------------------

NAMES = st.sampled_from(["address", "head_name", "phone", "members_count", "categories", "notes"])
VALUES = st.one_of(
    st.none(),
    st.sampled_from(["a", "b", "c", 0, 1, 2, True, False, ["poor"], ["poor", "near_poor"]]),
    st.dictionaries(st.sampled_from(["lat", "lon"]), st.integers(-2, 2), max_size=2),
)
RECORDS = st.dictionaries(NAMES, VALUES, max_size=6)


@st.composite
def histories(draw):
    """A base, a server state derived from it, and a client patch made against the base."""
    base = draw(RECORDS)
    server = {**base, **draw(RECORDS)}
    patch = draw(RECORDS)
    return base, server, patch


@given(histories())
def test_nothing_the_client_sent_vanishes_without_a_conflict(history):
    base, server, patch = history
    result = merge(base, server, patch)
    for name, value in patch.items():
        if name in result.conflicts:
            conflict = result.conflicts[name]
            assert conflict.client == value
            assert conflict.server == server.get(name)
            assert conflict.base == base.get(name)
            assert result.fields.get(name) == server.get(name), "a conflict keeps the server value"
        elif name in result.applied:
            assert result.fields[name] == value
        else:
            # Not taken: only because the server already has it or the client did not change it.
            assert value in (server.get(name), base.get(name))


@given(histories())
def test_fields_the_client_did_not_send_keep_the_server_value(history):
    base, server, patch = history
    result = merge(base, server, patch)
    for name, value in server.items():
        if name not in patch:
            assert result.fields[name] == value
    assert set(result.fields) <= set(server) | set(patch)


@given(histories())
def test_merge_is_deterministic(history):
    base, server, patch = history
    first = merge(base, server, patch)
    again = merge(dict(base), dict(server), dict(reversed(list(patch.items()))))
    assert first == again
    assert list(first.conflicts) == list(again.conflicts)


@given(histories(), st.data())
def test_unchanged_patch_is_a_no_op(history, data):
    base, server, _ = history
    names = data.draw(st.lists(NAMES, unique=True))
    unchanged = {name: base.get(name) for name in names}
    result = merge(base, server, unchanged)
    assert result.applied == {}
    assert result.conflicts == {}
    assert result.fields == server
    assert not result.changed


@given(RECORDS, RECORDS)
def test_no_concurrent_change_applies_the_whole_patch(base, patch):
    result = merge(base, dict(base), patch)
    assert result.conflicts == {}
    expected = {**base, **patch}
    # An absent field reads as null, as on the wire.
    for name in set(expected) | set(result.fields):
        assert result.fields.get(name) == expected.get(name)
