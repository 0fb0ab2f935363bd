"""Roll call (R4) and absence reasons (R6): the use cases of the roll call, what they
read (``queries``), and the reasons a class teacher records (``reasons``).

Database style: SQLAlchemy Core on the attendance table (the roll call is the hot path:
statements built once, plain rows); the lesson itself is the ORM object access control
loads and locks, so its «taken» mark is set on it."""

from core.attendance.reasons import AbsenceEntry, confirm_reason, pupil_absences
from core.attendance.use_cases import (
    NEXT_STATUS,
    RollCall,
    RollCallLine,
    cycle_status,
    mark_rest_present,
    roll_call,
    set_status,
)

__all__ = [
    "NEXT_STATUS",
    "AbsenceEntry",
    "RollCall",
    "RollCallLine",
    "confirm_reason",
    "cycle_status",
    "mark_rest_present",
    "pupil_absences",
    "roll_call",
    "set_status",
]
