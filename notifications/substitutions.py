"""The substitution notice (R5): when someone else takes a teacher's lesson, the teacher
whose lesson it was is told, and a teacher the deputy made the substitute is told too.
Queued in the outbox (one row per binding and change, so announcing twice sends once)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.screen import quote
from core import lessons, recipients
from core.journal import Journal
from core.lessons import SubstitutionNotice
from core.models import BindingRole
from core.people import short_name
from notifications.outbox import OutboxItem, enqueue
from texts import Texts

KIND = "substitution"


def notice_key(change_id: int, binding_id: int) -> str:
    return f"{KIND}:{change_id}:{binding_id}"


def _lesson(tx: Texts, n: SubstitutionNotice) -> str:
    x = n.lesson
    group = f" ({quote(n.group)})" if n.group else ""
    when = f", {x.starts_at:%H:%M}" if x.starts_at else ""
    return tx(
        "substitute.lesson",
        day=f"{x.date:%d.%m.%Y}",
        no=x.lesson_no,
        time=when,
        cls=quote(x.class_name),
        subject=quote(x.subject),
        group=group,
    )


def render_notices(n: SubstitutionNotice, language: str, for_new: bool) -> str:
    tx = Texts(language)
    if for_new:
        instead = quote(short_name(n.old_teacher))
        return tx("substitute.notice_you", lesson=_lesson(tx, n), instead=instead)
    return tx("substitute.notice_taken", lesson=_lesson(tx, n), teacher=quote(n.new_teacher))


async def announce_substitution(journal: Journal, lesson_id: int) -> int:
    """Queue the notices of the lesson's latest substitution: to the teacher it was taken
    from, and to the new teacher unless they took it themselves. Returns rows queued."""
    notice = await lessons.substitution_notice(journal, lesson_id)
    if notice is None:
        return 0
    async with journal.transaction() as s:
        return await _enqueue(s, notice)


async def _enqueue(s: AsyncSession, notice: SubstitutionNotice) -> int:
    told = [notice.old_teacher_id]
    if notice.by_id != notice.new_teacher_id:
        told.append(notice.new_teacher_id)
    found = await recipients.reachable(s, told, BindingRole.STAFF)
    items = [
        OutboxItem(
            key=notice_key(notice.change_id, r.binding_id),
            chat_id=r.chat_id,
            channel=r.channel,
            kind=KIND,
            text=render_notices(notice, r.language, person == notice.new_teacher_id),
            binding_id=r.binding_id,
        )
        for person in told
        for r in found.get(person, [])
    ]
    return await enqueue(s, items)
