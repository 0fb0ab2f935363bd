"""The journal's tables. Alembic migrations are the only source of the schema in a
database; these mappings describe it for queries and for autogenerate."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSONB}
    __table__: ClassVar[Table]  # every model here is mapped to a table (typed as FromClause)


class StaffRole(StrEnum):
    ADMIN = "admin"
    DIRECTOR = "director"
    DEPUTY = "deputy"
    TEACHER = "teacher"


class BindingRole(StrEnum):
    """The hat a Telegram account wears. A staff binding carries all the person's staff
    roles; a parent binding all their children; a pupil binding only themself (R24)."""

    STAFF = "staff"
    PARENT = "parent"
    PUPIL = "pupil"


class Presence(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    LATE = "late"


class AbsenceReason(StrEnum):
    UNCONFIRMED = "unconfirmed"
    ILLNESS = "illness"  # excused: illness with a doctor's certificate
    PARENT_STATEMENT = "parent_statement"  # excused: parent's written statement
    OTHER_EXCUSED = "other_excused"
    UNEXCUSED = "unexcused"


EXCUSED_REASONS = frozenset(
    {AbsenceReason.ILLNESS, AbsenceReason.PARENT_STATEMENT, AbsenceReason.OTHER_EXCUSED}
)

FINAL_SPECIAL_VALUES = ("осв", "н/а", "безотм")  # R11: exempt, not certified, no-mark


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


def _enum_check(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    # R7: corrections by the author until this local time on the lesson day.
    correction_deadline: Mapped[time] = mapped_column(Time, server_default=text("'20:00'"))
    # R8: days after the lesson a mark may still be added (retake); NULL = never limited.
    edit_window_days: Mapped[int | None] = mapped_column(Integer)
    # R16: the parents' digest hour here; NULL = the deployment's DIGEST_TIME.
    digest_time: Mapped[time | None] = mapped_column(Time)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class AcademicYear(Base):
    __tablename__ = "academic_years"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Period(Base):
    """A reporting period: quarter, trimester or half. Closed periods are locked (R10)."""

    __tablename__ = "periods"
    __table_args__ = (
        UniqueConstraint("school_id", "name", "year_id"),
        CheckConstraint("starts_on <= ends_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    year_id: Mapped[int] = mapped_column(ForeignKey("academic_years.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class Person(Base):
    """Anyone the journal knows: staff, pupils, guardians (one person may be several)."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("school_id", "external_id"),
        Index("ix_people_school_name", "school_id", "full_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    full_name: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    # The language of everything this person reads: Russian unless they choose English.
    language: Mapped[str] = mapped_column(String(5), server_default=text("'ru'"))


class StaffRoleRow(Base):
    __tablename__ = "staff_roles"
    __table_args__ = (CheckConstraint(_enum_check("role", StaffRole), name="role"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class SchoolClass(Base):
    __tablename__ = "classes"
    __table_args__ = (
        UniqueConstraint("school_id", "name"),
        CheckConstraint("grade BETWEEN 1 AND 11", name="grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(20))
    grade: Mapped[int] = mapped_column(SmallInteger)
    class_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    external_id: Mapped[str | None] = mapped_column(String(64))


class Subject(Base):
    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("school_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # R11: a subject taught "without certification" gets no final marks.
    certified: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    external_id: Mapped[str | None] = mapped_column(String(64))


class Pupil(Base):
    __tablename__ = "pupils"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    admitted_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)


class Guardianship(Base):
    """A guardian of a pupil. R19: consent to personal-data processing; R18: opt-out."""

    __tablename__ = "guardianships"

    guardian_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    pupil_id: Mapped[int] = mapped_column(
        ForeignKey("pupils.person_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    consent: Mapped[bool | None] = mapped_column(Boolean)
    consent_at: Mapped[datetime | None]
    diary_opt_out: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    opt_out_at: Mapped[datetime | None]


class Group(Base):
    """A subgroup of a class for one subject (R20)."""

    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("class_id", "subject_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    pupil_id: Mapped[int] = mapped_column(
        ForeignKey("pupils.person_id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Assignment(Base):
    """A teacher teaches a subject to a class or to one of its subgroups."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint(
            "teacher_id", "subject_id", "class_id", "group_id", postgresql_nulls_not_distinct=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))


class Bell(Base):
    __tablename__ = "bells"

    school_id: Mapped[int] = mapped_column(
        ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_no: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)


class TimetableEntry(Base):
    __tablename__ = "timetable"
    __table_args__ = (
        UniqueConstraint(
            "class_id", "group_id", "weekday", "lesson_no", postgresql_nulls_not_distinct=True
        ),
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday"),
        Index("ix_timetable_school_weekday", "school_id", "weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    lesson_no: Mapped[int] = mapped_column(SmallInteger)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    room: Mapped[str | None] = mapped_column(String(20))


class Lesson(Base):
    """A lesson on a date, materialised from the timetable (or added by hand)."""

    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint(
            "class_id", "group_id", "date", "lesson_no", postgresql_nulls_not_distinct=True
        ),
        Index("ix_lessons_teacher_date", "teacher_id", "date"),
        Index("ix_lessons_school_date", "school_id", "date"),
        Index("ix_lessons_class_homework_due", "class_id", "homework_due"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    lesson_no: Mapped[int] = mapped_column(SmallInteger)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    # R5: the teacher who actually gives the lesson; the planned one when substituted.
    teacher_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    planned_teacher_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    room: Mapped[str | None] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(Text)
    homework: Mapped[str | None] = mapped_column(Text)
    # Homework is given at this lesson and due at the next lesson of the subject for the
    # class or group (NULL: due on this lesson's own date, homework stored before 0009).
    homework_due: Mapped[dt.date | None] = mapped_column(Date)
    topic_set_at: Mapped[datetime | None]
    homework_set_at: Mapped[datetime | None]
    # Set when the roll call is complete, so "not taken yet" differs from "all present".
    attendance_taken_at: Mapped[datetime | None]


class Attendance(Base):
    """No row means "not taken yet" for that pupil."""

    __tablename__ = "attendance"
    __table_args__ = (
        CheckConstraint(_enum_check("status", Presence), name="status"),
        CheckConstraint(_enum_check("reason", AbsenceReason), name="reason"),
    )

    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True
    )
    pupil_id: Mapped[int] = mapped_column(
        ForeignKey("pupils.person_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(20), server_default=text("'unconfirmed'"))
    reason_note: Mapped[str | None] = mapped_column(Text)
    reason_confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason_confirmed_at: Mapped[datetime | None]
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime]


class WorkType(Base):
    __tablename__ = "work_types"
    __table_args__ = (
        UniqueConstraint("school_id", "code"),
        CheckConstraint("weight > 0", name="weight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(60))
    weight: Mapped[Decimal] = mapped_column(Numeric(4, 2))


class Mark(Base):
    """A mark on a lesson. A mark and an absence may coexist for a make-up (R15)."""

    __tablename__ = "marks"
    __table_args__ = (
        CheckConstraint("value BETWEEN 1 AND 5", name="value"),
        Index("ix_marks_pupil_lesson", "pupil_id", "lesson_id"),
        Index("ix_marks_lesson", "lesson_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.person_id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    work_type_id: Mapped[int] = mapped_column(ForeignKey("work_types.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FinalMark(Base):
    """A period mark (R11): 1–5 or осв / н/а / безотм; changed only by the director (R7)."""

    __tablename__ = "final_marks"
    __table_args__ = (
        UniqueConstraint("period_id", "subject_id", "pupil_id"),
        CheckConstraint("value IN ('1','2','3','4','5','осв','н/а','безотм')", name="value"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.person_id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    set_at: Mapped[datetime]


class AuditEntry(Base):
    """Append-only (a trigger refuses UPDATE and DELETE): who, when, old, new, reason (R9)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_school_at", "school_id", "at"),
        Index("ix_audit_log_binding_at", "binding_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The binding (Telegram account) the change was made through (R3); None: the command
    # line. No foreign key: the log is append-only and keeps the id as history.
    binding_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(20))
    entity_key: Mapped[dict[str, Any]]
    old: Mapped[dict[str, Any] | None]
    new: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(BigInteger)


class CorrectionRequest(Base):
    """A change after the deadline or the edit window, awaiting the deputy (R7, R8)."""

    __tablename__ = "correction_requests"
    __table_args__ = (
        CheckConstraint(_enum_check("status", RequestStatus), name="status"),
        Index("ix_correction_requests_school_status", "school_id", "status"),
        Index("ix_correction_requests_binding", "binding_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.person_id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(20))  # "mark" | "attendance"
    change: Mapped[dict[str, Any]]
    old: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[datetime]
    # The binding (Telegram account) it was filed through (R3); NULL from the console.
    binding_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("bindings.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(10), server_default=text("'pending'"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]


class Invitation(Base):
    """A one-time invitation code; only its SHA-256 is stored (R2)."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint(_enum_check("role", BindingRole), name="role"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The binding it was issued through (R3); NULL from the console. Added after both
    # tables (bindings refer to invitations too), as migration 0011 does.
    issued_by_binding_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("bindings.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None]


class Binding(Base):
    """A Telegram account bound to a person in a role. One account may hold several."""

    __tablename__ = "bindings"
    __table_args__ = (
        CheckConstraint(_enum_check("role", BindingRole), name="role"),
        Index(
            "uq_bindings_active",
            "telegram_user_id",
            "person_id",
            "role",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index("ix_bindings_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    # Set when Telegram answers 403 (blocked, deactivated): nothing more is sent to it.
    unreachable_at: Mapped[datetime | None]
    # How an admin tells two accounts of one person apart (R3): the Telegram profile it
    # was bound from, and its last interaction with the bot (updated at most once a
    # minute, ``core.accounts.SEEN_EVERY``).
    telegram_name: Mapped[str | None] = mapped_column(String(200))
    telegram_username: Mapped[str | None] = mapped_column(String(64))
    last_seen_at: Mapped[datetime | None]


class RedeemAttempt(Base):
    """Failed code redemptions per Telegram user, to limit guessing (R2)."""

    __tablename__ = "redeem_attempts"
    __table_args__ = (Index("ix_redeem_attempts_user_at", "telegram_user_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]


class Account(Base):
    """A Telegram account's place in the bot: which of its bindings it acts through now,
    which child a parent is looking at, and the language it reads."""

    __tablename__ = "accounts"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str | None] = mapped_column(String(5))
    active_binding_id: Mapped[int | None] = mapped_column(
        ForeignKey("bindings.id", ondelete="SET NULL")
    )
    active_pupil_id: Mapped[int | None] = mapped_column(
        ForeignKey("pupils.person_id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime]


class ConversationState(Base):
    """Conversation state (e.g. waiting for the homework text), kept in PostgreSQL so it
    survives a restart and is shared by instances behind a webhook."""

    __tablename__ = "conversation_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    updated_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class NotificationPrefs(Base):
    """A parent binding's choices for what is sent unasked (R16)."""

    __tablename__ = "notification_prefs"

    binding_id: Mapped[int] = mapped_column(
        ForeignKey("bindings.id", ondelete="CASCADE"), primary_key=True
    )
    digest_enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # NULL: the school's digest time (20:00 by default).
    digest_time: Mapped[time | None] = mapped_column(Time)
    absence_alerts: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


# The outbox and the alert states are read and written in SQL (notifications/outbox.py,
# sender.py; core/jobs.py), so they are declared as tables, not mapped classes.

# A message sent unasked (digest, alert, round), queued before it is delivered. ``key``
# makes building idempotent. ``status``: pending → sent | failed | unreachable; a pending
# row is claimed by a sender until ``claimed_until`` (a lease), and is due at
# ``next_attempt_at`` (NULL: now). See notifications/outbox.py and sender.py.
outbox_table = Table(
    "outbox",
    Base.metadata,
    Column("id", BigInteger, primary_key=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("binding_id", BigInteger, ForeignKey("bindings.id", ondelete="SET NULL")),
    Column("text", Text, nullable=False),
    # Through which messenger it goes (its adapter in notifications/channels/), and its
    # buttons as rows of {"text", "data"} or {"text", "url"}, whatever the messenger.
    Column("channel", String(16), nullable=False, server_default=text("'telegram'")),
    Column("buttons", JSONB),
    Column("meta", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("not_before", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("status", String(12), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("claimed_by", String(100)),
    Column("claimed_until", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("message_id", BigInteger),
    Column("failed_at", DateTime(timezone=True)),
    Column("error_code", Integer),
    Column("last_error", Text),
    CheckConstraint("status IN ('pending', 'sent', 'failed', 'unreachable')", name="status"),
    Index(
        "ix_outbox_due",
        text("COALESCE(next_attempt_at, '-infinity'::timestamptz)"),
        "id",
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_outbox_chat_pending", "chat_id", "id", postgresql_where=text("status = 'pending'")),
    Index("ix_outbox_status_kind", "status", "kind"),
)


# --- notifications: what was sent unasked, what was read, what parents suggested ---------


class Digest(Base):
    """A parent binding's daily digest (R16) and its read receipt (R17). A row means the
    digest for that day was built (``parts`` messages queued; 0 when there was nothing
    new), so re-running the job builds nothing twice. ``read_at``: «Прочитано ✓» pressed."""

    __tablename__ = "digests"

    binding_id: Mapped[int] = mapped_column(
        ForeignKey("bindings.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime]
    parts: Mapped[int] = mapped_column(SmallInteger)
    read_at: Mapped[datetime | None]


class AbsenceSuggestion(Base):
    """A parent's suggested reason for a pupil's absence on a day: it waits in the class
    teacher's queue; only the class teacher confirms a reason, from documents (R6)."""

    __tablename__ = "absence_suggestions"
    __table_args__ = (
        UniqueConstraint("pupil_id", "day", "suggested_by"),
        CheckConstraint(
            "reason IN ('illness', 'parent_statement', 'other_excused')", name="reason"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.person_id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    suggested_by: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("bindings.id", ondelete="SET NULL"))
    suggested_at: Mapped[datetime]


# What the last instant absence alert (or correction) told a parent binding about a
# pupil's day: its version and the absent lessons (ids, JSONB) it announced.
absence_alert_states_table = Table(
    "absence_alert_states",
    Base.metadata,
    Column(
        "binding_id",
        BigInteger,
        ForeignKey("bindings.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "pupil_id",
        Integer,
        ForeignKey("pupils.person_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("day", Date, primary_key=True),
    Column("version", SmallInteger, nullable=False),
    Column("lessons", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class NotificationJobRun(Base):
    """A scheduled notification job done for a school and a due time (slot), so that a
    missed run is caught up once and a second instance does not repeat it."""

    __tablename__ = "notification_job_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    school_id: Mapped[int] = mapped_column(
        ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[datetime] = mapped_column(primary_key=True)
    done_at: Mapped[datetime]
    items: Mapped[int] = mapped_column(Integer)


# Digests gather the marks recorded since the previous digest.
Index("ix_marks_updated_at", Mark.__table__.c.updated_at)
