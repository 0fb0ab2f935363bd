"""The first screens: consent (R19), the main menu, help, roles and logout (R24)."""

from __future__ import annotations

from bot.actions import (
    AdminCb,
    AnnounceCb,
    ClassCb,
    ConsentCb,
    FamilyCb,
    FamilyView,
    LogoutCb,
    Nav,
    NavCb,
    OverdueCb,
    PeriodCb,
    PlanCb,
    ReportCb,
    RoleCb,
    RulesCb,
    ScheduleCb,
    SubCb,
)
from bot.screen import Button, Row, Screen, Style, quote
from bot.screens.common import children
from core.access import Actor
from core.accounts import Caller, PupilRef
from core.invitations import BindingView
from core.models import BindingRole, StaffRole
from texts import Texts


def bound(tx: Texts, full_name: str, role: BindingRole) -> Screen:
    """R2: the code is redeemed; the account now acts as this person in this role."""
    return Screen(tx("start.bound", name=quote(full_name), role=tx(f"role.{role.value}")))


def consent(tx: Texts, binding_id: int, text: str | None = None) -> Screen:
    """R19: agree or refuse; ``text`` replaces the question (after a refusal)."""
    return Screen(
        text or tx("consent.ask"),
        [
            [Button(tx("consent.agree"), ConsentCb(binding=binding_id), style=Style.POSITIVE)],
            [Button(tx("consent.refuse"), ConsentCb(binding=binding_id, refuse=1))],
        ],
    )


def menu(
    tx: Texts,
    caller: Caller,
    class_ids: list[tuple[int, str]],
    kids: list[PupilRef] | None = None,
) -> Screen:
    """``kids``: a parent's children; with more than one, the first row switches the child."""
    actor = caller.actor
    assert actor is not None
    rows: list[Row] = []
    if kids and len(kids) > 1:
        rows.append(children(kids, caller.pupil.id if caller.pupil else None))
    if actor.role is BindingRole.STAFF:
        rows += _staff_rows(tx, caller, class_ids)
    else:
        rows.append(
            [
                Button(tx("menu.marks"), FamilyCb(view=FamilyView.MARKS)),
                Button(tx("menu.absences"), FamilyCb(view=FamilyView.ABSENCES)),
            ]
        )
        rows.append(
            [
                Button(tx("menu.homework"), FamilyCb(view=FamilyView.HOMEWORK)),
                Button(tx("menu.schedule"), ScheduleCb()),
            ]
        )
        if actor.role is BindingRole.PARENT:
            rows.append([Button(tx("menu.planned"), PlanCb(act="k"))])
            rows.append([Button(tx("menu.settings"), FamilyCb(view=FamilyView.SETTINGS))])
    if caller.bindings > 1:
        rows.append([Button(tx("menu.switch_role"), RoleCb(binding=0))])
    return Screen(menu_title(tx, caller), rows)


def _staff_rows(tx: Texts, caller: Caller, class_ids: list[tuple[int, str]]) -> list[Row]:
    actor = caller.actor
    assert actor is not None
    rows: list[Row] = []
    if actor.has(StaffRole.TEACHER):
        rows.append([Button(tx("menu.today"), NavCb(to=Nav.TODAY))])
    for class_id, name in class_ids:
        rows.append([Button(tx("menu.my_class", name=name), ClassCb(cls=class_id, view="t"))])
    if class_ids or actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR):  # issue 13.3
        rows.append([Button(tx("menu.announce"), AnnounceCb(act="n"))])
    if actor.has(StaffRole.DEPUTY, StaffRole.DIRECTOR):
        rows.append([Button(tx("menu.requests"), AdminCb(act="q"))])
    if actor.has(StaffRole.DEPUTY, StaffRole.DIRECTOR, StaffRole.ADMIN):
        rows.append([Button(tx("menu.substitutions"), SubCb())])
        rows.append([Button(tx("menu.overdue_written"), OverdueCb())])  # R14
    if actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR, StaffRole.DEPUTY):
        rows.append(
            [Button(tx("menu.reports"), ReportCb()), Button(tx("menu.periods"), PeriodCb())]
        )
    if actor.has(StaffRole.ADMIN, StaffRole.DIRECTOR):
        rows.append(
            [
                Button(tx("menu.staff_codes"), AdminCb(act="k")),
                Button(tx("menu.bindings"), AdminCb(act="b")),
            ]
        )
        rows.append(
            [Button(tx("menu.roster"), AdminCb(act="i")), Button(tx("menu.rules"), RulesCb())]
        )
    return rows


def menu_title(tx: Texts, caller: Caller) -> str:
    assert caller.actor is not None
    role = tx(f"role.{caller.actor.role.value}")
    title = tx("menu.title", name=quote(caller.full_name or ""), role=role)
    if caller.pupil and caller.actor.role is BindingRole.PARENT:
        title += "\n" + tx(
            "menu.child", name=quote(caller.pupil.full_name), cls=caller.pupil.class_name
        )
    return title


def help_text(tx: Texts, actor: Actor, period: str | None = None) -> str:
    """What the account can do in its role; the administration reads its part too. A
    parent reads the school's own name of the period (четверть, триместр…)."""
    if actor.role is BindingRole.STAFF and not actor.has(StaffRole.TEACHER):
        text = tx("help.office")  # /today is a teacher's command
    elif actor.role is BindingRole.PARENT:
        text = tx("help.parent", period=quote(period or tx("help.period_unknown")))
    else:
        text = tx(f"help.{actor.role.value}")
    if actor.oversees_school:
        text += "\n\n" + tx("help.admin")
    if actor.has(StaffRole.DEPUTY, StaffRole.DIRECTOR):  # who may decide requests
        text += "\n" + tx("help.requests")
    return text


def roles(tx: Texts, bindings: list[BindingView], active: int | None) -> Screen:
    return Screen(
        tx("roles.choose"),
        [
            [
                Button(
                    f"{'• ' if b.id == active else ''}{b.full_name} — {tx('role.' + b.role.value)}",
                    RoleCb(binding=b.id),
                )
            ]
            for b in bindings
        ],
    )


def logout(tx: Texts, bindings: list[BindingView]) -> Screen:
    return Screen(
        tx("logout.choose"),
        [
            [Button(f"🚪 {b.full_name} — {tx('role.' + b.role.value)}", LogoutCb(binding=b.id))]
            for b in bindings
        ],
    )
