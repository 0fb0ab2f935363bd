"""Correction requests (R7): a change after the deadline waits for the deputy. The request
as it is read, the deputy's paged list, and one request announced with its decision."""

from __future__ import annotations

from bot.actions import DecideCb, RequestsCb
from bot.screen import Button, Row, Screen, Style, quote
from bot.screens.common import page_of, pager
from bot.screens.nav import menu_row
from core.corrections import RequestView
from texts import Texts

REQUESTS_PAGE = 8  # correction requests a page of the deputy's list


def request_text(tx: Texts, r: RequestView) -> str:
    if r.entity == "mark":
        old = str(r.old["value"]) if r.old else "—"
        new = "—" if r.change.get("op") == "delete" else str(r.change.get("value"))
    else:
        old = tx(f"status.{r.old['status']}") if r.old else "—"
        new = tx(f"status.{r.change['status']}") if r.change.get("status") else "—"
    return tx(
        "requests.item",
        teacher=quote(r.requested_by_name),
        cls=quote(r.class_name),
        subject=quote(r.subject),
        day=f"{r.lesson_date:%d.%m.%Y}",
        pupil=quote(r.pupil_name),
        what=tx(f"requests.entity.{r.entity}"),
        old=old,
        new=new,
        reason=quote(r.reason or "—"),
    )


def pending(tx: Texts, requests: list[RequestView], page: int = 0, note: str = "") -> Screen:
    """The pending requests as one message: their count, a page of them numbered, ✅ N /
    ✖ N for each, ◀ ▶ (30 after a busy evening do not flood the deputy's chat); ``note``
    on top (the decision just made)."""
    lines = [note] if note else []
    if not requests:
        lines.append(tx("requests.none"))
        back = [menu_row(tx)]
        return Screen("\n\n".join(lines), back)
    shown, page, pages = page_of(requests, page, REQUESTS_PAGE)
    head = tx("requests.list", count=len(requests))
    if pages > 1:
        head += "\n" + tx("requests.page", page=page + 1, pages=pages)
    lines.append(head)
    numbered = [(page * REQUESTS_PAGE + n, r) for n, r in enumerate(shown, start=1)]
    lines += [f"<b>{no}.</b> {request_text(tx, r)}" for no, r in numbered]
    rows: list[Row] = [
        [
            Button(
                tx("requests.approve_no", no=no), DecideCb(request=r.id, approve=True, page=page)
            ),
            Button(
                tx("requests.decline_no", no=no), DecideCb(request=r.id, approve=False, page=page)
            ),
        ]
        for no, r in numbered
    ]
    if turn := pager(page, pages, RequestsCb(page=page)):
        rows.append(turn)
    rows.append(menu_row(tx))
    return Screen("\n\n".join(lines), rows)


def decided(tx: Texts, request: RequestView, requests: list[RequestView], page: int) -> Screen:
    """After a decision: on the message that announced one request (``page`` < 0) the
    request and the decision; on the list, the same page again with the decision on top."""
    key = "requests.approved" if request.status == "approved" else "requests.declined"
    if page < 0:
        return Screen(request_text(tx, request) + "\n\n" + tx(key))
    return pending(tx, requests, page, request_text(tx, request) + "\n" + tx(key))


def new_request(tx: Texts, request: RequestView) -> Screen:
    """A new request, sent to each deputy and the director: approve or decline it here."""
    return Screen(
        tx("requests.new") + "\n\n" + request_text(tx, request),
        [
            [
                Button(
                    tx("requests.approve"),
                    DecideCb(request=request.id, approve=True),
                    style=Style.POSITIVE,
                ),
                Button(
                    tx("requests.decline"),
                    DecideCb(request=request.id, approve=False),
                    style=Style.NEGATIVE,
                ),
            ]
        ],
    )
