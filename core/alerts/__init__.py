"""What the class teacher and parents are told of absences at once: today's alerts
(``absences``) and the week's and month's thresholds (``thresholds``). The messages are
built in ``notifications/alerts.py``."""

from core.alerts.absences import (
    AlertParent,
    AlertSubject,
    TodayMark,
    alert_subjects,
    save_alert_states,
)
from core.alerts.thresholds import ThresholdPupil, month_absence_share, week_absence_days

__all__ = [
    "AlertParent",
    "AlertSubject",
    "ThresholdPupil",
    "TodayMark",
    "alert_subjects",
    "month_absence_share",
    "save_alert_states",
    "week_absence_days",
]
