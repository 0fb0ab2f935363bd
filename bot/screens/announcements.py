"""Announcements (issue 13.3): whom to write to, who gets it, the prompt, the preview (the
message as its readers will see it, drawn by the function the outbox's rows are drawn
by), and «Кто прочитал: 18 из 27» with a page of those who have not."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.actions import AnnounceCb, AnnounceReadCb, AnnounceViewCb
from bot.screen import Button, Row, Screen, quote
from bot.screens.nav import menu_row
from core.announcements import TEXT_LIMIT, Audience, Letter, ReadReport, Scope, Target
from texts import Texts

UNREAD_PAGE = 30  # names a page of «Не прочитали» lists


def target_label(tx: Texts, target: Target) -> str:
    if target.scope is Scope.SCHOOL:
        return tx("announce.target.school")
    if target.scope is Scope.GRADE:
        return tx("announce.target.grade", grade=target.target_id)
    return tx(f"announce.target.{target.scope.value}", name=quote(target.name))


def audience_label(tx: Texts, audience: Audience) -> str:
    return tx(f"announce.aud.{audience.value}")


def targets(
    tx: Texts, found: list[Target], sent: list[tuple[int, datetime, str]], tz: ZoneInfo
) -> Screen:
    """«Кому написать?»: the author's targets, then their last announcements."""
    lines = [tx("announce.pick_target") if found else tx("announce.no_targets")]
    rows: list[Row] = [
        [
            Button(
                target_label(tx, t),
                AnnounceCb(act="t", scope=t.scope.value, target=t.target_id),
            )
        ]
        for t in found
    ]
    if sent:
        lines.append(tx("announce.recent"))
        rows += [
            [Button(f"{at.astimezone(tz):%d.%m} {' '.join(start.split())}…", AnnounceViewCb(ann=i))]
            for i, at, start in sent
        ]
    return Screen("\n\n".join(lines), [*rows, menu_row(tx)])


def audiences(tx: Texts, target: Target) -> Screen:
    def pick(audience: Audience) -> Button:
        action = AnnounceCb(
            act="a", scope=target.scope.value, target=target.target_id, aud=audience.value
        )
        return Button(audience_label(tx, audience), action)

    return Screen(
        tx("announce.pick_audience", target=target_label(tx, target)),
        [[pick(a)] for a in Audience] + [[Button(tx("nav.back"), AnnounceCb(act="n"))]],
    )


def prompt(tx: Texts, target: Target, audience: Audience) -> Screen:
    text = tx(
        "announce.prompt",
        target=target_label(tx, target),
        audience=audience_label(tx, audience),
        limit=TEXT_LIMIT,
    )
    return Screen(text, [[Button(tx("announce.cancel"), AnnounceCb(act="x"))]])


def message_text(tx: Texts, letter: Letter, *, reminder: bool = False) -> str:
    """The announcement as its readers get it: who writes to whom, then the author's text."""
    header = tx(
        "announce.reminder_header" if reminder else "announce.header",
        target=target_label(tx, letter.target),
        author=quote(letter.author_name),
    )
    return f"{header}\n\n{quote(letter.text)}"


def read_buttons(tx: Texts, binding_id: int, announcement_id: int, *, read: bool) -> list[Row]:
    """«Прочитано ✓» under an announcement (the digest's receipt button, R17)."""
    label = tx("digest.read_mark" if read else "digest.read")
    return [[Button(label, AnnounceReadCb(binding=binding_id, ann=announcement_id))]]


def preview(tx: Texts, letter: Letter, audience: Audience, token: str) -> Screen:
    note = tx("announce.preview", audience=audience_label(tx, audience))
    return Screen(
        f"{note}\n\n{message_text(tx, letter)}",
        [
            [Button(tx("announce.send"), AnnounceCb(act="s", token=token))],
            [
                Button(tx("announce.edit"), AnnounceCb(act="e", token=token)),
                Button(tx("announce.cancel"), AnnounceCb(act="x")),
            ],
        ],
    )


def report(tx: Texts, found: ReadReport, page: int, tz: ZoneInfo) -> Screen:
    """«Кто прочитал: 18 из 27», a page of those who have not, the reminder once."""
    letter = found.letter
    start = " ".join(letter.text.split())
    lines = [
        tx(
            "announce.report",
            date=f"{found.created_at.astimezone(tz):%d.%m.%Y %H:%M}",
            target=target_label(tx, letter.target),
            text=quote(start if len(start) <= 200 else start[:199] + "…"),
            read=found.read,
            total=found.total,
        )
    ]
    unread = found.unread
    pages = max(1, -(-len(unread) // UNREAD_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = unread[page * UNREAD_PAGE : (page + 1) * UNREAD_PAGE]
    if not found.total:
        lines.append(tx("announce.none_reached"))
    elif not unread:
        lines.append(tx("announce.all_read"))
    else:
        first = page * UNREAD_PAGE + 1
        lines.append(
            tx("announce.unread", first=first, last=first + len(shown) - 1, count=len(unread))
        )
        lines += [
            tx("announce.unread_line", name=quote(u.full_name), detail=quote(u.detail))
            if u.detail
            else quote(u.full_name)
            for u in shown
        ]
    if found.reminded:
        lines.append(tx("announce.was_reminded"))
    ann = letter.announcement_id
    rows: list[Row] = []
    turns = [
        Button(label, AnnounceViewCb(ann=ann, page=p))
        for label, p in ((f"◀ {page}", page - 1), (f"{page + 2} ▶", page + 1))
        if 0 <= p < pages
    ]
    if turns:
        rows.append(turns)
    if unread and not found.reminded:
        rows.append([Button(tx("announce.remind"), AnnounceViewCb(ann=ann, page=page, remind=1))])
    rows.append([Button(tx("announce.refresh"), AnnounceViewCb(ann=ann, page=page))])
    rows.append([Button(tx("nav.back"), AnnounceCb(act="n")), *menu_row(tx)])
    return Screen("\n".join(lines), rows)
