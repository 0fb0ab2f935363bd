"""The Friday round (R6): the class teacher confirms the reasons for the week's absences
once a week. Here: the round's content (``round``), the reason recorded for a pupil's day
(``reasons``) and the parents' suggested reasons (``suggestions``). The message is built
in ``notifications/friday_round.py``, its buttons handled in ``bot/telegram/handlers/``."""

from core.friday_round.reasons import AbsenceEntry, confirm_reason, pupil_absences
from core.friday_round.round import (
    ClassRound,
    EntryState,
    RoundEntry,
    RoundView,
    round_view,
    round_view_in,
    unconfirmed_absences,
)
from core.friday_round.suggestions import (
    NOTE_LIMIT,
    SUGGESTIBLE,
    ReasonAnswer,
    Suggestion,
    SuggestionView,
    absence_to_explain,
    add_suggestion_note,
    class_suggestions,
    parents_to_tell,
    pending_suggestions_by,
    reject_suggestions,
    suggest_reason,
    suggestions_for,
    unconfirmed_left,
)

__all__ = [
    "NOTE_LIMIT",
    "SUGGESTIBLE",
    "AbsenceEntry",
    "ClassRound",
    "EntryState",
    "ReasonAnswer",
    "RoundEntry",
    "RoundView",
    "Suggestion",
    "SuggestionView",
    "absence_to_explain",
    "add_suggestion_note",
    "class_suggestions",
    "confirm_reason",
    "parents_to_tell",
    "pending_suggestions_by",
    "pupil_absences",
    "reject_suggestions",
    "round_view",
    "round_view_in",
    "suggest_reason",
    "suggestions_for",
    "unconfirmed_absences",
    "unconfirmed_left",
]
