"""NewMessageBody (schema.yaml components/schemas/NewMessageBody) checked and turned into
what the recipient's client shows: plain text + markup and delivered attachments."""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import Any

from fakemax.errors import MaxError, attachment_not_ready, bad_request
from fakemax.html import HtmlError, parse_html
from fakemax.limits import TEXT_MAX_CHARS, keyboard_problem
from fakemax.state import Hub

FORMATS = frozenset({"html", "markdown"})  # schema TextFormat


@dataclass
class Body:
    """A checked NewMessageBody. ``attachments`` is None when the field was absent or
    null (an edit then keeps the message's attachments, as schema.yaml PUT /messages says)."""

    text: str | None
    source_text: str | None
    format: str | None
    markup: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] | None = None
    notify: bool = True
    has_text: bool = True  # False when the body had no "text" key (an edit keeps the text)


def parse_body(fake: Hub, raw: Any) -> Body:
    if not isinstance(raw, dict):
        raise bad_request("Request body must be a JSON object (NewMessageBody)")
    text = raw.get("text")
    if text is not None and not isinstance(text, str):
        raise bad_request("text: must be a string")
    fmt = raw.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise bad_request(f"format: unknown value {fmt!r}, expected html or markdown")
    if text is not None and len(text) > TEXT_MAX_CHARS:
        raise bad_request(f"text: size must be between 0 and {TEXT_MAX_CHARS}")
    plain = text
    markup: list[dict[str, Any]] = []
    # format "markdown" is accepted and its text kept as sent (the fake parses HTML only).
    if text is not None and fmt == "html":
        try:
            plain, markup = parse_html(text, strict=fake.strict_html)
        except HtmlError as exc:
            raise bad_request(f"text: invalid html: {exc}") from None
    raw_attachments = raw.get("attachments")
    attachments = None
    if raw_attachments is not None:
        if not isinstance(raw_attachments, list):
            raise bad_request("attachments: must be an array")
        attachments = [deliver_attachment(fake, a) for a in raw_attachments]
    notify = raw.get("notify", True)
    return Body(plain, text, fmt, markup, attachments, bool(notify), "text" in raw)


def deliver_attachment(fake: Hub, raw: Any) -> dict[str, Any]:
    """An AttachmentRequest turned into the Attachment the recipient receives."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise bad_request("attachments: every attachment needs a type")
    kind = raw["type"]
    payload = raw.get("payload")
    if kind == "inline_keyboard":
        buttons = payload.get("buttons") if isinstance(payload, dict) else None
        problem = keyboard_problem(buttons)
        if problem is not None:
            raise bad_request(problem)
        return {
            "type": "inline_keyboard",
            "callback_id": secrets.token_urlsafe(24),
            "payload": {"buttons": copy.deepcopy(buttons)},
        }
    if kind in ("file", "image", "video", "audio"):
        return _media(fake, kind, payload)
    return copy.deepcopy(raw)


def _media(fake: Hub, kind: str, payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise bad_request(f"Missing `payload` in {kind} attachment")
    if kind == "image" and not payload.get("token") and isinstance(payload.get("url"), str):
        return {"type": "image", "payload": {"photo_id": 0, "url": payload["url"], "token": ""}}
    token = payload.get("token")
    if kind == "image" and not token and isinstance(payload.get("photos"), dict):
        first: Any = next(iter(payload["photos"].values()), {})
        token = first.get("token") if isinstance(first, dict) else None
    if not isinstance(token, str) or not token:
        raise bad_request(f"Missing `token` in {kind} attachment")
    upload = fake.upload_by_token(token)
    if upload is None:
        raise bad_request(f"Key: errors.process.attachment.{kind}.not.found")
    if upload.data is None:
        raise attachment_not_ready()
    if fake.attachments_not_ready > 0:
        fake.attachments_not_ready -= 1
        raise attachment_not_ready()
    url = f"{fake.base_url}/files/{upload.token}"
    if kind == "file":
        return {
            "type": "file",
            "payload": {"url": url, "token": upload.token},
            "filename": upload.filename or "file",
            "size": upload.size,
        }
    if kind == "image":
        return {"type": "image", "payload": {"photo_id": 1, "url": url, "token": upload.token}}
    return {"type": kind, "payload": {"url": url, "token": upload.token}}


def check_text_or_attachments(body: Body) -> None:
    if not body.text and not body.attachments:
        raise MaxError(400, "proto.payload", "text: message must have text or attachments")
