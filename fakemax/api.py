"""The Bot API endpoints of the fake MAX (paths and fields as in schema.yaml ``paths``)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fakemax.bodies import Body, check_text_or_attachments, parse_body
from fakemax.errors import MaxError, bad_request, chat_denied, not_found
from fakemax.limits import (
    COMMAND_DESCRIPTION_MAX_CHARS,
    COMMAND_NAME_MAX_CHARS,
    COMMANDS_MAX,
    UPDATES_LIMIT_DEFAULT,
    UPDATES_LIMIT_MAX,
    UPDATES_TIMEOUT_DEFAULT,
    UPDATES_TIMEOUT_MAX,
    WEBHOOK_SECRET_MAX,
    WEBHOOK_SECRET_MIN,
)
from fakemax.state import Dialog, FakeMaxBot, Hub, StoredMessage, Subscription

_SECRET = re.compile(r"^[\w-]+$")
_UPLOAD_TYPES = frozenset({"image", "video", "audio", "file"})  # schema UploadType


@dataclass
class Call:
    fake: Hub
    bot: FakeMaxBot
    query: dict[str, str]
    body: Any  # the parsed JSON body, or None

    def int_param(self, name: str, default: int | None = None) -> int | None:
        value = self.query.get(name)
        if value in (None, "", "null"):
            return default
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"{name}: must be an integer") from None

    def required(self, name: str) -> str:
        value = self.query.get(name, "").strip()
        if not value:
            raise bad_request(f"Missing required parameter {name}")
        return value


Handler = Callable[[Call], Awaitable[dict[str, Any]]]
SUCCESS: dict[str, Any] = {"success": True}


async def get_me(call: Call) -> dict[str, Any]:
    return call.bot.info()


async def patch_me(call: Call) -> dict[str, Any]:
    body = call.body if isinstance(call.body, dict) else {}
    commands = body.get("commands")
    if commands is not None:
        call.bot.commands = _checked_commands(commands)
    return call.bot.info()


def _checked_commands(commands: Any) -> list[dict[str, Any]]:
    if not isinstance(commands, list) or len(commands) > COMMANDS_MAX:
        raise bad_request(f"commands: at most {COMMANDS_MAX} commands")
    for command in commands:
        name = command.get("name") if isinstance(command, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= COMMAND_NAME_MAX_CHARS:
            raise bad_request(f"commands.name: 1 to {COMMAND_NAME_MAX_CHARS} characters")
        description = command.get("description")
        if description is not None and not (
            isinstance(description, str) and 1 <= len(description) <= COMMAND_DESCRIPTION_MAX_CHARS
        ):
            raise bad_request(
                f"commands.description: 1 to {COMMAND_DESCRIPTION_MAX_CHARS} characters"
            )
    return [dict(c) for c in commands]


async def get_updates(call: Call) -> dict[str, Any]:
    bot = call.bot
    if bot.subscription is not None:
        # Both ways "cannot be used simultaneously" (schema.yaml info.description);
        # /updates lists 405 NotAllowed.
        raise MaxError(405, "method.not.allowed", "Long polling is disabled: webhook is set")
    limit = call.int_param("limit", UPDATES_LIMIT_DEFAULT) or UPDATES_LIMIT_DEFAULT
    timeout = call.int_param("timeout", UPDATES_TIMEOUT_DEFAULT)
    marker = call.int_param("marker")
    if not 1 <= limit <= UPDATES_LIMIT_MAX:
        raise bad_request(f"limit: must be between 1 and {UPDATES_LIMIT_MAX}")
    if timeout is None or not 0 <= timeout <= UPDATES_TIMEOUT_MAX:
        raise bad_request(f"timeout: must be between 0 and {UPDATES_TIMEOUT_MAX}")
    types = {t for t in call.query.get("types", "").split(",") if t} or None
    if marker is not None:
        bot.commit(marker)
    after = bot.committed if marker is None else marker - 1
    wakes = bot.poll_wakes

    def ready() -> list[tuple[int, dict[str, Any]]] | None:
        pending = bot.pending_updates(after, types)
        if pending or bot.poll_wakes != wakes or call.fake.closing:
            return pending
        return None

    found = await bot.update_notifier.wait_for(ready, timeout)
    found = (found or [])[:limit]
    if found:
        call.fake.delivering([u for _, u in found])
        next_marker = found[-1][0] + 1
    else:
        next_marker = max(after + 1, bot.next_update if types else after + 1)
    return {"updates": [u for _, u in found], "marker": next_marker}


async def get_subscriptions(call: Call) -> dict[str, Any]:
    sub = call.bot.subscription
    return {"subscriptions": [sub.to_api()] if sub else []}


async def post_subscriptions(call: Call) -> dict[str, Any]:
    body = call.body if isinstance(call.body, dict) else {}
    url = body.get("url")
    if not isinstance(url, str) or not url:
        raise bad_request("url: must not be empty")
    if call.fake.require_https_webhook and not url.startswith("https://"):
        raise bad_request("url: must start with https://")
    secret = body.get("secret")
    if secret is not None and not (
        isinstance(secret, str)
        and WEBHOOK_SECRET_MIN <= len(secret) <= WEBHOOK_SECRET_MAX
        and _SECRET.match(secret)
    ):
        raise bad_request("secret: 5-256 characters of A-Z, a-z, 0-9, _ and -")
    types = body.get("update_types")
    call.bot.subscription = Subscription(
        url, int(call.fake.wall_clock() * 1000), list(types) if types else None, secret
    )
    call.fake.flush_to_webhook(call.bot)
    return SUCCESS


async def delete_subscriptions(call: Call) -> dict[str, Any]:
    url = call.required("url")
    sub = call.bot.subscription
    if sub is not None and sub.url == url:
        call.fake.unsubscribe(call.bot)
    return SUCCESS


def _recipient(call: Call) -> Dialog:
    user_id = call.int_param("user_id")
    chat_id = call.int_param("chat_id")
    if user_id is None and chat_id is None:
        raise bad_request("Missing required parameter user_id or chat_id")
    dialog = call.bot.find_dialog(user_id=user_id, chat_id=chat_id)
    if dialog is None:
        raise not_found(f"chat {chat_id if chat_id is not None else user_id} not found")
    if dialog.stopped:
        raise chat_denied()
    return dialog


async def post_messages(call: Call) -> dict[str, Any]:
    dialog = _recipient(call)
    body = parse_body(call.fake, call.body)
    check_text_or_attachments(body)
    bot = call.bot
    mid, seq = bot.new_mid()
    message = StoredMessage(
        mid=mid,
        seq=seq,
        timestamp=int(call.fake.wall_clock() * 1000),
        dialog_chat_id=dialog.chat_id,
        outgoing=True,
        sender=bot.user_dict(),
        recipient={"chat_id": dialog.chat_id, "chat_type": "dialog", "user_id": dialog.user_id},
    )
    _apply(message, body, keep_attachments=False)
    bot.messages[mid] = message
    dialog.mids.append(mid)
    bot.stats.send_times.append(call.fake.clock())
    dialog.add_event("sent", mid)
    return {"message": message.to_api()}


def _apply(message: StoredMessage, body: Body, *, keep_attachments: bool) -> None:
    if body.has_text or not keep_attachments:
        message.text = body.text
        message.source_text = body.source_text
        message.format = body.format
        message.markup = body.markup
    message.notify = body.notify
    if body.attachments is not None or not keep_attachments:
        message.attachments = body.attachments or []


def _own_message(call: Call, mid: str) -> StoredMessage:
    message = call.bot.messages.get(mid)
    if message is None or message.deleted:
        raise not_found(f"message {mid} not found")
    return message


def _dialog_of(call: Call, message: StoredMessage) -> Dialog:
    dialog = call.bot.find_dialog(user_id=None, chat_id=message.dialog_chat_id)
    assert dialog is not None
    return dialog


def edit_message(call: Call, message: StoredMessage, raw: Any) -> None:
    if not message.outgoing:
        raise MaxError(403, "access.denied", "You can edit only your own messages")
    body = parse_body(call.fake, raw)
    message.history.append(message.snapshot())
    _apply(message, body, keep_attachments=True)
    message.edits += 1
    call.bot.stats.edit_times.append(call.fake.clock())
    _dialog_of(call, message).add_event("edited", message.mid)


async def put_messages(call: Call) -> dict[str, Any]:
    message = _own_message(call, call.required("message_id"))
    edit_message(call, message, call.body)
    return SUCCESS


async def delete_messages(call: Call) -> dict[str, Any]:
    message = _own_message(call, call.required("message_id"))
    message.deleted = True
    _dialog_of(call, message).add_event("deleted", message.mid)
    return SUCCESS


async def get_message(call: Call, mid: str) -> dict[str, Any]:
    return _own_message(call, mid).to_api()


def _dialog_by_chat_id(call: Call, chat_id: str) -> Dialog:
    dialog = None
    if re.fullmatch(r"-?\d+", chat_id):
        dialog = call.bot.find_dialog(user_id=None, chat_id=int(chat_id))
    if dialog is None:
        raise not_found(f"chat {chat_id} not found")
    return dialog


async def get_chat(call: Call, chat_id: str) -> dict[str, Any]:
    """A dialog as schema Chat (the fake has dialogs only)."""
    dialog = _dialog_by_chat_id(call, chat_id)
    last = dialog.events[-1].time if dialog.events else 0.0
    return {
        "chat_id": dialog.chat_id,
        "type": "dialog",
        "status": "suspended" if dialog.stopped else "active",
        "title": None,
        "icon": None,
        "last_event_time": int(last * 1000),
        "participants_count": 2,
        "is_public": False,
        "dialog_with_user": dict(dialog.user),
    }


_ACTIONS = frozenset(
    {"typing_on", "sending_photo", "sending_video", "sending_audio", "sending_file", "mark_seen"}
)  # schema SenderAction


async def post_action(call: Call, chat_id: str) -> dict[str, Any]:
    dialog = _dialog_by_chat_id(call, chat_id)
    action = call.body.get("action") if isinstance(call.body, dict) else None
    if action not in _ACTIONS:
        raise bad_request(f"action: unknown value {action!r}")
    dialog.add_event("action", detail={"action": action})
    return SUCCESS


async def post_answers(call: Call) -> dict[str, Any]:
    callback_id = call.required("callback_id")
    record = call.bot.callbacks.get(callback_id)
    if record is None or record.answered:
        # No public source shows the real answer here; the fake says 400 proto.payload so a
        # double answer is visible in tests.
        state = "already answered" if record else "not found"
        raise bad_request(f"callback_id {callback_id}: {state}")
    raw = call.body if isinstance(call.body, dict) else {}
    message_body, notification = raw.get("message"), raw.get("notification")
    if message_body is None and notification is None:
        raise bad_request("answer: message or notification is required")
    if notification is not None and not isinstance(notification, str):
        raise bad_request("notification: must be a string")
    if message_body is not None:
        message = call.bot.messages.get(record.mid)
        if message is None or message.deleted:
            raise not_found(f"message {record.mid} not found")
        edit_message(call, message, message_body)
    record.answered = True
    record.answer = dict(raw)
    dialog = call.bot.dialogs[record.user_id]
    dialog.add_event("answered", record.mid, detail={"callback_id": callback_id, **raw})
    return SUCCESS


async def post_uploads(call: Call) -> dict[str, Any]:
    kind = call.query.get("type", "")
    if kind == "photo":
        raise bad_request("type=photo is no longer supported, use type=image")
    if kind not in _UPLOAD_TYPES:
        raise bad_request("type: must be one of image, video, audio, file")
    upload = call.fake.new_upload(kind)
    answer: dict[str, Any] = {"url": f"{call.fake.base_url}/upload/{upload.upload_id}"}
    if kind in ("video", "audio"):
        answer["token"] = upload.token  # schema UploadEndpoint: "Video or audio token"
    return answer


ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/me"): get_me,
    ("PATCH", "/me"): patch_me,
    ("PATCH", "/me/commands"): patch_me,
    ("GET", "/updates"): get_updates,
    ("GET", "/subscriptions"): get_subscriptions,
    ("POST", "/subscriptions"): post_subscriptions,
    ("DELETE", "/subscriptions"): delete_subscriptions,
    ("POST", "/messages"): post_messages,
    ("PUT", "/messages"): put_messages,
    ("DELETE", "/messages"): delete_messages,
    ("POST", "/answers"): post_answers,
    ("POST", "/uploads"): post_uploads,
}

PathHandler = Callable[[Call, str], Awaitable[dict[str, Any]]]

# Paths with an identifier in them: (HTTP method, pattern with one group, handler).
PATH_ROUTES: list[tuple[str, re.Pattern[str], PathHandler]] = [
    ("GET", re.compile(r"/messages/([^/]+)"), get_message),
    ("GET", re.compile(r"/chats/([^/]+)"), get_chat),
    ("POST", re.compile(r"/chats/([^/]+)/actions"), post_action),
]
