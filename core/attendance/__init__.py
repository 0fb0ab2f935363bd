"""Roll call (R4) and absence reasons (R6): the use cases of the roll call, what they
read (``queries``), and the reasons a class teacher records (``reasons``)."""

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
