"""The admin's bindings (R3): a page of them filtered by role and searched by name, a tap
asks to confirm cutting one."""

from __future__ import annotations

from bot.actions import AdminCb, BindingsCb
from bot.screen import Button, Row, Screen, Style, quote
from bot.screens.nav import menu_row
from core.invitations import BINDINGS_PER_PAGE, BindingsPage
from texts import Texts

# The bindings list's role filters: callback value and label key.
BINDING_FILTERS = (
    ("", "bindings.all"),
    ("s", "bindings.staff"),
    ("p", "bindings.parents"),
    ("u", "bindings.pupils"),
)


def page(tx: Texts, found: BindingsPage, view: BindingsCb, search: str) -> Screen:
    """One page of the bindings: ◀ ▶ pages, a role filter, a search."""
    lines = [tx("admin.bindings", count=found.total)]
    if view.role:
        lines.append(tx("bindings.shown", who=tx(dict(BINDING_FILTERS)[view.role])))
    if search:
        lines.append(tx("bindings.searched", text=quote(search)))
    if not found.rows:
        lines.append(tx("bindings.none"))
    elif found.pages > 1:
        first = found.page * BINDINGS_PER_PAGE + 1
        lines.append(
            tx(
                "bindings.page",
                first=first,
                last=first + len(found.rows) - 1,
                total=found.total,
                page=found.page + 1,
                pages=found.pages,
            )
        )
    return Screen("\n".join(lines), _rows(tx, found, view))


def _rows(tx: Texts, found: BindingsPage, view: BindingsCb) -> list[Row]:
    rows: list[Row] = []
    for binding_id, name, role in found.rows:
        cut = BindingsCb(act="r", role=view.role, page=view.page, q=view.q, binding=binding_id)
        rows.append([Button(f"⛔ {name} — {tx('role.' + role)}", cut)])
    pager = []
    if view.page > 0:
        pager.append(
            Button(f"◀ {view.page}", BindingsCb(role=view.role, page=view.page - 1, q=view.q))
        )
    if view.page < found.pages - 1:
        pager.append(
            Button(f"{view.page + 2} ▶", BindingsCb(role=view.role, page=view.page + 1, q=view.q))
        )
    if pager:
        rows.append(pager)
    rows.append(
        [
            Button(("• " if role == view.role else "") + tx(key), BindingsCb(role=role, q=view.q))
            for role, key in BINDING_FILTERS
        ]
    )
    search = [Button(tx("bindings.search"), BindingsCb(act="f", role=view.role))]
    if view.q:
        search.append(Button(tx("bindings.search_reset"), BindingsCb(role=view.role)))
    rows.append(search)
    rows.append([Button(tx("admin.revert"), AdminCb(act="v"))])
    rows.append(menu_row(tx))
    return rows


def confirm_cut(tx: Texts, view: BindingsCb, binding_id: int, name: str, role: str) -> Screen:
    """Yes cuts the binding and goes back to the page it was chosen on; no just goes back."""
    back = BindingsCb(role=view.role, page=view.page, q=view.q)
    yes = BindingsCb(act="y", role=view.role, page=view.page, q=view.q, binding=binding_id)
    return Screen(
        tx("bindings.confirm", name=quote(name), role=tx(f"role.{role}")),
        [
            [Button(tx("bindings.confirm_yes"), yes, style=Style.NEGATIVE)],
            [Button(tx("bindings.confirm_no"), back)],
        ],
    )


def search_prompt(tx: Texts, role: str) -> Screen:
    return Screen(
        tx("bindings.ask"), [[Button(tx("bindings.search_cancel"), BindingsCb(role=role))]]
    )
