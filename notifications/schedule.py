"""Changes of the day's timetable told (R25, R16). The teacher of a cancelled, moved or
re-roomed lesson is told at once (a substitution's teachers by ``substitutions``). Parents
get one morning message «Изменения на сегодня» listing their children's changes of the
day, only when there are some; a change made later for the same day reaches them within
a minute (the minute job). Outbox keys make each message once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.screen import Limits, quote
from core import recipients
from core.clock import at_local
from core.journal import Journal
from core.lessons.changes import ChangeView, change_view, changes_touching
from core.lessons.timetable import ParentTold, schedule_parents
from core.models import BindingRole, ChangeKind
from core.people import short_name
from notifications.compose import items_for, split_blocks
from notifications.outbox import OutboxItem, enqueue
from texts import Texts

KIND = "schedule_change"
MORNING_KIND = "schedule_morning"


def render_change(tx: Texts, c: ChangeView, *, with_class: bool = True) -> str:
    """One change in a line: «❌ Отменён урок: 03.12.2026, 2-й урок, 5А Математика.»"""
    group = f" ({quote(c.group)})" if c.group else ""
    lesson = tx(
        "substitute.lesson",
        day=f"{c.day:%d.%m.%Y}",
        no=c.lesson_no,
        time="",
        cls=quote(c.class_name) if with_class else "",
        subject=quote(c.subject),
        group=group,
    ).replace(",  ", ", ")
    if c.kind is ChangeKind.CANCEL:
        return tx("change.cancel", lesson=lesson)
    if c.kind is ChangeKind.MOVE:
        to = tx("change.move_to", day=f"{c.new_day:%d.%m.%Y}", no=c.new_lesson_no)
        return tx("change.move", lesson=lesson, to=to)
    if c.kind is ChangeKind.RESTORE:
        undone = (
            tx(
                "change.restore_move",
                to=tx("change.move_to", day=f"{c.new_day:%d.%m.%Y}", no=c.new_lesson_no),
            )
            if c.new_day
            else ""
        )
        return tx("change.restore", lesson=lesson, undone=undone)
    if c.kind is ChangeKind.ROOM:
        was = tx("change.room_was", room=quote(c.old_room)) if c.old_room else ""
        return tx("change.room", lesson=lesson, room=quote(c.new_room or ""), was=was)
    return tx("change.substitute", lesson=lesson, teacher=quote(short_name(c.teacher)))


# --- the teacher, at once ----------------------------------------------------------------------


async def announce_change(journal: Journal, change_id: int) -> int:
    """Queue the notice to the lesson's teacher (unless they made the change). Returns
    the rows queued; announcing twice queues nothing new."""
    async with journal.transaction() as s:
        change = await change_view(s, change_id)
        if change is None or change.kind is ChangeKind.SUBSTITUTE:
            return 0
        if change.actor_id == change.teacher_id:
            return 0
        found = await recipients.reachable(s, [change.teacher_id], BindingRole.STAFF)
        items = [
            OutboxItem(
                key=f"{KIND}:{change.id}:{r.binding_id}",
                chat_id=r.chat_id,
                channel=r.channel,
                kind=KIND,
                text=Texts(r.language)(
                    "change.for_teacher", change=render_change(Texts(r.language), change)
                ),
                binding_id=r.binding_id,
            )
            for r in found.get(change.teacher_id, [])
        ]
        return await enqueue(s, items)


# --- parents: the morning message and the minute job -----------------------------------------


def _render_children(tx: Texts, told: ParentTold) -> list[str]:
    blocks = []
    for (_, name, class_name), changes in told.children.items():
        lines = [tx("change.child", name=quote(name), cls=quote(class_name))]
        lines += [render_change(tx, c, with_class=False) for c in changes]
        blocks.append("\n".join(lines))
    return blocks


async def build_morning(
    s: AsyncSession, school_id: int, slot: datetime, limits: Mapping[str, Limits]
) -> list[OutboxItem]:
    """«Изменения на сегодня»: the day's changes made before the morning (later ones go
    by the minute job), one message per parent binding; none for a parent whose children
    have no change."""
    day = slot.date()
    changes = [c for c in await changes_touching(s, school_id, day) if c.created_at < slot]
    items: list[OutboxItem] = []
    for told in await schedule_parents(s, changes, day):
        r = told.recipient
        tx = Texts(r.language)
        head = tx("change.morning", day=f"{day:%d.%m.%Y}")
        items += items_for(
            f"{MORNING_KIND}:{r.binding_id}:{day.isoformat()}",
            r.chat_id,
            MORNING_KIND,
            split_blocks([head, *_render_children(tx, told)], limits[r.channel]),
            binding_id=r.binding_id,
            channel=r.channel,
        )
    return items


async def build_during_day(
    s: AsyncSession,
    school_id: int,
    now: datetime,
    tz: ZoneInfo,
    morning: time,
    limits: Mapping[str, Limits],
) -> list[OutboxItem]:
    """The changes of today made after this morning's message time, each to the parents
    concerned in a message of its own (before that time the morning message tells them)."""
    day = now.astimezone(tz).date()
    since = at_local(day, morning, tz)
    if now < since:
        return []
    changes = [c for c in await changes_touching(s, school_id, day) if c.created_at >= since]
    items: list[OutboxItem] = []
    for told in await schedule_parents(s, changes, day):  # one query for all the changes
        r = told.recipient
        tx = Texts(r.language)
        for change in changes:
            children = {
                child: [change]
                for child, theirs in told.children.items()
                if any(c.id == change.id for c in theirs)
            }
            if not children:
                continue
            items += items_for(
                f"{KIND}:{change.id}:{r.binding_id}",
                r.chat_id,
                KIND,
                split_blocks(
                    [tx("change.today"), *_render_children(tx, ParentTold(r, children))],
                    limits[r.channel],
                ),
                binding_id=r.binding_id,
                channel=r.channel,
            )
    return items
