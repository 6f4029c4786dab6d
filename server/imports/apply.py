"""Applying a previewed register: the rows become push ops (§4) that the engine applies as the
admin, in batches of the push limit, all in the caller's one transaction.

Each op's id, and each new household's id, is derived from the file's digest and the row (UUID
version 5): applying the same file again can never add a household twice. A row already applied is
answered as a replay (§4 rule 1) and counted as such. Any op the engine does not apply (the
register changed under the preview) fails the whole apply: the caller rolls back, so a file is
never half applied.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sync.actor import Actor
from sync.catalogue import Catalogue
from sync.push import push

from .preview import Preview, RowPlan

# Fixed for good: the ids an import makes depend on it.
NAMESPACE = uuid.UUID("5b0f7c2e-1c84-4d3a-9d0e-6f1a2c3b4d5e")
BATCH = 1000  # what one push may hold (§4)


def derived_id(file_digest: str, row: int, what: str) -> str:
    """The id of one thing an import of this file makes for this row."""
    return str(uuid.uuid5(NAMESPACE, f"{file_digest}:{row}:{what}"))


@dataclass
class Outcome:
    """What an apply did, counted by row."""

    added: int = 0
    updated: int = 0
    already_imported: int = 0
    skipped: int = 0
    unchanged: int = 0
    errors: int = 0


class ApplyFailed(Exception):
    """Some op was not applied: nothing of the file is kept (the caller rolls back)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__("import not applied")
        self.rows = rows


def ops_for(result: Preview, update: bool) -> list[tuple[RowPlan, dict[str, Any]]]:
    """The push op of each row that changes something: a create for a new household, an edit
    (at the revision the preview saw) of a match that differs, when the admin chose update."""
    ops: list[tuple[RowPlan, dict[str, Any]]] = []
    for plan in result.rows:
        if plan.action == "add":
            op = {
                "op_id": derived_id(result.file_digest, plan.row, "create"),
                "collection": "households",
                "id": derived_id(result.file_digest, plan.row, "household"),
                "base_rev": None,
                "fields": plan.fields,
            }
        elif plan.action == "match" and update and plan.changes and plan.household:
            op = {
                "op_id": derived_id(
                    result.file_digest,
                    plan.row,
                    f"update:{plan.household.id}:{plan.household.rev}",
                ),
                "collection": "households",
                "id": plan.household.id,
                "base_rev": plan.household.rev,
                "fields": {name: change["to"] for name, change in plan.changes.items()},
            }
        else:
            continue
        ops.append((plan, op))
    return ops


def apply_preview(
    session: Session,
    catalogue: Catalogue,
    actor: Actor,
    result: Preview,
    *,
    update: bool,
    now: datetime,
) -> Outcome:
    """Push the preview's ops through the engine; the caller commits, or rolls back on
    `ApplyFailed`."""
    outcome = Outcome(
        errors=result.count("error"),
        unchanged=sum(1 for r in result.rows if r.action == "match" and not r.changes),
        skipped=0 if update else result.changed,
    )
    planned = ops_for(result, update)
    failed: list[dict[str, Any]] = []
    for start in range(0, len(planned), BATCH):
        batch = planned[start : start + BATCH]
        answers = push(session, catalogue, actor, [op for _, op in batch], now)
        for (plan, op), answer in zip(batch, answers, strict=True):
            status = answer["status"]
            if status not in ("applied", "merged"):
                failed.append(
                    {
                        "row": plan.row,
                        "status": status,
                        "code": answer.get("code"),
                        "errors": answer.get("errors") or {},
                    }
                )
            elif answer.get("replayed"):
                outcome.already_imported += 1
            elif op["base_rev"] is None:
                outcome.added += 1
            else:
                outcome.updated += 1
    if failed:
        raise ApplyFailed(failed)
    return outcome
