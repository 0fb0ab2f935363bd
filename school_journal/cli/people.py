"""The commands about people and their access: ``journal invite`` (R1, R2: invitation
codes and cards), ``revoke`` (R3: cut a binding, revert what was done through it) and
``opt-out`` (R18: a parent's opt-out of the e-diary)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from core import accounts, directory, invitations, revert
from core.errors import JournalError, NotFound
from core.identity import BotLink
from core.invitations import IssuedCode
from core.models import BindingRole, Messenger
from core.school_bots import with_school_bot
from notifications.revocations import announce_revert
from reports import cards
from school_journal.app import App, telegram_bot
from school_journal.cli.parsing import Commands
from school_journal.console import school_for
from school_journal.settings import Settings
from texts import t
from texts.revert import render


def add_invite(commands: Commands) -> None:
    h = commands.h
    inv = commands.add("invite", "cli.help.invite")
    who = inv.add_mutually_exclusive_group(required=True)
    who.add_argument("--staff", action="store_true", help=h("cli.help.invite.staff"))
    who.add_argument(
        "--class",
        dest="class_name",
        metavar=h("cli.metavar.class"),
        help=h("cli.help.invite.class"),
    )
    who.add_argument("--person", metavar=h("cli.metavar.name"), help=h("cli.help.invite.person"))
    inv.add_argument("--parents", action="store_true", help=h("cli.help.invite.parents"))
    inv.add_argument("--pupils", action="store_true", help=h("cli.help.invite.pupils"))
    inv.add_argument(
        "--role",
        choices=[r.value for r in BindingRole],
        metavar=h("cli.metavar.role"),
        help=h("cli.help.invite.role"),
    )
    commands.school_option(inv)
    inv.add_argument(
        "--pdf", type=Path, metavar=h("cli.metavar.file"), help=h("cli.help.invite.pdf")
    )
    inv.add_argument("--reissue", action="store_true", help=h("cli.help.invite.reissue"))
    inv.add_argument("--yes", action="store_true", help=h("cli.help.invite.yes"))


def add_revoke(commands: Commands) -> None:
    h = commands.h
    rev = commands.add("revoke", "cli.help.revoke")
    which = rev.add_mutually_exclusive_group(required=True)
    which.add_argument("--list", action="store_true", help=h("cli.help.revoke.list"))
    which.add_argument(
        "--binding",
        type=commands.number,
        metavar=h("cli.metavar.id"),
        help=h("cli.help.revoke.binding"),
    )
    rev.add_argument("--since", metavar=h("cli.metavar.moment"), help=h("cli.help.revoke.since"))
    rev.add_argument(
        "--reason", default="", metavar=h("cli.metavar.text"), help=h("cli.help.revoke.reason")
    )
    rev.add_argument("--yes", action="store_true", help=h("cli.help.revoke.yes"))
    commands.school_option(rev)


def add_opt_out(commands: Commands) -> None:
    h = commands.h
    opt = commands.add("opt-out", "cli.help.opt_out")
    opt.add_argument(
        "--parent", required=True, metavar=h("cli.metavar.name"), help=h("cli.help.opt_out.parent")
    )
    opt.add_argument("--pupil", metavar=h("cli.metavar.name"), help=h("cli.help.opt_out.pupil"))
    opt.add_argument("--undo", action="store_true", help=h("cli.help.opt_out.undo"))
    commands.school_option(opt)


async def invite_command(app: App, args: argparse.Namespace) -> int:
    school = await school_for(app.journal, args.school)
    if school is None:
        return 2
    admin = school.admin
    journal = app.journal
    if args.reissue and not args.person and not args.yes:
        print(t("cli.reissue_confirm"), file=sys.stderr)
        return 2
    try:
        if args.staff:
            result = await invitations.issue_for_staff(journal, admin, reissue=args.reissue)
        elif args.class_name:
            found = await directory.find_class(journal, school.id, args.class_name)
            if found is None:
                print(t("cli.class_not_found", name=args.class_name), file=sys.stderr)
                return 1
            roles = {BindingRole.PARENT} if args.parents else set()
            roles |= {BindingRole.PUPIL} if args.pupils else set()
            result = await invitations.issue_for_class(
                journal,
                admin,
                found.id,
                roles or {BindingRole.PARENT, BindingRole.PUPIL},
                reissue=args.reissue,
            )
        else:
            people = await directory.find_people(journal, school.id, args.person)
            if len(people) != 1:
                key = "cli.person_not_found" if not people else "cli.person_ambiguous"
                print(t(key, name=args.person), file=sys.stderr)
                return 1
            role = BindingRole(args.role or BindingRole.PARENT)
            result = await invitations.issue_for_person(
                journal, admin, people[0].id, role, reissue=args.reissue
            )
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    codes = result.codes
    if result.skipped_valid or result.skipped_bound:
        print(
            t("cli.invite_skipped", valid=result.skipped_valid, bound=result.skipped_bound),
            file=sys.stderr,
        )
    if not codes:
        if result.skipped_valid or result.skipped_bound:
            return 0  # everyone has a card or is in the bot: nothing to do
        print(t("cli.invite_none"), file=sys.stderr)
        return 1
    bots = await with_school_bot(journal, school.id, await school_bots(app.settings))
    if not bots:
        print(t("cli.no_username"), file=sys.stderr)
    for code in codes:
        print(invite_line(code, bots, app))
    if args.pdf:
        written = await cards.invite_pdf(journal, codes, school.name, bots, args.pdf)
        print(t("cli.cards_written", path=str(written), count=len(codes)))
    return 0


GET_ME_TIMEOUT = 10.0  # seconds; offline, the codes are printed without the bot's name


async def school_bots(settings: Settings) -> list[BotLink]:
    """The bots the school's people find the journal in, for links and cards: Telegram's
    (see :func:`bot_username`) and MAX's (``MAX_BOT_USERNAME``), those that are known."""
    bots = []
    if username := await bot_username(settings):
        bots.append(BotLink(Messenger.TELEGRAM, username))
    if settings.max_bot_username:
        bots.append(BotLink(Messenger.MAX, settings.max_bot_username.lstrip("@")))
    return bots


