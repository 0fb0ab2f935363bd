"""Invitation codes as a person reads them (R2): the links of the cards just issued, and
who was skipped, with the offer to reissue a valid card."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.actions import ReissueCb
from bot.screen import Button, Screen, quote
from core.invitations import IssuedCode, IssueResult
from texts import Texts


def links(tx: Texts, codes: list[tuple[IssuedCode, str]], tz: ZoneInfo) -> Screen:
    """Each card's deep link (``codes``: a card and its link), for handing one over in a
    private chat."""
    lines = [tx("codes.title", count=len(codes))]
    for c, link in codes:
        until = c.expires_at.astimezone(tz)
        lines.append(
            tx(
                "codes.line_parent" if c.children else "codes.line",
                name=quote(c.full_name),
                role=tx(f"role.{c.role.value}"),
                link=link,
                until=f"{until:%d.%m.%Y}",
                children=quote(c.children or ""),
            )
        )
    return Screen("\n".join(lines))


def skipped(tx: Texts, result: IssueResult, reissue_scope: int | None) -> Screen | None:
    """Who got no new card and why; the reissue button (``reissue_scope``: the class, 0 for
    the staff) when some hold a valid one. ``None`` when nobody was skipped."""
    lines = []
    if result.skipped_valid:
        lines.append(tx("codes.skipped_valid", count=result.skipped_valid))
    if result.skipped_bound:
        lines.append(tx("codes.skipped_bound", count=result.skipped_bound))
    rows = []
    if result.skipped_valid and reissue_scope is not None:
        rows.append([Button(tx("codes.reissue"), ReissueCb(cls=reissue_scope))])
    if not lines:
        return Screen(tx("codes.none"), rows) if not result.codes else None
    return Screen("\n".join(lines), rows)
