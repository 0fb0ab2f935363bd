"""A compromised account (R3): pick it, cut it, say since when its actions are void, read
what undoing them does, confirm; the summary after."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.actions import AdminCb, RevertCb
from bot.screen import Button, Row, Screen, Style, quote
from bot.screens.nav import to_menu
from core import revert
from core.revert import AccountRef, RevertItem, RevertSummary
from texts import Texts
from texts.revert import render

PREVIEW_LINES = 40
ACCOUNTS_SHOWN = 90  # buttons under one message


def moment(at: datetime, tz: ZoneInfo) -> str:
    """«ДД.ММ.ГГГГ ЧЧ:ММ» in the school's time zone."""
    return f"{at.astimezone(tz):%d.%m.%Y %H:%M}"


def accounts(tx: Texts, staff: list[AccountRef], tz: ZoneInfo) -> Screen:
    """The staff accounts, numbered: two accounts of one person (two phones) differ in
    when they were bound, the Telegram profile and the last change made through them."""
    rows: list[Row] = []
    lines = [tx("revert.choose"), ""]
    for no, a in enumerate(staff[:ACCOUNTS_SHOWN], start=1):
        role = tx(f"role.{a.role.value}")
        device = a.device or tx("revert.device_unknown")
        fields = {"no": no, "name": a.full_name, "role": role, "device": device}
        if a.revoked_at is None:
            label = tx("revert.account", **fields)
        else:
            label = tx("revert.account_cut", day=f"{a.revoked_at.astimezone(tz):%d.%m}", **fields)
        rows.append([Button(label, AdminCb(act="w", binding=a.id))])
        lines.append(
            tx(
                "revert.account_line",
                bound=moment(a.created_at, tz) if a.created_at else "—",
                last=moment(a.last_used_at, tz) if a.last_used_at else tx("revert.never"),
                **{**fields, "name": quote(a.full_name), "device": quote(device)},
            )
        )
    rows.append([Button(tx("nav.back"), AdminCb(act="b"))])
    return Screen("\n".join(lines), rows)


def ask_since(
    tx: Texts, account: AccountRef, moments: list[tuple[str, int]], example: str
) -> Screen:
    """``moments``: the offered starts (a text key and a Unix time)."""
    text = tx(
        "revert.ask_since",
        name=quote(account.full_name),
        role=tx(f"role.{account.role.value}"),
        example=example,
    )
    rows = [[Button(tx(key), RevertCb(binding=account.id, act="p", at=at))] for key, at in moments]
    rows.append([Button(tx("revert.cancel"), RevertCb(binding=account.id, act="c"))])
    return Screen(text, rows)


def preview(
    tx: Texts, account: AccountRef, items: list[RevertItem], since: datetime, tz: ZoneInfo
) -> Screen:
    when = moment(since, tz)
    if items:
        undo = sum(1 for i in items if i.verdict is revert.Verdict.REVERT)
        lines = [
            tx(
                "revert.preview",
                name=quote(account.full_name),
                since=when,
                count=len(items),
                undo=undo,
            )
        ]
        lines += [quote(render(revert.describe(i, tz), tx)) for i in items[:PREVIEW_LINES]]
        if len(items) > PREVIEW_LINES:
            lines.append(tx("revert.more", count=len(items) - PREVIEW_LINES))
    else:
        lines = [tx("revert.nothing_found", since=when)]
    lines.append(tx("revert.preview_hint"))
    at = int(since.timestamp())
    return Screen(
        "\n".join(lines),
        [
            [
                Button(
                    tx("revert.confirm"),
                    RevertCb(binding=account.id, act="x", at=at),
                    style=Style.NEGATIVE,
                )
            ],
            [Button(tx("revert.cancel"), RevertCb(binding=account.id, act="c"))],
        ],
    )


def done(tx: Texts, summary: RevertSummary, tz: ZoneInfo) -> Screen:
    return to_menu(tx, "\n".join(quote(render(x, tx)) for x in revert.summary_lines(summary, tz)))


def cancelled(tx: Texts) -> Screen:
    return to_menu(tx, tx("revert.cancelled"))
