"""The class teacher learns at once that a parent warned of a child's absence in advance,
or withdrew the warning (issue 13), through the outbox (never lost, never doubled: the
key names the teacher's binding and the warning). No buttons: the reason is confirmed
from documents once the absence is in the roll call (R6), in the Friday round."""

from __future__ import annotations

from bot.screen import quote
from bot.screens.planned import CODE_OF, when_text
from core.journal import Journal
from core.planned import Plan
from notifications.outbox import OutboxItem, enqueue
from texts import Texts

PLANNED_KIND = "absence_planned"
WITHDRAWN_KIND = "absence_planned_withdrawn"


async def announce_plan(journal: Journal, plan: Plan, *, withdrawn: bool = False) -> int:
    """The warning (or its withdrawal) to the pupil's class teacher."""
    kind = WITHDRAWN_KIND if withdrawn else PLANNED_KIND
    items = []
    for teacher in plan.class_teachers:
        tx = Texts(teacher.language)
        text = tx(
            "planned.withdrawn_to_teacher" if withdrawn else "planned.to_teacher",
            parent=quote(plan.reported_by),
            name=quote(plan.pupil_name),
            when=when_text(tx, plan.first_day, plan.last_day, plan.lessons),
            reason=tx(f"planned.reason_{CODE_OF[plan.reason]}"),
        )
        if plan.note and not withdrawn:
            text += "\n" + tx("planned.note_line", note=quote(plan.note))
        items.append(
            OutboxItem(
                key=f"{kind}:{teacher.binding_id}:{plan.id}",
                chat_id=teacher.chat_id,
                channel=teacher.channel,
                kind=kind,
                binding_id=teacher.binding_id,
                text=text,
            )
        )
    async with journal.transaction() as s:
        return await enqueue(s, items)
