"""The instant absence alert is kept current in place (issue 9): when the pupil misses
more lessons that morning, the parent's alert message is edited to list them all, through
the outbox (``meta.edit_of``) and the sender (editMessageText); when the alert cannot be
edited (the parent deleted it), the update comes as a new message."""

from __future__ import annotations

from sqlalchemy import select

from core.clock import ManualClock
from core.journal import Journal
from core.models import BindingRole, outbox_table
from notifications.scheduler import NotificationJobs
from tests.botkit import Harness
from tests.test_notifications import absent, at
from tests.test_notifications_e2e import deliver
from tests.world import MONDAY, World


async def alert_rows(journal: Journal) -> list[tuple[str, str, str | None]]:
    async with journal.transaction() as s:
        rows = await s.execute(
            select(outbox_table.c.key, outbox_table.c.status, outbox_table.c.message_id)
            .where(outbox_table.c.key.startswith("absence:"))
            .order_by(outbox_table.c.id)
        )
        return [tuple(r) for r in rows]


async def test_the_parents_alert_is_edited_in_place_when_the_pupil_misses_more_lessons(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    jobs = NotificationJobs(bot.journal)
    at(clock, MONDAY, 8, 40)
    await absent(bot.journal, world, "math", MONDAY, 1, "petya")
    assert await jobs.absence_alerts() == 1
    await deliver(bot)
    alert = await parent.wait_reply()
    assert "1 (Математика)" in (alert.text or "")
    messages = len(parent.bot_messages)

    at(clock, MONDAY, 9, 30)
    await absent(bot.journal, world, "english", MONDAY, 2, "petya")
    assert await jobs.absence_alerts() == 1
    await deliver(bot)
    update = await parent.wait_reply()
    assert update.message_id == alert.message_id and update.edits == 1  # the same message
    assert "1 (Математика), 2 (Английский язык)" in (update.text or "")
    assert "кнопкой ниже" in (update.text or "")  # the hint stays with its button
    assert update.button_texts == ["Указать причину пропуска"]
    assert len(parent.bot_messages) == messages  # no second message
    rows = await alert_rows(bot.journal)
    assert [(status, mid) for _, status, mid in rows] == [
        ("sent", str(alert.message_id)),
        ("sent", str(alert.message_id)),
    ]
    # The update's button still works: the parent gives the reason from it.
    await parent.press("Указать причину пропуска", message=update)
    answer = await parent.wait_reply()
    assert answer.text


async def test_a_deleted_alert_is_updated_with_a_new_message(
    bot: Harness, world: World, clock: ManualClock
) -> None:
    parent = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    jobs = NotificationJobs(bot.journal)
    at(clock, MONDAY, 8, 40)
    await absent(bot.journal, world, "math", MONDAY, 1, "petya")
    await jobs.absence_alerts()
    await deliver(bot)
    alert = await parent.wait_reply()
    parent.delete_message(alert)  # read, and cleared from the chat

    at(clock, MONDAY, 9, 30)
    await absent(bot.journal, world, "english", MONDAY, 2, "petya")
    assert await jobs.absence_alerts() == 1
    await deliver(bot)
    update = await parent.wait_reply()
    assert update.message_id != alert.message_id and update.edits == 0
    assert "1 (Математика), 2 (Английский язык)" in (update.text or "")
    assert update.button_texts == ["Указать причину пропуска"]
    rows = await alert_rows(bot.journal)
    assert [(status, mid) for _, status, mid in rows] == [
        ("sent", str(alert.message_id)),
        ("sent", str(update.message_id)),
    ]
