"""Who may see or change what (R1, R5, R24). Every use case checks here, because
callback data comes from the client and can be forged: keyboards only hide buttons."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotAllowed, NotFound
from core.models import (
    Assignment,
    Binding,
    BindingRole,
    Guardianship,
    Lesson,
    Person,
    Pupil,
    SchoolClass,
    StaffRole,
    StaffRoleRow,
)

OVERSEERS = frozenset({StaffRole.ADMIN, StaffRole.DIRECTOR, StaffRole.DEPUTY})


@dataclass(frozen=True)
class Actor:
    """The acting person in the role of the binding they act through."""

    person_id: int | None
    school_id: int
    role: BindingRole
    staff_roles: frozenset[StaffRole] = field(default_factory=frozenset)
    binding_id: int | None = None

    @classmethod
    def system(cls, school_id: int) -> Actor:
        """The school's administrator acting from the command line."""
        return cls(None, school_id, BindingRole.STAFF, frozenset({StaffRole.ADMIN}))

    def has(self, *roles: StaffRole) -> bool:
        return self.role is BindingRole.STAFF and bool(self.staff_roles.intersection(roles))

    @property
    def oversees_school(self) -> bool:
        """Admin, director and deputy see everything in their school (R1)."""
        return self.has(*OVERSEERS)


async def actor_for_binding(session: AsyncSession, binding_id: int) -> Actor:
    """Load the actor behind an active binding; a revoked binding can no longer act (R3)."""
    row = (
        await session.execute(
            select(Binding, Person.school_id)
            .join(Person, Person.id == Binding.person_id)
            .where(Binding.id == binding_id, Binding.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        raise NotAllowed("error.binding_revoked")
    binding, school_id = row
    roles: frozenset[StaffRole] = frozenset()
    if binding.role == BindingRole.STAFF:
        roles = frozenset(
            StaffRole(r)
            for r in (
                await session.scalars(
                    select(StaffRoleRow.role).where(StaffRoleRow.person_id == binding.person_id)
                )
            )
        )
    return Actor(binding.person_id, school_id, BindingRole(binding.role), roles, binding.id)


async def is_class_teacher(session: AsyncSession, actor: Actor, class_id: int) -> bool:
    if actor.role is not BindingRole.STAFF or actor.person_id is None:
        return False
    return bool(
        await session.scalar(
            select(
                exists().where(
                    SchoolClass.id == class_id, SchoolClass.class_teacher_id == actor.person_id
                )
            )
        )
    )


async def teaches_class(session: AsyncSession, actor: Actor, class_id: int) -> bool:
    if not actor.has(StaffRole.TEACHER) or actor.person_id is None:
        return False
    return bool(
        await session.scalar(
            select(
                or_(
                    exists().where(
                        Assignment.teacher_id == actor.person_id, Assignment.class_id == class_id
                    ),
                    exists().where(
                        Lesson.teacher_id == actor.person_id, Lesson.class_id == class_id
                    ),
                )
            )
        )
    )


async def ensure_can_view_class(session: AsyncSession, actor: Actor, class_id: int) -> None:
    """R1: overseers see every class; a class teacher theirs; a teacher the classes taught."""
    cls = await session.get(SchoolClass, class_id)
    if cls is None or cls.school_id != actor.school_id:
        raise NotAllowed()
    if actor.oversees_school:
        return
    if await is_class_teacher(session, actor, class_id) or await teaches_class(
        session, actor, class_id
    ):
        return
    raise NotAllowed()


async def ensure_can_view_pupil(session: AsyncSession, actor: Actor, pupil_id: int) -> Pupil:
    """R1: a parent sees only their own children, a pupil only themself."""
    pupil = await session.get(Pupil, pupil_id)
    if pupil is None:
        raise NotAllowed()
    if actor.role is BindingRole.PUPIL:
        if actor.person_id != pupil_id:
            raise NotAllowed()
        return pupil
    if actor.role is BindingRole.PARENT:
        if not await is_guardian(session, actor, pupil_id):
            raise NotAllowed()
        return pupil
    await ensure_can_view_class(session, actor, pupil.class_id)
    return pupil


async def is_guardian(session: AsyncSession, actor: Actor, pupil_id: int) -> bool:
    """A parent of the pupil, who is still at the school (a parent does not see a child
    who left; the staff still do, for reports)."""
    return bool(
        await session.scalar(
            select(
                exists().where(
                    Guardianship.guardian_id == actor.person_id,
                    Guardianship.pupil_id == pupil_id,
                    Pupil.person_id == Guardianship.pupil_id,
                    Pupil.left_on.is_(None),
                )
            )
        )
    )


async def load_lesson(session: AsyncSession, actor: Actor, lesson_id: int) -> Lesson:
    lesson = await session.get(Lesson, lesson_id)
    if lesson is None or lesson.school_id != actor.school_id:
        raise NotFound()
    return lesson


async def lesson_for_edit(
    session: AsyncSession, actor: Actor, lesson_id: int, *, lock: bool = False
) -> Lesson:
    """R1, R5: only the teacher giving the lesson (the substitute, when one is recorded)
    fills it. A class teacher views the class but does not edit others' marks."""
    lesson = await session.get(Lesson, lesson_id, with_for_update=lock)
    if lesson is None or lesson.school_id != actor.school_id:
        raise NotFound()
    if not actor.has(StaffRole.TEACHER) or lesson.teacher_id != actor.person_id:
        raise NotAllowed("error.not_your_lesson")
    if lesson.cancelled:  # R25: cancelled or moved away, nothing to fill
        raise NotAllowed("error.lesson_cancelled")
    return lesson


async def ensure_can_view_lesson(session: AsyncSession, actor: Actor, lesson_id: int) -> Lesson:
    lesson = await load_lesson(session, actor, lesson_id)
    if lesson.teacher_id == actor.person_id and actor.role is BindingRole.STAFF:
        return lesson
    await ensure_can_view_class(session, actor, lesson.class_id)
    return lesson


def ensure_staff(actor: Actor, *roles: StaffRole) -> None:
    if not actor.has(*roles):
        raise NotAllowed()
