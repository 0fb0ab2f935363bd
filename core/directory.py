"""Looking people and classes up by what an admin types: a name or an external id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from core.journal import Journal
from core.models import Person, SchoolClass


@dataclass(frozen=True)
class Found:
    id: int
    name: str


async def find_people(journal: Journal, school_id: int, query: str) -> list[Found]:
    query = query.strip()
    async with journal.transaction() as s:
        rows = await s.execute(
            select(Person.id, Person.full_name)
            .where(
                Person.school_id == school_id,
                or_(Person.full_name == query, Person.external_id == query),
            )
            .order_by(Person.id)
        )
        return [Found(i, n) for i, n in rows]


async def find_class(journal: Journal, school_id: int, name: str) -> Found | None:
    async with journal.transaction() as s:
        row = (
            await s.execute(
                select(SchoolClass.id, SchoolClass.name).where(
                    SchoolClass.school_id == school_id,
                    or_(SchoolClass.name == name.strip(), SchoolClass.external_id == name.strip()),
                )
            )
        ).first()
        return Found(*row) if row else None
