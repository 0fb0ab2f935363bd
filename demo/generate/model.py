"""What a school being built is made of: teachers, courses, classes, guardians, pupils."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(eq=False, slots=True)
class _Teacher:
    full_name: str
    specialty: str
    room: str
    cap: int = 30
    roles: list[str] = field(default_factory=lambda: ["teacher"])
    busy: int = 0  # bitmask of weekly slots
    hours: int = 0
    ext_id: str = ""


@dataclass(eq=False, slots=True)
class _Course:
    """One subject of a class (or of a subgroup split: one teacher per group)."""

    subject: str
    hours: int
    teachers: tuple[_Teacher, ...]
    groups: tuple[str, ...] = ("",)


@dataclass(eq=False, slots=True)
class _Class:
    name: str
    grade: int
    size: int
    room: str = ""
    class_teacher: _Teacher | None = None
    ext_id: str = ""
    # (day 0-based, lesson 0-based, subject, group, teacher)
    lessons: list[tuple[int, int, str, str, _Teacher]] = field(default_factory=list)
    hours_by_teacher: dict[int, int] = field(default_factory=dict)
    pupils: list[_Pupil] = field(default_factory=list)
    split_subjects: list[str] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class _Guardian:
    full_name: str
    phone: str
    consent: bool
    ext_id: str = ""


@dataclass(eq=False, slots=True)
class _Pupil:
    full_name: str
    birth_date: date
    cls: _Class
    guardians: list[_Guardian]
    ext_id: str = ""
