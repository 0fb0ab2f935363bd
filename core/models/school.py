"""The school and its people: years, periods, classes, subjects, pupils, guardians,
subgroups, assignments, bells and the timetable."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, StaffRole, _enum_check


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


class SchoolBot(Base):
    """A school's own Telegram bot (issue 14): the bot's id (the token's public prefix),
    its username, and its token encrypted with the deployment's ``BOT_TOKEN_KEY``, so that
    a dump of the database alone does not reveal it."""

    __tablename__ = "school_bots"

    school_id: Mapped[int] = mapped_column(
        ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True
    )
    bot_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    username: Mapped[str] = mapped_column(String(64))
    token_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    set_at: Mapped[datetime] = mapped_column()


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
