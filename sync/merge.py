"""The three-way merge of sync-protocol §4, as one pure function.

`base` is the record as the device last saw it (at `base_rev`), `server` is the record as it
stands now, `patch` holds only the fields the device changed. A field is *changed by the client*
when `patch[f] != base[f]`, *changed by the server* when `server[f] != base[f]`, and
*conflicting* when both changed it to different values. Equal changes on both sides merge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MISSING: Any = None  # an absent field compares as null, as on the wire


@dataclass(frozen=True)
class FieldConflict:
    """One field both sides changed to different values."""

    base: Any
    server: Any
    client: Any


@dataclass(frozen=True)
class MergeResult:
    """What applying a patch on top of the server's state yields.

    `fields` is the merged record (conflicting fields keep the server's value), `applied` the
    client changes that were taken, `conflicts` the fields an admin must decide.
    """

    fields: dict[str, Any]
    applied: dict[str, Any] = field(default_factory=dict)
    conflicts: dict[str, FieldConflict] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when the merged record differs from the server's record."""
        return bool(self.applied)


def merge(
    base: Mapping[str, Any], server: Mapping[str, Any], patch: Mapping[str, Any]
) -> MergeResult:
    """Merge `patch` (made against `base`) into `server` (§4 three-way merge)."""
    merged = dict(server)
    applied: dict[str, Any] = {}
    conflicts: dict[str, FieldConflict] = {}
    for name in sorted(patch):
        client_value = patch[name]
        base_value = base.get(name, MISSING)
        server_value = server.get(name, MISSING)
        if client_value in (base_value, server_value):
            # Not changed by the client, or both sides agree: nothing to take.
            continue
        if server_value != base_value:
            conflicts[name] = FieldConflict(base_value, server_value, client_value)
            continue
        merged[name] = client_value
        applied[name] = client_value
    return MergeResult(fields=merged, applied=applied, conflicts=conflicts)


def create_conflicts(
    existing: Mapping[str, Any], sent: Mapping[str, Any]
) -> dict[str, FieldConflict]:
    """§4 "create, R already exists": every sent field that differs is a conflict (no base)."""
    return {
        name: FieldConflict(None, existing.get(name, MISSING), value)
        for name, value in sorted(sent.items())
        if existing.get(name, MISSING) != value
    }


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """The history entry `{"field": {"from", "to"}}` between two states of a record."""
    names = sorted(set(before) | set(after))
    return {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in names
        if before.get(name) != after.get(name)
    }
