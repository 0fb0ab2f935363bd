"""``journal status``: the admin's summary in words. The database part comes from
``core.status``, the backups' from ``school_journal.backup``; this module only says it.

It needs nothing from the running bot: with the embedded database it joins the server
the bot started (or starts it, when the bot is not running), like every other command."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.status import DELIVERY_STATES, BotSending, JournalStatus, journal_status
from school_journal import backup
from school_journal.app import App
from school_journal.console import school_for
from texts import Texts


def age_words(age: timedelta, tx: Texts) -> str:
    minutes = max(int(age.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return tx("status.age_days", days=days, hours=hours)
    if hours:
        return tx("status.age_hours", hours=hours, minutes=minutes)
    return tx("status.age_minutes", minutes=minutes)


def delivery_words(states: dict[str, int], tx: Texts) -> str:
    return tx("status.delivery", **{state: states.get(state, 0) for state in DELIVERY_STATES})


def journal_lines(
    school: str,
    status: JournalStatus,
    backups: list[str],
    now: datetime,
    tz: ZoneInfo,
    tx: Texts,
) -> list[str]:
    def moment(at: datetime) -> str:
        return f"{at.astimezone(tz):%d.%m.%Y %H:%M}"

    lines = [
        tx("status.title", school=school, at=moment(now)),
        tx("status.outbox", delivery=delivery_words(status.outbox.by_state, tx)),
    ]
    if status.outbox.oldest_pending_age is not None:
        lines.append(
            tx("status.outbox_oldest", age=age_words(status.outbox.oldest_pending_age, tx))
        )
    lines += bot_lines(status.bot, tz, tx)
    digest = status.last_digest
    if digest is None:
        lines.append(tx("status.digest_none"))
    else:
        lines.append(
            tx(
                "status.digest",
                at=moment(digest.at),
                digests=digest.digests,
                empty=digest.empty,
                messages=sum(digest.messages.values()),
                delivery=delivery_words(digest.messages, tx),
            )
        )
    round_ = status.last_round
    if round_ is None:
        lines.append(tx("status.round_none"))
    else:
        lines.append(
            tx(
                "status.round",
                due=moment(round_.due),
                done=moment(round_.done_at),
                messages=sum(round_.messages.values()),
                delivery=delivery_words(round_.messages, tx),
            )
        )
    lines += backups
    lines.append(tx("status.bindings", **status.bindings))
    if any(status.unreachable.values()):
        lines.append(tx("status.unreachable", **status.unreachable))
    lines.append(tx("status.requests", count=status.pending_requests))
    return lines


def bot_lines(bot: BotSending | None, tz: ZoneInfo, tx: Texts) -> list[str]:
    """The school's bot and who sends through it (issue 14), a line; what waits for it."""
    if bot is None:
        return []
    name = tx("status.bot_own", username=bot.username) if bot.username else tx("status.bot_shared")
    if bot.holder is not None and bot.until is not None:
        until = f"{bot.until.astimezone(tz):%H:%M:%S}"
        sender = tx("status.bot_sender", holder=bot.holder, until=until)
    else:
        sender = tx("status.bot_no_sender")
    lines = [f"{name} {sender}"]
    if bot.pending and bot.oldest_pending_age is not None:
        lines.append(
            tx("status.bot_queue", pending=bot.pending, age=age_words(bot.oldest_pending_age, tx))
        )
    return lines


def backup_lines(
    found: list[backup.LatestBackup],
    key: bytes,
    now: datetime,
    tz: ZoneInfo,
    tx: Texts,
) -> list[str]:
    """One line per backup folder: its newest backup, when, and whether it verified."""
    if len(found) < backup.MIN_DESTINATIONS:
        return [tx("status.backup_off")]
    key_problem: str | None = None
    try:
        backup.check_key(key)
    except backup.BackupError as err:
        key_problem = tx(err.key, **err.params)
    lines = []
    for latest in found:
        check = latest.check
        if check is None:
            lines.append(tx("status.backup_none", folder=str(latest.folder)))
            continue
        if key_problem is not None:
            verdict = tx("status.backup_unchecked", reason=key_problem)
        elif check.ok:
            verdict = tx("status.backup_ok")
        else:
            file = check.manifest.file if check.manifest else "?"
            problems = "; ".join(
                tx(p, file=file) if p == "backup.problem.missing_file" else tx(p)
                for p in check.problems
            )
            verdict = tx("status.backup_bad", problems=problems)
        manifest = check.manifest
        lines.append(
            tx(
                "status.backup",
                folder=str(latest.folder),
                at=f"{manifest.created_at.astimezone(tz):%d.%m.%Y %H:%M}" if manifest else "?",
                age=age_words(now - manifest.created_at, tx) if manifest else "?",
                file=manifest.file if manifest else check.path.name,
                verdict=verdict,
            )
        )
    return lines


async def status_command(app: App, school_name: str | None, tx: Texts | None = None) -> int:
    tx = tx or Texts()
    journal = app.journal
    school = await school_for(journal, school_name)
    if school is None:
        return 2
    status = await journal_status(journal, school.id)
    tz = journal.rules.timezone
    now = journal.clock.now()
    key = app.settings.backup_key()
    found = await asyncio.to_thread(
        backup.latest_backups, backup.parse_dirs(app.settings.backup_dirs), key
    )
    backups = backup_lines(found, key, now, tz, tx)
    for line in journal_lines(school.name, status, backups, now, tz, tx):
        print(line)
    return 0
