"""MAX Bot API error answers: an HTTP status and ``{"code": ..., "message": ...}``.

The shape is the schema's ``Error`` object (``code`` and ``message`` required, ``error``
optional; max-messenger/api-schema schema.yaml, components/schemas/Error). The codes are
the ones the real API is seen to give; where no public source shows the exact code for a
case, the module says so next to it.
"""

from __future__ import annotations

from typing import Any


class MaxError(Exception):
    """An error answer of the fake MAX API."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def bad_request(message: str) -> MaxError:
    """400 for a body the API cannot accept. ``proto.payload`` is the code MAX gives for an
    invalid NewMessageBody (love-apples/maxapi PR #21: ``{'code': 'proto.payload',
    'message': 'Missing `token` in video attachment'}``; max-bot-api-client-go #150)."""
    return MaxError(400, "proto.payload", message)


def not_found(message: str) -> MaxError:
    return MaxError(404, "not.found", message)


def unauthorized() -> MaxError:
    # 401 per schema.yaml components/responses/Unauthorized ("No `access_token` provided or
    # token is invalid"). The code string "verify.token" is the one TamTam's Bot API (which
    # MAX's descends from) gives; no public source found here confirms it for MAX, and the
    # schema fixes only the shape.
    return MaxError(401, "verify.token", "Invalid access_token")


def deprecated_query_token() -> MaxError:
    # max-messenger/max-bot-api-client-ts issue #242 (2026-04): the real answer to a token
    # in the query string once MAX stopped accepting it.
    return MaxError(
        403,
        "deprecated.token",
        "Query parameter access_token is deprecated, use Authorization header",
    )


def too_many_requests() -> MaxError:
    # 429 "the number of requests is exceeded" (schema.yaml info.description, HTTP response
    # codes). The code string "too.many.requests" is the one the MAX app's own client
    # compares error codes with (strings of its decompiled code, beside "not.found" and
    # "service.unavailable"); the schema gives no code for 429.
    return MaxError(429, "too.many.requests", "Too many requests")


def chat_denied(message: str = "error.dialog.suspended") -> MaxError:
    # 403 on POST /messages "when user suspended bot" (schema.yaml paths./messages.post
    # responses.403, example code "chat.denied"). The message is the fake's guess after a
    # public MAX integration that reads "dialogs.suspended" in it beside chat.denied.
    return MaxError(403, "chat.denied", message)


def attachment_not_ready() -> MaxError:
    # schema.yaml paths./messages.post: "While a file is not processed you can't attach it.
    # It means the last step will fail with `400` error." The code "attachment.not.ready"
    # is the one clients retry on (just-ai/jaicf-kotlin PR #288); the message is the key
    # max-bot-api-client-ts issue #33 quotes.
    message = "Key: errors.process.attachment.file.not.processed"
    return MaxError(400, "attachment.not.ready", message)


def server_error(status: int = 500) -> MaxError:
    if status == 503:
        return MaxError(503, "service.unavailable", "Service unavailable")
    return MaxError(status, "internal.error", "Internal server error")
