"""The class teacher's list of parents who have not read the week's digests (R17). (The
digest itself, with its buttons, is drawn by ``notifications/digest.py``, when it is sent
and again when it is read.)"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.actions import ClassCb, UnreadCb
from bot.screen import Button, Screen, quote
from core.digest import UnreadReport
from texts import Texts


def unread(tx: Texts, class_id: int, monday: date, report: UnreadReport, tz: ZoneInfo) -> Screen:
    lines = [
        tx(
            "unread.title",
            cls=quote(report.class_name),
            start=f"{report.start:%d.%m}",
            end=f"{report.end:%d.%m}",
        )
    ]
    for p in report.parents:
        lines.append(
            tx(
                "unread.line",
                name=quote(p.parent_name),
                children=quote(p.children),
                read=p.read,
                sent=p.sent,
            )
        )
    if not report.parents:
        lines.append(tx("unread.none"))
    if report.unreachable:
        lines.append("")
        lines.append(tx("unread.unreachable_title"))
        for name, children, since in report.unreachable:
            lines.append(
                tx(
                    "unread.unreachable_line",
                    name=quote(name),
                    children=quote(children),
                    since=f"{since.astimezone(tz):%d.%m}",
                )
            )
    prev_week, next_week = monday - timedelta(days=7), monday + timedelta(days=7)
    rows = [
        [
            Button(f"◀ {prev_week:%d.%m}", UnreadCb(cls=class_id, day=prev_week.toordinal())),
            Button(f"{next_week:%d.%m} ▶", UnreadCb(cls=class_id, day=next_week.toordinal())),
        ],
        [Button(tx("nav.back"), ClassCb(cls=class_id, view="t"))],
    ]
    return Screen("\n".join(lines), rows)
