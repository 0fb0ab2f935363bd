"""A parent's warning of an absence in advance (issue 13): the warnings themselves
(``plans``) and who was warned of, for the roll call and the instant alerts
(``warned``). The parent's suggested reason it holds is the Friday round's (R6)."""

from core.planned.plans import (
    CATEGORIES,
    HORIZON_DAYS,
    Plan,
    PlanChoices,
    PlanDay,
    PlanLesson,
    family_plans,
    plan_absence,
    plan_choices,
    withdraw_plan,
)
from core.planned.warned import Warning, warned_of_lesson, warnings_of_days

__all__ = [
    "CATEGORIES",
    "HORIZON_DAYS",
    "Plan",
    "PlanChoices",
    "PlanDay",
    "PlanLesson",
    "Warning",
    "family_plans",
    "plan_absence",
    "plan_choices",
    "warned_of_lesson",
    "warnings_of_days",
    "withdraw_plan",
]
