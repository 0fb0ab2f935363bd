"""Announcements (issue 13.3): the class teacher writes to the class's parents and/or
pupils, or to one of its subgroups; the admin or the director to a grade or the whole
school. Each person it reaches gets one receipt (R17's «Прочитано ✓»: a read on any of
their bindings counts); the author sees who has read it and may remind the rest once.

A person gets an announcement once, however many of their children it concerns: the
text is the author's, the same for every child, and one receipt per person is what the
author counts («Кто прочитал: 18 из 27» counts people, not copies). The regulations
expect the class teacher to write to parents weekly (004, annex 9); the first grade has
no marks and no homework (R12) but announcements all the same.

Who gets it follows the digest's rules (R16): a parent who gave consent (R19) and did not
opt out of the e-diary (R18), of a pupil enrolled today; each through the bindings they
chose to be written to (``core.recipients.reachable``, ``DELIVERS_SQL``). The messages
themselves are queued by ``notifications/announcements.py`` in the same transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from html import escape
from typing import Any

from sqlalchemy import TextClause, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.access import Actor
from core.accounts.choices import Topic, wants_sql
from core.digest.receipts import press_read
from core.errors import InvalidValue, NotAllowed, NotFound
from core.identity import UserRef
from core.journal import Journal
from core.models import (
    Announcement,
    AnnouncementReceipt,
    BindingRole,
    Group,
    Person,
    SchoolClass,
    StaffRole,
    Subject,
)
from core.recipients import Recipient, reachable

#: The longest announcement: with its header it fits one message of either messenger.
#: Counted as the stricter of the two counts it: Telegram's UTF-16 units (an emoji is
#: two) and MAX's characters as sent, markup included (``<``, ``&``, ``>`` go as entities).
TEXT_LIMIT = 3000
AUTHORS_OF_SCHOOL = (StaffRole.ADMIN, StaffRole.DIRECTOR)


class Scope(StrEnum):
    CLASS = "class"
    GROUP = "group"
    GRADE = "grade"
    SCHOOL = "school"


class Audience(StrEnum):
    PARENTS = "parents"
    PUPILS = "pupils"
    BOTH = "both"

    @property
    def roles(self) -> tuple[BindingRole, ...]:
        if self is Audience.PARENTS:
            return (BindingRole.PARENT,)
        if self is Audience.PUPILS:
            return (BindingRole.PUPIL,)
        return (BindingRole.PARENT, BindingRole.PUPIL)


@dataclass(frozen=True)
class Target:
    """Whom an author may write to: a class, a subgroup (``name``: «5А, 1 группа
    (Английский язык)»), a grade (``target_id`` the grade) or the school (0)."""

    scope: Scope
    target_id: int
    name: str  # the class's or group's name; "" for a grade or the school


def text_length(value: str) -> int:
    """An announcement's length as the cap counts it (see :data:`TEXT_LIMIT`)."""
    return max(len(value.encode("utf-16-le")) // 2, len(escape(value, quote=False)))


def check_text(value: str) -> str:
    """The typed text, trimmed; ``InvalidValue`` when empty or past :data:`TEXT_LIMIT`."""
    value = value.strip()
    if not value:
        raise InvalidValue("error.announcement_empty")
    if text_length(value) > TEXT_LIMIT:
        raise InvalidValue("error.announcement_long", length=text_length(value), limit=TEXT_LIMIT)
    return value


async def targets(journal: Journal, actor: Actor) -> list[Target]:
    """What this staff member may write to: the classes they lead and their subgroups;
    for the admin and the director, the whole school and each grade."""
    async with journal.transaction() as s:
        return await targets_in(s, actor)


async def targets_in(s: AsyncSession, actor: Actor) -> list[Target]:
    if actor.role is not BindingRole.STAFF or actor.person_id is None:
        return []
    found: list[Target] = []
    if actor.has(*AUTHORS_OF_SCHOOL):
        found.append(Target(Scope.SCHOOL, 0, ""))
        grades = await s.scalars(
            select(SchoolClass.grade)
            .where(SchoolClass.school_id == actor.school_id)
            .distinct()
            .order_by(SchoolClass.grade)
        )
        found += [Target(Scope.GRADE, g, "") for g in grades]
    rows = await s.execute(
        select(SchoolClass.id, SchoolClass.name, Group.id, Group.name, Subject.name)
        .outerjoin(Group, Group.class_id == SchoolClass.id)
        .outerjoin(Subject, Subject.id == Group.subject_id)
        .where(SchoolClass.class_teacher_id == actor.person_id)
        .order_by(SchoolClass.name, SchoolClass.id, Subject.name, Group.name)
    )
    seen: set[int] = set()
    for class_id, class_name, group_id, group_name, subject in rows:
        if class_id not in seen:
            seen.add(class_id)
            found.append(Target(Scope.CLASS, class_id, class_name))
        if group_id is not None:
            found.append(Target(Scope.GROUP, group_id, f"{class_name}, {group_name} ({subject})"))
    return found


async def ensure_target(s: AsyncSession, actor: Actor, scope: Scope, target_id: int) -> Target:
    """The target, if this actor may write to it (a forged button names another's class)."""
    for target in await targets_in(s, actor):
        if target.scope is scope and target.target_id == target_id:
            return target
    raise NotAllowed("error.announcement_not_yours")


async def target(journal: Journal, actor: Actor, scope: Scope, target_id: int) -> Target:
    async with journal.transaction() as s:
        return await ensure_target(s, actor, scope, target_id)


_SCOPE_SQL = {
    Scope.CLASS: "k.id = :target",
    Scope.GROUP: "p.person_id IN (SELECT pupil_id FROM group_members WHERE group_id = :target)",
    Scope.GRADE: "k.grade = :target",
    Scope.SCHOOL: "TRUE",
}


def _people_sql(scope: Scope, role: BindingRole) -> TextClause:
    """The pupils enrolled today in the scope, or their parents who gave consent (R19),
    did not opt out of the e-diary (R18) and did not switch announcements off for that
    child (R16: a parent of two hears of it for the other); each person once."""
    pupils = f"""
        SELECT p.person_id FROM pupils p JOIN classes k ON k.id = p.class_id
        WHERE k.school_id = :school AND {_SCOPE_SQL[scope]}
          AND (p.admitted_on IS NULL OR p.admitted_on <= :today)
          AND (p.left_on IS NULL OR p.left_on > :today)
    """
    if role is BindingRole.PUPIL:
        return text(pupils)
    return text(
        f"""
        SELECT DISTINCT g.guardian_id FROM guardianships g
        WHERE g.pupil_id IN ({pupils}) AND g.consent IS TRUE AND NOT g.diary_opt_out
          AND {wants_sql(Topic.ANNOUNCEMENTS)}
        """
    )


@dataclass(frozen=True)
class Letter:
    """What an announcement's message says: to whom, from whom, the author's text."""

    announcement_id: int
    target: Target
    author_name: str
    text: str


@dataclass(frozen=True)
class Sent:
    """An announcement as it was saved (or reminded of): ``first`` is false when this was
    done already (a second tap on «Отправить», on «Напомнить»), and then ``recipients``
    is empty; else the bindings to write to."""

    first: bool
    letter: Letter
    recipients: list[Recipient]


async def create_in(
    s: AsyncSession,
    actor: Actor,
    draft: tuple[Scope, int, Audience, str],
    token: str,
    now: datetime,
    today: date,
) -> Sent:
    """Saves the announcement (``draft``: scope, target, audience, text) with one receipt
    per person it reaches, in the caller's transaction; the same ``token`` twice saves it
    once."""
    scope, target_id, audience, body = draft
    target = await ensure_target(s, actor, scope, target_id)
    body = check_text(body)
    assert actor.person_id is not None  # a target is only found for a person
    new_id = await s.scalar(
        insert(Announcement)
        .values(
            school_id=actor.school_id,
            author_id=actor.person_id,
            token=token,
            scope=scope.value,
            target_id=target_id,
            audience=audience.value,
            text=body,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["author_id", "token"])
        .returning(Announcement.id)
    )
    if new_id is None:
        existing = await s.scalar(
            select(Announcement.id).where(
                Announcement.author_id == actor.person_id, Announcement.token == token
            )
        )
        assert existing is not None  # the conflict was with it
        return Sent(False, Letter(existing, target, "", body), [])
    params = {"school": actor.school_id, "target": target_id, "today": today}
    recipients: list[Recipient] = []
    receipts: list[dict[str, Any]] = []
    for role in audience.roles:
        people = list(await s.scalars(_people_sql(scope, role), params))
        for person_id, bindings in (await reachable(s, people, role)).items():
            receipts.append({"announcement_id": new_id, "person_id": person_id, "role": role.value})
            recipients += bindings
    if receipts:
        # A person both a pupil and a parent in the scope (never in a school) counts once.
        await s.execute(insert(AnnouncementReceipt).on_conflict_do_nothing(), receipts)
    author = await s.get(Person, actor.person_id)
    letter = Letter(new_id, target, author.full_name if author else "", body)
    return Sent(True, letter, recipients)


async def sent_with(journal: Journal, actor: Actor, token: str) -> int | None:
    """The announcement this author sent from the draft ``token`` (``None``: not sent)."""
    async with journal.transaction() as s:
        return await s.scalar(
            select(Announcement.id).where(
                Announcement.author_id == actor.person_id, Announcement.token == token
            )
        )


async def mark_read(journal: Journal, user: UserRef, binding_id: int, announcement_id: int) -> bool:
    """R17's receipt for an announcement: ``True`` at the person's first «Прочитано ✓»
    (on either messenger; the moment is kept)."""
    async with journal.transaction() as s:
        _, first = await press_read(
            s,
            user,
            binding_id,
            AnnouncementReceipt,
            lambda actor: (
                AnnouncementReceipt.announcement_id == announcement_id,
                AnnouncementReceipt.person_id == actor.person_id,
            ),
            journal.clock.now(),
        )
        return first


@dataclass(frozen=True)
class Unread:
    person_id: int
    full_name: str
    role: BindingRole
    detail: str  # a parent's children («Пётр 5А, Дарья 1А»), a pupil's class


@dataclass(frozen=True)
class ReadReport:
    """«Кто прочитал: 18 из 27» and who has not, by name."""

    letter: Letter
    created_at: datetime
    total: int
    read: int
    unread: list[Unread]
    reminded: bool


async def _own(s: AsyncSession, actor: Actor, announcement_id: int) -> Announcement:
    """The announcement, for its author, or for the admin or director of its school."""
    found = await s.get(Announcement, announcement_id)
    if found is None or found.school_id != actor.school_id:
        raise NotFound()
    if found.author_id != actor.person_id and not actor.has(*AUTHORS_OF_SCHOOL):
        raise NotAllowed()
    return found


_UNREAD_SQL = text(
    """
    SELECT r.person_id, pe.full_name, r.role,
           CASE WHEN r.role = 'pupil' THEN (
               SELECT k.name FROM pupils p JOIN classes k ON k.id = p.class_id
               WHERE p.person_id = r.person_id)
           ELSE (
               SELECT string_agg(split_part(cp.full_name, ' ', 2) || ' ' || k.name, ', '
                                 ORDER BY cp.full_name)
               FROM guardianships g JOIN pupils p ON p.person_id = g.pupil_id
               JOIN people cp ON cp.id = p.person_id JOIN classes k ON k.id = p.class_id
               WHERE g.guardian_id = r.person_id AND p.left_on IS NULL)
           END
    FROM announcement_receipts r JOIN people pe ON pe.id = r.person_id
    WHERE r.announcement_id = :id AND r.read_at IS NULL
    ORDER BY pe.full_name, r.person_id
    """
)


async def read_report(journal: Journal, actor: Actor, announcement_id: int) -> ReadReport:
    async with journal.transaction() as s:
        found = await _own(s, actor, announcement_id)
        total, read = (
            await s.execute(
                text(
                    "SELECT count(*), count(read_at) FROM announcement_receipts"
                    " WHERE announcement_id = :id"
                ),
                {"id": announcement_id},
            )
        ).one()
        unread = [
            Unread(p, n, BindingRole(r), d or "")
            for p, n, r, d in await s.execute(_UNREAD_SQL, {"id": announcement_id})
        ]
        return ReadReport(
            await _target(s, found),
            found.created_at,
            int(total),
            int(read),
            unread,
            found.reminded_at is not None,
        )


async def _target(s: AsyncSession, found: Announcement) -> Letter:
    """A saved announcement's letter: its class's or group's name read again."""
    scope, target_id = Scope(found.scope), found.target_id
    name = ""
    if scope is Scope.CLASS:
        name = await s.scalar(select(SchoolClass.name).where(SchoolClass.id == target_id)) or ""
    elif scope is Scope.GROUP:
        row = (
            await s.execute(
                select(SchoolClass.name, Group.name, Subject.name)
                .join(Group, Group.class_id == SchoolClass.id)
                .join(Subject, Subject.id == Group.subject_id)
                .where(Group.id == target_id)
            )
        ).first()
        name = f"{row[0]}, {row[1]} ({row[2]})" if row else ""
    author = await s.get(Person, found.author_id)
    return Letter(
        found.id, Target(scope, target_id, name), author.full_name if author else "", found.text
    )


async def remind_in(s: AsyncSession, actor: Actor, announcement_id: int, now: datetime) -> Sent:
    """«Напомнить непрочитавшим», once per announcement, in the caller's transaction (the
    reminders are queued with it): the bindings of those who have not read it."""
    found = await _own(s, actor, announcement_id)
    result = await s.execute(
        update(Announcement)
        .where(Announcement.id == announcement_id, Announcement.reminded_at.is_(None))
        .values(reminded_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]  # a DML result is a CursorResult
        return Sent(False, await _target(s, found), [])
    by_role: dict[BindingRole, list[int]] = defaultdict(list)
    for person_id, role in await s.execute(
        select(AnnouncementReceipt.person_id, AnnouncementReceipt.role).where(
            AnnouncementReceipt.announcement_id == announcement_id,
            AnnouncementReceipt.read_at.is_(None),
        )
    ):
        by_role[BindingRole(role)].append(person_id)
    recipients: list[Recipient] = []
    for role, people in by_role.items():
        for bindings in (await reachable(s, people, role)).values():
            recipients += bindings
    return Sent(True, await _target(s, found), recipients)


RECENT = 5  # the author's last announcements under «📣 Объявление»


async def recent(journal: Journal, actor: Actor) -> list[tuple[int, datetime, str]]:
    """The author's last announcements: id, when, the start of the text."""
    async with journal.transaction() as s:
        rows = await s.execute(
            select(Announcement.id, Announcement.created_at, func.left(Announcement.text, 40))
            .where(
                Announcement.author_id == actor.person_id,
                Announcement.school_id == actor.school_id,
            )
            .order_by(Announcement.id.desc())
            .limit(RECENT)
        )
        return [(i, at, start) for i, at, start in rows]
