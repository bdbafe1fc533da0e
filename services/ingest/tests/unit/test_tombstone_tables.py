"""Ingest's four tombstone tables share their request and time columns
(``TombstoneColumns``), each table with columns of its own."""

from __future__ import annotations

from sqlalchemy import DateTime

from ingest.adapters.tables import ErasedCall, ErasedFingerprint, ErasedOrganization, ErasedUser

TOMBSTONES = (ErasedCall, ErasedFingerprint, ErasedUser, ErasedOrganization)


def test_each_tombstone_table_has_its_own_request_and_time_columns() -> None:
    columns = [model.__table__.c for model in TOMBSTONES]  # type: ignore[attr-defined]
    erased_at = [c.erased_at for c in columns]
    assert len({id(column) for column in erased_at}) == len(TOMBSTONES)
    assert [column.table.name for column in erased_at] == [
        model.__tablename__ for model in TOMBSTONES
    ]
    for c in columns:
        assert isinstance(c.erased_at.type, DateTime) and c.erased_at.type.timezone
        assert not c.erased_at.nullable and not c.request_id.nullable
        assert c.request_id.type.length == 100


def test_a_tombstone_is_stamped_when_made() -> None:
    user = ErasedUser(org_id="org-1", user_id="user-1", request_id="req-1")
    organization = ErasedOrganization(org_id="org-1", request_id="req-1")
    assert user.erased_at.tzinfo is not None
    assert organization.erased_at >= user.erased_at
