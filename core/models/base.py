"""The declarative base, its naming convention, and the enumerations the tables check."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    DateTime,
    MetaData,
    Table,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

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


class Messenger(StrEnum):
    """The messengers a person reaches the journal through; an account is a user of one
    (their ids are separate number spaces)."""

    TELEGRAM = "telegram"
    MAX = "max"

    @property
    def label(self) -> str:
        """The messenger's own name, as people know it (the same in every language)."""
        return "Telegram" if self is Messenger.TELEGRAM else "MAX"


class BindingRole(StrEnum):
    """The hat a messenger account wears. A staff binding carries all the person's staff
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


class AbsenceChoice(StrEnum):
    """What a parent hears of a child's absences (R16): every one, only those without a
    reason (not given yet, or found unexcused), or none."""

    ALL = "all"
    UNEXCUSED = "unexcused"
    OFF = "off"


EXCUSED_REASONS = frozenset(
    {AbsenceReason.ILLNESS, AbsenceReason.PARENT_STATEMENT, AbsenceReason.OTHER_EXCUSED}
)

FINAL_SPECIAL_VALUES = ("осв", "н/а", "безотм")  # R11: exempt, not certified, no-mark


class ChangeKind(StrEnum):
    """What a change of the day's timetable did to a lesson (R25)."""

    CANCEL = "cancel"
    MOVE = "move"
    ROOM = "room"
    SUBSTITUTE = "substitute"
    RESTORE = "restore"  # a cancel or a move undone: the lesson is given at its slot again


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


def _enum_check(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"
