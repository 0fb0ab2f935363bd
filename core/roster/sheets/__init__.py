"""One small class per sheet of the roster, each with the three phases of an import:
``resolve`` (match its rows and check their references), ``count`` (what the import
changes there, for the summary) and ``write`` (a few batched statements).

They share one :class:`core.roster.match.Context`; :mod:`core.roster.plan` runs them in
the order the sheets refer to each other."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.roster.match import Context
from core.roster.summary import SheetCounts


class SheetPlan(Protocol):
    """The part of an import plan for one sheet (or one step, such as the leavers)."""

    key: str  # the sheet's key («pupils»), the key of its counts in the summary

    def resolve(self) -> None: ...

    def count(self) -> SheetCounts | None: ...

    async def write(self, session: AsyncSession, school_id: int) -> None: ...


class Sheet:
    """A sheet's plan that does nothing in a phase it does not override."""

    key = ""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def resolve(self) -> None:
        return None

    def count(self) -> SheetCounts | None:
        return None

    async def write(self, session: AsyncSession, school_id: int) -> None:
        return None
