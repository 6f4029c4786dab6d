"""Doorstep's sync engine: op log, revisions, three-way merge, conflicts, change feed.

No web framework here: functions take a SQLAlchemy session and plain values. The protocol they
implement is `shared/spec/sync-protocol.md`; comments cite its sections.
"""
