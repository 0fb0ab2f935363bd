"""The journal's context: where use cases get their database session, clock and rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.errors import NotFound
from core.models import School
from core.rules import Rules, SchoolRules


@dataclass
class Journal:
    """Handed to every use case. A use case opens one transaction and commits once."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    rules: Rules

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            session.info["journal"] = self  # its clock and zone, for what a query cannot know
            yield session

    async def school_rules(self, session: AsyncSession, school_id: int) -> SchoolRules:
        """The school's rules, looked up once per transaction."""
        cache_key = ("school_rules", school_id)
        if cache_key in session.info:
            return session.info[cache_key]
        school = await session.get(School, school_id)
        if school is None:
            raise NotFound()
        rules = SchoolRules(
            timezone=ZoneInfo(school.timezone) if school.timezone else self.rules.timezone,
            correction_deadline=school.correction_deadline or self.rules.correction_deadline,
            edit_window_days=(
                school.edit_window_days
                if school.edit_window_days is not None
                else self.rules.edit_window_days
            ),
        )
        session.info[cache_key] = rules
        return rules
