"""``OrgRepository.owned``: a repository's queries see its own organization's rows only."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Field, SQLModel

from clashtor_common.db import Database, OrgRepository


class Note(SQLModel, table=True):
    __tablename__ = "test_org_repository_note"

    id: str = Field(primary_key=True)
    org_id: str
    text: str


class Notes(OrgRepository):
    async def every(self) -> list[Note]:
        return await self.all(self.owned(Note).order_by(Note.id))

    async def get(self, note_id: str) -> Note | None:
        return await self.one_or_none(self.owned(Note, Note.id == note_id))


async def test_owned_queries_never_see_another_organizations_rows(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await db.create_all(Note)
    async with db.session() as s:
        s.add_all(
            [
                Note(id="a1", org_id="org-a", text="mine"),
                Note(id="a2", org_id="org-a", text="mine too"),
                Note(id="b1", org_id="org-b", text="theirs"),
            ]
        )
    async with db.session() as s:
        notes = Notes(s, "org-a")
        assert [n.id for n in await notes.every()] == ["a1", "a2"]
        assert (await notes.get("a2")) is not None
        assert await notes.get("b1") is None  # it exists, in another organization
    await db.dispose()
