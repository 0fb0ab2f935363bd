"""R3 notices about a person's own accounts, queued in the outbox (so they survive a
restart): the owner is told that one of their accounts was cut and what was reverted,
on the accounts they still hold; and when another Telegram account binds to the same
person, the accounts already bound are told at once, with a button to cut the new one."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.actions import CutOtherCb
from bot.screen import Button
from core import recipients
from core.journal import Journal
from core.models import Binding, BindingRole
from core.revert import AccountRef, RevertSummary
from notifications.outbox import OutboxItem, enqueue
from texts import Texts

REVERT_KIND = "account_reverted"
SECOND_KIND = "second_account"


def revert_key(binding_id: int, summary: RevertSummary, to_binding: int) -> str:
    return f"{REVERT_KIND}:{binding_id}:{int(summary.since.timestamp())}:{to_binding}"


def render_reverted(tx: Texts, account: AccountRef, summary: RevertSummary, tz: ZoneInfo) -> str:
    r = summary.reverted
    bound = f"{account.created_at.astimezone(tz):%d.%m.%Y %H:%M}" if account.created_at else "—"
    return tx(
        "revert.owner_notice",
        device=escape(account.device or tx("revert.device_unknown")),
        bound=bound,
        since=f"{summary.since.astimezone(tz):%d.%m.%Y %H:%M}",
        count=summary.reverted_total,
        attendance=r.get("attendance", 0),
        marks=r.get("mark", 0),
        finals=r.get("final_mark", 0),
        other=summary.reverted_total
        - sum(r.get(k, 0) for k in ("attendance", "mark", "final_mark")),
    )


async def announce_revert(journal: Journal, account: AccountRef, summary: RevertSummary) -> int:
    """Queue «Аккаунт … отключён; отменено: …» to the person's remaining accounts in the
    role of the cut one. Returns rows queued."""
    async with journal.transaction() as s:
        return await _enqueue_revert(s, journal, account, summary)


async def _enqueue_revert(
    s: AsyncSession, journal: Journal, account: AccountRef, summary: RevertSummary
) -> int:
    person_id = await s.scalar(select(Binding.person_id).where(Binding.id == account.id))
    if person_id is None:
        return 0
    found = await recipients.reachable(s, [person_id], BindingRole(account.role))
    tz = journal.rules.timezone
    items = [
        OutboxItem(
            key=revert_key(account.id, summary, r.binding_id),
            chat_id=r.chat_id,
            channel=r.channel,
            kind=REVERT_KIND,
            text=render_reverted(Texts(r.language), account, summary, tz),
            binding_id=r.binding_id,
        )
        for r in found.get(person_id, [])
        if r.binding_id != account.id
    ]
    return await enqueue(s, items)


async def announce_second_account(journal: Journal, binding_id: int) -> int:
    """Queue «В журнал вошли с другого аккаунта…» to the person's other accounts (other
    Telegram users) in the new binding's role, each with a button to cut the new one."""
    async with journal.transaction() as s:
        new = await s.get(Binding, binding_id)
        if new is None or new.revoked_at is not None:
            return 0
        found = await recipients.reachable(s, [new.person_id], BindingRole(new.role))
        others = {
            b.id
            for b in await s.scalars(
                select(Binding).where(
                    Binding.person_id == new.person_id,
                    tuple_(Binding.messenger, Binding.user_id)
                    != tuple_(new.messenger, new.user_id),
                )
            )
        }
        account = AccountRef(
            new.id,
            "",
            BindingRole(new.role),
            None,
            new.created_at,
            new.profile_name,
            new.username,
        )
        tz = journal.rules.timezone
        items = []
        for r in found.get(new.person_id, []):
            if r.binding_id not in others:
                continue
            tx = Texts(r.language)
            cut = CutOtherCb(binding=r.binding_id, other=new.id).pack()
            items.append(
                OutboxItem(
                    key=f"{SECOND_KIND}:{new.id}:{r.binding_id}",
                    chat_id=r.chat_id,
                    channel=r.channel,
                    kind=SECOND_KIND,
                    text=tx(
                        "account.second_bound",
                        device=escape(account.device or tx("revert.device_unknown")),
                        at=f"{new.created_at.astimezone(tz):%d.%m.%Y %H:%M}",
                    ),
                    binding_id=r.binding_id,
                    buttons=([[Button(tx("account.cut_other"), cut)]]),
                )
            )
        return await enqueue(s, items)
