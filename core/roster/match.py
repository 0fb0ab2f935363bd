"""The shared part of an import plan: the file's rows as nodes (a person, class, subject or
subgroup, each matched to the journal's row or new), the references between sheets
resolved to them, and the small helpers every sheet counts with.

A reference that resolves to nothing (or to several rows) is a problem at its place; a
node not written yet stands for itself in a key, so a key with a new node never matches
an existing row (:func:`ids`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.roster.rows import (
    Problem,
    PupilRow,
    Roster,
    TeacherRow,
    class_key,
    clean,
    name_key,
)
from core.roster.snapshot import DbClass, DbPerson, DbSubject, Snapshot
from core.roster.summary import SheetCounts


@dataclass(eq=False)
class Person:
    full_name: str
    ext: str | None
    sheet: str
    row: int
    db: DbPerson | None = None
    id: int | None = None
    teacher: TeacherRow | None = None
    pupil: PupilRow | None = None
    klass: Class | None = None  # a pupil's class after the import
    phone: str | None = None
    passive: bool = False  # an existing person referred to, not listed in the file


@dataclass(eq=False)
class Class:
    name: str
    ext: str | None
    grade: int
    row: int | None
    db: DbClass | None = None
    id: int | None = None
    teacher: Person | None = None


@dataclass(eq=False)
class Subject:
    name: str
    ext: str | None
    certified: bool | None
    row: int | None
    db: DbSubject | None = None
    id: int | None = None


@dataclass(eq=False)
class Group:
    klass: Class
    subject: Subject
    name: str
    id: int | None = None


class Marker:
    """A lookup that found no single row: several, or one in another class."""


AMBIGUOUS = Marker()
OTHER_CLASS = Marker()


class Context:
    """What every sheet of one import shares: the file, the school's rows, the nodes
    matched so far with their indexes, and the problems and warnings found."""

    def __init__(self, roster: Roster, db: Snapshot, now: datetime, today: date) -> None:
        self.roster = roster
        self.db = db
        self.now = now
        self.today = today  # the school's local date
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

        self.people: list[Person] = []
        self.person_of_db: dict[int, Person] = {}
        self.node_of_record: dict[tuple[str, int], Person] = {}
        self.staff_by_ext: dict[str, Person] = {}
        self.staff_by_name: dict[str, list[Person]] = defaultdict(list)
        self.pupil_by_ext: dict[str, Person] = {}
        self.pupil_by_name: dict[str, list[Person]] = defaultdict(list)

        self.classes: list[Class] = []
        self.class_of_db: dict[int, Class] = {}
        self.class_by_ext: dict[str, Class] = {}
        self.class_by_key: dict[str, Class] = {}
        self.subjects: list[Subject] = []
        self.subject_of_db: dict[int, Subject] = {}
        self.subject_by_ext: dict[str, Subject] = {}
        self.subject_by_key: dict[str, Subject] = {}
        self.groups: dict[tuple[Class, Subject, str], Group] = {}
        # The subgroups' pupils after the import (the groups sheet's; the timetable warns
        # of a subgroup left empty).
        self.members: dict[Group, set[Person]] = {}

    def problem(
        self, sheet: str, row: int | None, column: str | None, key: str, /, **params: Any
    ) -> None:
        self.problems.append(Problem(sheet, row, column, key, params))

    def taken(self, sheet: str, row: int | None, what: str, found: DbClass | DbSubject) -> None:
        """A ``what`` ("class" or "subject") of the file whose name another row of the
        journal has."""
        if found.external_id:
            key = f"roster.{what}_taken_by_id"
            self.problem(sheet, row, "name", key, name=found.name, id=found.external_id)
        else:
            self.problem(sheet, row, "name", f"roster.{what}_name_taken", name=found.name)

    # -- nodes of the journal's rows ------------------------------------------------------

    def claim(self, node: Person, found: DbPerson) -> None:
        node.db = found
        node.id = found.id
        self.person_of_db[found.id] = node

    def person_for_db(self, found: DbPerson) -> Person:
        node = self.person_of_db.get(found.id)
        if node is None:
            node = Person(found.full_name, found.external_id, "", 0, passive=True)
            self.claim(node, found)
        return node

    def pupil_class(self, node: Person) -> Class | None:
        if node.klass is None and node.db is not None and node.db.id in self.db.pupils:
            node.klass = self.class_for_db(self.db.classes[self.db.pupils[node.db.id].class_id])
        return node.klass

    def claim_class(self, node: Class, found: DbClass) -> None:
        node.db = found
        node.id = found.id
        self.class_of_db[found.id] = node

    def class_for_db(self, found: DbClass) -> Class:
        node = self.class_of_db.get(found.id)
        if node is None:
            node = Class(found.name, found.external_id, found.grade, None, found, found.id)
            self.class_of_db[found.id] = node
        return node

    def claim_subject(self, node: Subject, found: DbSubject) -> None:
        node.db = found
        node.id = found.id
        self.subject_of_db[found.id] = node

    # -- references between sheets ----------------------------------------------------------

    def ref_class(self, sheet: str, row: int, column: str, ref: str) -> Class | None:
        node = self.class_by_ext.get(ref) or self.class_by_key.get(class_key(ref))
        if node is not None:
            return node
        found = self.db.classes_by_ext.get(ref)
        if found is None:
            candidates = self.db.classes_by_key.get(class_key(ref), [])
            exact = [c for c in candidates if c.name == ref]
            found = next(iter(exact or candidates), None)
        if found is not None:
            return self.class_for_db(found)
        self.problem(sheet, row, column, "roster.class_not_found", ref=ref)
        return None

    def ref_subject(self, sheet: str, row: int, column: str, ref: str) -> Subject | None:
        node = self.subject_by_ext.get(ref) or self.subject_by_key.get(name_key(ref))
        if node is not None:
            return node
        found = self.db.subjects_by_ext.get(ref)
        if found is None:
            candidates = self.db.subjects_by_key.get(name_key(ref), [])
            found = candidates[0] if candidates else None
        if found is not None:
            node = self.subject_of_db.get(found.id)
            if node is None:
                node = Subject(found.name, found.external_id, None, None, found, found.id)
                self.subject_of_db[found.id] = node
            return node
        self.problem(sheet, row, column, "roster.subject_not_found", ref=ref)
        return None

    def ref_staff(self, sheet: str, row: int, column: str, ref: str) -> Person | None:
        found = self.find_staff(ref)
        if found is AMBIGUOUS:
            self.problem(sheet, row, column, "roster.staff_ambiguous", ref=ref)
            return None
        if found is None:
            self.problem(sheet, row, column, "roster.teacher_not_found", ref=ref)
            return None
        assert isinstance(found, Person)
        return found

    def find_staff(self, ref: str) -> Person | Marker | None:
        node = self.staff_by_ext.get(ref)
        if node is not None:
            return node
        key = name_key(ref)
        candidates = self.staff_by_name.get(key, [])
        if candidates:
            return candidates[0] if len(candidates) == 1 else AMBIGUOUS
        found = self.db.people_by_ext.get(ref)
        if found is not None and found.id in self.db.roles:
            return self.person_for_db(found)
        in_db = [p for p in self.db.people_by_name.get(key, []) if p.id in self.db.roles]
        if len(in_db) > 1:
            return AMBIGUOUS
        return self.person_for_db(in_db[0]) if in_db else None

    def ref_pupil(
        self, sheet: str, row: int, ref: str, klass: Class | None, class_ref: str | None
    ) -> Person | None:
        found = self.find_pupil(ref, klass)
        if found is AMBIGUOUS:
            self.problem(sheet, row, "pupil", "roster.pupil_ambiguous", ref=ref)
            return None
        if found is OTHER_CLASS:
            self.problem(sheet, row, "class", "roster.pupil_in_other_class", ref=ref)
            return None
        if found is None:
            if class_ref:
                self.problem(
                    sheet, row, "pupil", "roster.pupil_not_found_in_class", ref=ref, cls=class_ref
                )
            else:
                self.problem(sheet, row, "pupil", "roster.pupil_not_found", ref=ref)
            return None
        assert isinstance(found, Person)
        return found

    def find_pupil(self, ref: str, klass: Class | None) -> Person | Marker | None:
        node = self.pupil_by_ext.get(ref)
        if node is not None:
            return node
        key = name_key(ref)
        named = self.pupil_by_name.get(key, [])
        # A pupil whose own class is unknown (reported in pupils) matches any class.
        candidates = [n for n in named if klass is None or n.klass in (klass, None)]
        if candidates:
            return candidates[0] if len(candidates) == 1 else AMBIGUOUS
        found = self.db.people_by_ext.get(ref)
        if found is not None and found.id in self.db.pupils:
            return self.person_for_db(found)
        in_db = [
            p
            for p in self.db.people_by_name.get(key, [])
            if p.id in self.db.pupils
            and (klass is None or self.db.pupils[p.id].class_id == klass.id)
        ]
        if len(in_db) > 1:
            return AMBIGUOUS
        if in_db:
            return self.person_for_db(in_db[0])
        return OTHER_CLASS if named else None

    def group(self, klass: Class, subject: Subject, name: str) -> Group:
        key = (klass, subject, name_key(name))
        group = self.groups.get(key)
        if group is None:
            group = Group(klass, subject, clean(name))
            if klass.id is not None and subject.id is not None:
                group.id = self.db.groups.get((klass.id, subject.id, key[2]))
            self.groups[key] = group
        return group

    # -- differences --------------------------------------------------------------------------

    def person_changed(self, node: Person) -> bool:
        db = node.db
        if db is None or node.passive:
            return False
        return (
            node.full_name != db.full_name
            or (node.ext is not None and node.ext != db.external_id)
            or (node.phone is not None and node.phone != db.phone)
        )


# --- Counting helpers ------------------------------------------------------------------------


def tally(counts: SheetCounts, added: bool, updated: bool) -> None:
    if added:
        counts.added += 1
    elif updated:
        counts.updated += 1
    else:
        counts.unchanged += 1


def ids(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """A key of nodes as a key of ids. A node not written yet stands for itself, so a key
    with a new node never matches an existing row (and two new nodes stay distinct)."""
    return tuple(id_of(k) for k in key)


def id_of(node: Any) -> Any:
    if node is None or isinstance(node, int):
        return node
    return node.id if node.id is not None else node


def sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(-1 if k is None else k for k in key)
