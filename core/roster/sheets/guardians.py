"""The parents sheet («Родители»): each parent's link to a pupil, with the consent (R19)
and the opt-out from the electronic diary (R18) and since when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Guardianship
from core.roster.batch import table_of, update_many
from core.roster.match import Context, Person, tally
from core.roster.sheets import Sheet
from core.roster.summary import SheetCounts

Stamped = tuple[bool | None, datetime | None]  # a value and since when


class Guardians(Sheet):
    key = "guardians"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.links: dict[tuple[Person, Person], bool | None] = {}
        self.opt_outs: dict[tuple[Person, Person], bool | None] = {}  # R18

    def resolve(self) -> None:
        ctx = self.ctx
        for row in ctx.roster.guardians or []:
            node = ctx.node_of_record.get(("guardians", row.row))
            klass = None
            if row.class_ref:
                klass = ctx.ref_class("guardians", row.row, "class", row.class_ref)
                if klass is None:
                    continue
            pupil = ctx.ref_pupil("guardians", row.row, row.pupil_ref, klass, row.class_ref)
            if node is None or pupil is None:
                continue
            if pupil is node:
                ctx.problem("guardians", row.row, "full_name", "roster.pupil_own_guardian")
                continue
            link = (node, pupil)
            if row.consent is not None or link not in self.links:
                self.links[link] = row.consent
            if row.opt_out is not None or link not in self.opt_outs:
                self.opt_outs[link] = row.opt_out

    def current_link(self, guardian: Person, pupil: Person) -> Stamped | None:
        if guardian.id is None or pupil.id is None:
            return None
        return self.ctx.db.guardianships.get((guardian.id, pupil.id))

    def consent_after(self, wanted: bool | None, current: Stamped | None) -> Stamped:
        consent, at = current or (None, None)
        if wanted is None:
            return consent, at
        if wanted is True and consent is True and at is not None:
            return consent, at
        if wanted is False and consent is False:
            return consent, at
        return wanted, self.ctx.now

    def opt_out_after(
        self, guardian: Person, pupil: Person
    ) -> tuple[tuple[bool, datetime | None], tuple[bool, datetime | None]]:
        """R18: the link's opt-out (and since when) before and after this roster."""
        current: tuple[bool, datetime | None] = (False, None)
        if guardian.id is not None and pupil.id is not None:
            current = self.ctx.db.opt_outs.get((guardian.id, pupil.id), current)
        wanted = self.opt_outs.get((guardian, pupil))
        if wanted is None or wanted == current[0]:
            return current, current
        return current, (wanted, self.ctx.now if wanted else None)

    def count(self) -> SheetCounts | None:
        if self.ctx.roster.guardians is None:
            return None
        c = SheetCounts()
        for (guardian, pupil), wanted in self.links.items():
            current = self.current_link(guardian, pupil)
            if current is None:
                c.added += 1
            else:
                before, after = self.opt_out_after(guardian, pupil)
                changed = self.consent_after(wanted, current) != current or before != after
                tally(c, False, changed or self.ctx.person_changed(guardian))
        return c

    async def write(self, session: AsyncSession, school_id: int) -> None:
        if self.ctx.roster.guardians is None:
            return
        table = table_of(Guardianship)
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for (guardian, pupil), wanted in self.links.items():
            current = self.current_link(guardian, pupil)
            consent, at = self.consent_after(wanted, current)
            before, (opt_out, opt_out_at) = self.opt_out_after(guardian, pupil)
            row = {
                "guardian_id": guardian.id,
                "pupil_id": pupil.id,
                "consent": consent,
                "consent_at": at,
                "diary_opt_out": opt_out,
                "opt_out_at": opt_out_at,
            }
            if current is None:
                new.append(row)
            elif (consent, at) != current or before != (opt_out, opt_out_at):
                changed.append(row)
        await update_many(session, table, ("guardian_id", "pupil_id"), changed)
        if new:
            await session.execute(insert(table), new)