async def bot_username(settings: Settings) -> str | None:
    """The bot's username for links and cards: ``BOT_USERNAME``, else Telegram's getMe with
    ``BOT_TOKEN``; None when neither gives it (no token, a wrong one, no network)."""
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if settings.bot_token is None:
        return None
    from aiogram.exceptions import TelegramAPIError

    from bot.telegram.startup import TokenRejected

    try:
        telegram = telegram_bot(settings)
    except TokenRejected:
        return None
    try:
        me = await asyncio.wait_for(telegram.get_me(), GET_ME_TIMEOUT)
    except (TelegramAPIError, TimeoutError, OSError):
        return None
    finally:
        await telegram.session.close()
    return me.username


def invite_line(code: IssuedCode, bots: list[BotLink], app: App) -> str:
    until = code.expires_at.astimezone(app.journal.rules.timezone).strftime("%d.%m.%Y")
    return t(
        "cli.invite_line",
        name=code.full_name,
        role=t(f"role.{code.role.value}"),
        cls=(f", {code.class_name}" if code.class_name else "")
        + (f", {t('card.child', names=code.children)}" if code.children else ""),
        link=" ".join(cards.deep_link(b, code.code) for b in bots) or code.code,
        until=until,
    )


async def revoke_command(app: App, args: argparse.Namespace) -> int:
    """R3: ``--list`` the bindings; ``--binding ID`` cuts one at once; with ``--since`` the
    changes made through it since then are listed and, once confirmed, reverted."""
    journal = app.journal
    school = await school_for(journal, args.school)
    if school is None:
        return 2
    admin = school.admin
    tz = journal.rules.timezone
    try:
        if args.list:
            # Two accounts of one person (two phones) told apart (R3).
            active = [a for a in await revert.accounts(journal, admin) if a.revoked_at is None]
            if not active:
                print(t("cli.no_bindings"))
            for a in active:
                print(
                    t(
                        "cli.binding_line",
                        id=a.id,
                        name=a.full_name,
                        role=t(f"role.{a.role.value}"),
                        bound=f"{a.created_at.astimezone(tz):%d.%m.%Y %H:%M}"
                        if a.created_at
                        else "—",
                        device=a.device or t("revert.device_unknown"),
                        last=f"{a.last_used_at.astimezone(tz):%d.%m.%Y %H:%M}"
                        if a.last_used_at
                        else t("revert.never"),
                    )
                )
            return 0
        reason = args.reason or t("cli.revoke_reason")
        if not args.since:
            await invitations.revoke_binding(journal, admin, args.binding, reason)
            print(t("cli.revoked", id=args.binding))
            return 0
        since = parse_moment(args.since, tz)
        items = await revert.preview(journal, admin, args.binding, since)
        for item in items:
            print("  " + render(revert.describe(item, tz), t))
        if not items:
            print(t("revert.nothing_found", since=f"{since:%d.%m.%Y %H:%M}"))
        elif not args.yes and not await confirm(t("cli.revert_confirm", count=len(items))):
            print(t("cli.revert_cancelled"))
            return 1
        summary = await revert.revert(journal, admin, args.binding, since, reason)
        # The owner is told on the accounts they still hold (R3).
        await announce_revert(journal, summary.account, summary)
    except ValueError:
        print(t("cli.bad_moment", value=args.since), file=sys.stderr)
        return 2
    except NotFound:  # the id typed names no binding of the school
        print(t("cli.binding_not_found", id=args.binding), file=sys.stderr)
        return 1
    except JournalError as err:
        print(t(err.key, **err.params), file=sys.stderr)
        return 1
    for line in revert.summary_lines(summary, tz):
        print(render(line, t))
    return 0


async def opt_out_command(app: App, args: argparse.Namespace) -> int:
    """R18: record a parent's opt-out of the e-diary (or its withdrawal) from the console."""
    journal = app.journal
    school = await school_for(journal, args.school)
    if school is None:
        return 2
    found: dict[str, int] = {}
    for what in ("parent", "pupil"):
        query = getattr(args, what)
        if query is None:
            continue
        people = await directory.find_people(journal, school.id, query)
        if len(people) != 1:
            key = "cli.person_not_found" if not people else "cli.person_ambiguous"
            print(t(key, name=query), file=sys.stderr)
            return 1
        found[what] = people[0].id
    try:
        links = await accounts.set_diary_opt_out(
            journal, school.admin, found["parent"], not args.undo, found.get("pupil")
        )
    except JournalError:
        print(t("cli.not_a_parent", name=args.parent), file=sys.stderr)
        return 1
    key = "cli.opted_in" if args.undo else "cli.opted_out"
    for link in links:
        print(t(key, parent=link.guardian_name, pupil=link.pupil_name))
    return 0


async def confirm(question: str) -> bool:
    answer = await asyncio.to_thread(input, question)
    return answer.strip().lower() in ("y", "yes", "д", "да")


def parse_moment(value: str, tz: ZoneInfo) -> datetime:
    """ "ДД.ММ.ГГГГ ЧЧ:ММ" (or ISO) in the school's time → an aware moment."""
    value = value.strip()
    for layout in ("%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(value, layout).replace(tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(value)
