"""Roll call (R4): its use cases and what they read (``queries``). The reasons a class
teacher records for absences (R6) are the Friday round's: ``core/friday_round/``.

Database style: SQLAlchemy Core on the attendance table (the roll call is the hot path:
statements built once, plain rows); the lesson itself is the ORM object access control
loads and locks, so its «taken» mark is set on it."""

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
    "RollCall",
    "RollCallLine",
    "cycle_status",
    "mark_rest_present",
    "roll_call",
    "set_status",
]
