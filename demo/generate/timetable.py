"""The timetable engine: weekly slots as bits, courses placed so that no class and no
teacher has two lessons at once."""

from __future__ import annotations

import random
from collections.abc import Sequence

from demo.generate.curriculum import MAX_LESSONS, WEEKDAYS
from demo.generate.model import _Class, _Course

# A weekly slot is a bit: bit (day * 8 + lesson_index) of an int mask.
_DAY_MASKS = tuple(0xFF << (day * 8) for day in range(WEEKDAYS))


def _class_mask(counts: Sequence[int]) -> int:
    mask = 0
    for day, n in enumerate(counts):
        mask |= ((1 << n) - 1) << (day * 8)
    return mask


def _place(
    rng: random.Random, counts: Sequence[int], courses: Sequence[_Course]
) -> list[int] | int:
    """Put every lesson of ``courses`` into the class's weekly slots so that no teacher is
    busy elsewhere; a split course puts both groups into the same slot. Returns the slot
    bit of each lesson (in course/hour order), or the index of a course that did not fit."""
    free = _class_mask(counts)
    units: list[int] = []  # course index per lesson
    busy: list[int] = []
    for ci, course in enumerate(courses):
        mask = 0
        for teacher in course.teachers:
            mask |= teacher.busy
        units.extend([ci] * course.hours)
        busy.extend([mask] * course.hours)
    if len(units) != free.bit_count():
        raise ValueError("the courses do not fill the class's week exactly")
    # Most constrained lessons first, then subjects with more lessons to spread over the
    # week; random among equals.
    keys = [
        ((free & ~b).bit_count(), -courses[ci].hours, rng.random())
        for ci, b in zip(units, busy, strict=True)
    ]
    order = sorted(range(len(units)), key=keys.__getitem__)
    per_day: dict[int, list[int]] = {}
    slots = [0] * len(units)
    for i in order:
        feasible = free & ~busy[i]
        if not feasible:
            return units[i]
        seen = per_day.setdefault(units[i], [0] * WEEKDAYS)
        best_days: list[int] = []
        best_key: tuple[int, int] | None = None
        for day in range(WEEKDAYS):
            if feasible & _DAY_MASKS[day]:
                # Spread a subject over the week; prefer days with more room left.
                key = (seen[day], -(free & _DAY_MASKS[day]).bit_count())
                if best_key is None or key < best_key:
                    best_key, best_days = key, [day]
                elif key == best_key:
                    best_days.append(day)
        day = best_days[0] if len(best_days) == 1 else rng.choice(best_days)
        day_bits = feasible & _DAY_MASKS[day]
        candidates = [b for b in range(day * 8, day * 8 + MAX_LESSONS) if day_bits >> b & 1]
        bit = candidates[0] if len(candidates) == 1 else rng.choice(candidates)
        free &= ~(1 << bit)
        seen[day] += 1
        slots[i] = bit
    return slots


def _commit(cls: _Class, courses: Sequence[_Course], slots: Sequence[int]) -> None:
    i = 0
    for course in courses:
        for _ in range(course.hours):
            bit = slots[i]
            i += 1
            day, lesson = divmod(bit, 8)
            for teacher, group in zip(course.teachers, course.groups, strict=True):
                teacher.busy |= 1 << bit
                teacher.hours += 1
                cls.lessons.append((day, lesson, course.subject, group, teacher))
                cls.hours_by_teacher[id(teacher)] = cls.hours_by_teacher.get(id(teacher), 0) + 1
    cls.lessons.sort(key=lambda x: (x[0], x[1], x[3]))
