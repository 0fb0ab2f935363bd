"""Reporting periods (R10): the list, a period's card with close (asked first when early)
and, for the director, reopen with a reason."""

from __future__ import annotations

from datetime import date

from bot.actions import PeriodCb
from bot.screen import Button, Row, Screen, Style, quote
from bot.screens.nav import menu_row, to_menu
from core.periods import PeriodView
from texts import Texts


def _span(p: PeriodView) -> dict[str, str]:
    return {"start": f"{p.starts_on:%d.%m}", "end": f"{p.ends_on:%d.%m.%Y}"}


def periods(tx: Texts, rows: list[PeriodView]) -> Screen:
    if not rows:
        return to_menu(tx, tx("periods.none"))
    buttons: list[Row] = [
        [
            Button(
                tx(
                    "periods.button_closed" if p.closed else "periods.button_open",
                    name=p.name,
                    **_span(p),
                ),
                PeriodCb(period=p.id, act="s"),
            )
        ]
        for p in rows
    ]
    return Screen(tx("periods.title"), [*buttons, menu_row(tx)])


def card(tx: Texts, p: PeriodView, may_reopen: bool) -> Screen:
    """Open: close it; closed: the director may reopen it."""
    key = "periods.card_closed" if p.closed else "periods.card_open"
    rows: list[Row] = []
    if not p.closed:
        rows.append([Button(tx("periods.close"), PeriodCb(period=p.id, act="c"))])
    elif may_reopen:
        rows.append([Button(tx("periods.reopen"), PeriodCb(period=p.id, act="o"))])
    rows.append([Button(tx("nav.back"), PeriodCb())])
    return Screen(tx(key, name=quote(p.name), **_span(p)), rows)


def close_early(tx: Texts, p: PeriodView, end: date) -> Screen:
    """R10: closing before the period's last day asks first, saying so."""
    return Screen(
        tx("periods.confirm_early", name=quote(p.name), end=f"{end:%d.%m.%Y}"),
        [
            [
                Button(
                    tx("periods.close_early"), PeriodCb(period=p.id, act="e"), style=Style.NEGATIVE
                )
            ],
            [Button(tx("periods.keep_open"), PeriodCb(period=p.id, act="s"))],
        ],
    )


def ask_reason(tx: Texts, p: PeriodView) -> Screen:
    return Screen(tx("periods.ask_reason", name=quote(p.name)))


def reopened(tx: Texts, p: PeriodView) -> Screen:
    return Screen(tx("periods.reopened", name=quote(p.name)))
