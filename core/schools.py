"""Schools: one deployment may host several schools of a district."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import School, WorkType
from core.rules import DEFAULT_WORK_TYPES


async def ensure_school(session: AsyncSession, name: str) -> School:
    """The school of that name, created with the default work types if new."""
    school = await session.scalar(select(School).where(School.name == name))
    if school is None:
        school = School(name=name)
        session.add(school)
        await session.flush()
        await session.execute(
            insert(WorkType)
            .values(
                [
                    {"school_id": school.id, "code": code, "name": title, "weight": weight}
                    for code, title, weight in DEFAULT_WORK_TYPES
                ]
            )
            .on_conflict_do_nothing()
        )
    return school


async def find_school(session: AsyncSession, name: str | None) -> School | None:
    """The school by name; with no name, the only school there is."""
    if name is not None:
        return await session.scalar(select(School).where(School.name == name))
    schools = list(await session.scalars(select(School).limit(2)))
    return schools[0] if len(schools) == 1 else None
