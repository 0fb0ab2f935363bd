"""The digest of a whole district is gathered in one go: no query may grow with the number
of parents past what PostgreSQL takes (32,767 parameters in one statement)."""

from __future__ import annotations

from core import friday_round
from core.clock import ManualClock
from core.journal import Journal
from core.models import AbsenceSuggestion
from tests.world import MONDAY, World


async def test_r16_a_district_of_40000_parents_asks_for_their_suggestions_in_one_query(
    journal: Journal, world: World
) -> None:
    """What the digest job asks for 100,000 pupils' parents (``bench digest`` crashed
    here with «the number of query arguments cannot exceed 32767»)."""
    parents = list(range(1, 40_001))
    pupils = list(range(100_001, 140_001))
    async with journal.transaction() as s:
        found = await friday_round.pending_suggestions_by(s, parents, pupils, [MONDAY])
    assert found == set()


async def test_r6_a_pending_suggestion_is_found_among_many(
    journal: Journal, world: World, clock: ManualClock
) -> None:
    mother, petya = world.people["mother"], world.people["petya"]
    async with journal.transaction() as s:
        s.add(
            AbsenceSuggestion(
                pupil_id=petya,
                day=MONDAY,
                reason="illness",
                suggested_by=mother,
                suggested_at=clock.now(),
            )
        )
    parents = [mother, *range(1_000_000, 1_040_000)]
    async with journal.transaction() as s:
        found = await friday_round.pending_suggestions_by(s, parents, [petya], [MONDAY])
    assert found == {(mother, petya, MONDAY)}
