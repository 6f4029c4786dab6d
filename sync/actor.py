"""Who is acting on the engine: the signed-in user as the engine sees them (§3)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who is pushing: the user, their role and neighbourhoods (None = all), their device,
    and the unit they belong to (None = none)."""

    user_id: str
    role: str
    quarters: frozenset[str] | None
    device_id: str | None = None
    unit_id: str | None = None

    def may_write_in(self, quarter_id: str | None) -> bool:
        """True when this user may write a record of that neighbourhood (§3)."""
        if self.quarters is None:
            return True
        return quarter_id is not None and quarter_id in self.quarters

    def may_write_for(self, unit_id: str | None) -> bool:
        """True when this user may write a record of that unit: admins any, others their own."""
        return self.role == "admin" or (self.unit_id is not None and unit_id == self.unit_id)
