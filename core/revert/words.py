"""A revert in words, as data: each line is a :class:`Phrase`, a key of the texts
catalogue with its values, some of which are phrases themselves. Core builds no text;
the caller renders a phrase in the reader's language (:func:`texts.revert.render`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from core import audit
from core.revert.model import RevertItem, RevertSummary, Verdict

UNKNOWN = "?"  # a name or place the audit entry no longer resolves
NO_VALUE = "—"  # a snapshot with nothing in it (created or deleted)
_SHOWN = 40  # characters of a free-text value (a topic, homework) shown in one line


@dataclass(frozen=True)
class Phrase:
    """A catalogue ``key`` with its ``params``; a param may be a phrase too."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def _moment(at: Any, tz: ZoneInfo) -> str:
    return str(at.astimezone(tz).strftime("%d.%m.%Y %H:%M"))


def describe(item: RevertItem, tz: ZoneInfo) -> Phrase:
    """One line for the admin: when, what, old → new, and what the revert does with it."""
    return Phrase(
        "revert.item",
        {
            "entry": item.entry_id,
            "at": _moment(item.at, tz),
            "what": _what(item),
            "change": Phrase(
                "revert.change",
                {"old": _value(item, item.old), "new": _value(item, item.new)},
            ),
            "verdict": _verdict(item),
        },
    )


def summary_lines(summary: RevertSummary, tz: ZoneInfo) -> list[Phrase]:
    """What the revert did: the cut, the counts, what else was voided, what was kept."""
    lines = [Phrase("revert.cut_now" if summary.cut_now else "revert.cut_before")]
    r = summary.reverted
    main = sum(r.get(k, 0) for k in ("attendance", "mark", "final_mark"))
    lines.append(
        Phrase(
            "revert.summary",
            {
                "since": _moment(summary.since, tz),
                "count": summary.reverted_total,
                "attendance": r.get("attendance", 0),
                "marks": r.get("mark", 0),
                "finals": r.get("final_mark", 0),
                "other": summary.reverted_total - main,
            },
        )
    )
    if (
        summary.requests_declined
        or summary.invitations_revoked
        or summary.bindings_revoked
        or summary.suggestions_removed
    ):
        lines.append(
            Phrase(
                "revert.voided",
                {
                    "requests": summary.requests_declined,
                    "codes": summary.invitations_revoked,
                    "bindings": summary.bindings_revoked,
                    "suggestions": summary.suggestions_removed,
                },
            )
        )
    skipped = summary.skipped
    if skipped:
        lines.append(Phrase("revert.skipped", {"count": len(skipped)}))
        lines += [Phrase("revert.skipped_item", {"item": describe(i, tz)}) for i in skipped]
    return lines


def _lesson_words(item: RevertItem) -> str | Phrase:
    ref = item.lesson
    if ref is None:
        return UNKNOWN
    return Phrase(
        "revert.lesson",
        {
            "class_name": ref.class_name,
            "subject": ref.subject,
            "date": ref.date.strftime("%d.%m.%Y"),
            "no": ref.lesson_no,
        },
    )


def _what(item: RevertItem) -> str | Phrase:
    pupil = item.pupil or UNKNOWN
    if item.entity in ("attendance", "mark"):
        return Phrase(f"revert.what.{item.entity}", {"pupil": pupil, "lesson": _lesson_words(item)})
    if item.entity == "final_mark":
        return Phrase(
            "revert.what.final_mark",
            {"pupil": pupil, "subject": item.subject or UNKNOWN, "period": item.period or UNKNOWN},
        )
    if item.entity == "lesson":
        return Phrase("revert.what.lesson", {"lesson": _lesson_words(item)})
    if item.entity == "period":
        return Phrase("revert.what.period", {"period": item.period or UNKNOWN})
    if item.action in frozenset(audit.Action):  # in words, never the code
        return Phrase(f"report.action.{item.action}")
    return item.action


def _value(item: RevertItem, snapshot: dict[str, Any] | None) -> str | Phrase:
    if not snapshot:
        return NO_VALUE
    if item.entity == "attendance":
        if "status" in snapshot:
            return Phrase(f"status.{snapshot['status']}")
        return Phrase(f"reason.{snapshot.get('reason')}")
    if item.entity in ("mark", "final_mark"):
        return str(snapshot.get("value", NO_VALUE))
    if item.entity == "period":
        return Phrase("revert.period_closed" if snapshot.get("closed") else "revert.period_open")
    if item.action == audit.Action.LESSON_SCHEDULE:  # R25: a change of the day's timetable
        return _schedule_words(snapshot)
    if item.entity == "lesson" and "teacher_id" in snapshot:
        name = item.teachers[0] if snapshot is item.old else item.teachers[1]
        return name or Phrase("revert.teacher")
    shown = "; ".join(str(v) for v in snapshot.values() if v is not None)
    return shown[:_SHOWN] + ("…" if len(shown) > _SHOWN else "")


def _schedule_words(snapshot: dict[str, Any]) -> Phrase:
    """A schedule change's side in words: the slot it left, or what it made of it."""
    change, room = snapshot.get("change"), snapshot.get("room")
    if change == "move":
        day = date.fromisoformat(str(snapshot.get("date")))
        return Phrase(
            "revert.schedule.move", {"day": f"{day:%d.%m.%Y}", "no": snapshot.get("lesson_no")}
        )
    if change == "room":
        return Phrase("revert.schedule.room", {"room": room or NO_VALUE})
    if change == "restore":
        return Phrase("revert.schedule.restore")
    if change is not None:
        return Phrase("revert.schedule.cancel")
    day = date.fromisoformat(str(snapshot.get("date")))
    slot = {"day": f"{day:%d.%m.%Y}", "no": snapshot.get("lesson_no")}
    if room:
        return Phrase("revert.schedule.slot_room", {**slot, "room": room})
    return Phrase("revert.schedule.slot", slot)


def _verdict(item: RevertItem) -> Phrase:
    if item.verdict is Verdict.CONFLICT:
        return Phrase(
            "revert.verdict.conflict",
            {"name": item.blocked_by_name or UNKNOWN, "entry": item.blocked_by},
        )
    if item.verdict is Verdict.LOCKED:
        return Phrase("revert.verdict.locked", {"period": item.period or UNKNOWN})
    return Phrase(f"revert.verdict.{item.verdict.value}")
