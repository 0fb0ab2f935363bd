"""End to end: a parent's notification settings (R16: informing is configured for each
parent): the digest and the absence alerts switched off and on, the digest's hour chosen,
and all of it kept."""

from __future__ import annotations

from core.models import BindingRole
from tests.botkit import Harness
from tests.world import World


async def test_r16_parent_turns_the_digest_off_picks_its_hour_and_finds_both_kept(
    bot: Harness, world: World
) -> None:
    mother = await bot.bound_user(world.staff("math"), world.people["mother"], BindingRole.PARENT)
    await mother.send("/menu")
    await mother.wait_reply()
    prefs = await mother.press_and_wait("⚙️ Уведомления")
    assert prefs.html.startswith("<b>Уведомления</b>")
    assert "🔔 Сводка за день: включена" in prefs.button_texts
    assert "🔔 Сразу сообщать о пропуске: да" in prefs.button_texts
    assert [b for b in prefs.button_texts if b.startswith("• ") and ":" in b] == ["• 20:00"]

    off = await mother.press_and_wait("🔔 Сводка за день: включена")
    assert "🔕 Сводка за день: выключена" in off.button_texts
    later = await mother.press_and_wait("18:00")
    assert "приходит в 18:00" in (later.text or "")
    assert "• 18:00" in later.button_texts and "20:00" in later.button_texts
    quiet = await mother.press_and_wait("🔔 Сразу сообщать о пропуске: да")
    assert "🔕 Сразу сообщать о пропуске: нет" in quiet.button_texts

    await bot.settle(mother)
    await mother.send("/menu")
    await mother.wait_reply()
    again = await mother.press_and_wait("⚙️ Уведомления")
    assert "приходит в 18:00" in (again.text or "")
    assert {"🔕 Сводка за день: выключена", "🔕 Сразу сообщать о пропуске: нет", "• 18:00"} <= set(
        again.button_texts
    )
    assert again.button_texts[-1] == "☰ Меню"
