"""Implementations of the Bot API methods the fake supports."""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakegram.errors import (
    BLOCKED,
    DEACTIVATED,
    NOT_MODIFIED,
    POLL_CONFLICT,
    QUERY_TOO_OLD,
    WEBHOOK_CONFLICT,
    ApiError,
    bad_request,
    flood,
)
from fakegram.formatting import (
    EntityParseError,
    check_link,
    detect_entities,
    normalize_entities,
    strip_text,
    utf16_len,
)
from fakegram.limits import FloodError, inline_keyboard_problem
from fakegram.parse_mode import parse_text
from fakegram.state import FakeBot, FakeChat, StoredFile, StoredMessage, WebhookState

if TYPE_CHECKING:
    from fakegram.server import FakeTelegram

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
MAX_INLINE_BUTTONS = 100

INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    data: bytes
    content_type: str | None = None


@dataclass
class Call:
    fake: FakeTelegram
    bot: FakeBot
    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    chat: FakeChat | None = None  # set once resolved, to attribute errors to the chat


@dataclass
class WithDescription:
    """A successful result that also carries a "description" (like setWebhook's)."""

    result: Any
    description: str


Handler = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, Handler] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = func
        return func

    return register


# ------------------------------------------------------------------- helpers


def _int(value: Any, default: int = 0) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _resolve_chat(call: Call, key: str = "chat_id") -> FakeChat:
    raw = call.params.get(key)
    if raw is None or raw == "":
        raise bad_request("chat_id is empty")
    if isinstance(raw, str):
        raw = raw.strip()
        if not re.fullmatch(r"-?\d+", raw):
            # "@username" addresses channels/supergroups only; private chats can't be found so.
            raise bad_request("chat not found")
        raw = int(raw)
    chat = call.bot.chat(int(raw))
    if chat is None or not chat.started:
        raise bad_request("chat not found")
    call.chat = chat
    return chat


def _check_reachable(chat: FakeChat) -> None:
    if chat.deactivated:
        raise ApiError(403, DEACTIVATED)
    if chat.blocked:
        raise ApiError(403, BLOCKED)


def _acquire_send_slot(call: Call, chat: FakeChat) -> None:
    try:
        call.bot.limiter.acquire(chat.id)
    except FloodError as exc:
        raise flood(exc.retry_after) from None


def _parse_formatted(
    call: Call, text: str, mode_key: str, entities_key: str
) -> tuple[str, list[dict[str, Any]]]:
    raw_entities = call.params.get(entities_key)
    if raw_entities:
        try:
            entities = normalize_entities(raw_entities, text)
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        return text, entities
    try:
        return parse_text(text, call.params.get(mode_key))
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    except ValueError:
        raise bad_request("unsupported parse_mode") from None


def _message_text(call: Call) -> tuple[str, list[dict[str, Any]]]:
    raw = call.params.get("text")
    if raw is None or raw == "":
        raise bad_request("message text is empty")
    return _parse_formatted(call, str(raw), "parse_mode", "entities")


def _finish_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    text, entities = strip_text(text, entities)
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return text, detect_entities(text, entities)


def _caption(call: Call) -> tuple[str | None, list[dict[str, Any]]]:
    raw = call.params.get("caption")
    if raw is None or raw == "":
        return None, []
    text, entities = _parse_formatted(call, str(raw), "parse_mode", "caption_entities")
    text, entities = strip_text(text, entities)
    if not text:
        return None, []
    if utf16_len(text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return text, detect_entities(text, entities)


def _validate_inline_keyboard(fake: FakeTelegram, rows: Any) -> dict[str, Any] | None:
    if not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    result: list[list[dict[str, Any]]] = []
    total = 0
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(
                "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
            )
        clean_row: list[dict[str, Any]] = []
        for button in row:
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            if not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = [name for name in INLINE_BUTTON_ACTIONS if button.get(name) is not None]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1 and fake.strict_buttons:
                raise bad_request(
                    "can't parse inline keyboard button: exactly one of the optional fields "
                    f"must be used, got {', '.join(actions)}"
                )
            if "callback_data" in actions:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT
                ):
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in actions and not check_link(str(button["url"])):
                raise bad_request("BUTTON_URL_INVALID")
            clean_row.append({k: copy.deepcopy(v) for k, v in button.items() if v is not None})
            total += 1
        if clean_row:
            result.append(clean_row)
    if total > MAX_INLINE_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    problem = inline_keyboard_problem(result)
    if problem:
        raise bad_request(problem)
    if not result:
        return None
    return {"inline_keyboard": result}


def _reply_markup(call: Call, *, inline_only: bool = False) -> tuple[bool, dict[str, Any] | None]:
    """Returns (given, normalized markup). Empty inline keyboards normalize to None."""
    raw = call.params.get("reply_markup")
    if raw is None or raw == "":
        return False, None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        return True, _validate_inline_keyboard(call.fake, raw["inline_keyboard"])
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        clean_rows: list[list[dict[str, Any]]] = []
        for row in rows:
            clean: list[dict[str, Any]] = []
            for button in row:
                if isinstance(button, str):
                    button = {"text": button}
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad_request(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
                clean.append({k: v for k, v in button.items() if v is not None})
            if clean:
                clean_rows.append(clean)
        markup = {k: v for k, v in raw.items() if v is not None}
        markup["keyboard"] = clean_rows
        return True, markup
    if raw.get("remove_keyboard") or raw.get("force_reply"):
        return True, {k: v for k, v in raw.items() if v is not None}
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_only(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    if markup and "inline_keyboard" in markup:
        return markup
    return None


def _apply_keyboard_side_effects(chat: FakeChat, markup: dict[str, Any] | None) -> None:
    if not markup:
        return
    if "keyboard" in markup:
        chat.reply_keyboard = copy.deepcopy(markup)
        chat.force_reply = None
    elif markup.get("remove_keyboard"):
        chat.reply_keyboard = None
    elif markup.get("force_reply"):
        chat.force_reply = copy.deepcopy(markup)


def _reply_to(call: Call, chat: FakeChat) -> int | None:
    params = call.params.get("reply_parameters")
    message_id: int | None = None
    allow_without = bool(call.params.get("allow_sending_without_reply"))
    if isinstance(params, dict) and params.get("message_id") is not None:
        message_id = _int(params.get("message_id"))
        allow_without = allow_without or bool(params.get("allow_sending_without_reply"))
    elif call.params.get("reply_to_message_id"):
        message_id = _int(call.params.get("reply_to_message_id"))
    if not message_id:
        return None
    target = chat.messages.get(message_id)
    if target is None or target.deleted:
        if allow_without:
            return None
        raise bad_request("message to be replied not found")
    return message_id


_CONSUMED = frozenset(
    {
        "chat_id",
        "text",
        "parse_mode",
        "entities",
        "reply_markup",
        "caption",
        "caption_entities",
        "document",
        "message_id",
    }
)


def _extra_params(call: Call) -> dict[str, Any]:
    return {k: v for k, v in call.params.items() if k not in _CONSUMED}


def _store_outgoing(call: Call, chat: FakeChat, **fields: Any) -> StoredMessage:
    fake = call.fake
    msg = StoredMessage(
        message_id=chat.next_message_id(),
        chat_id=chat.id,
        date=int(fake.wall_clock()),
        outgoing=True,
        sender=call.bot.user_dict(),
        method=call.method,
        params=_extra_params(call),
        **fields,
    )
    chat.messages[msg.message_id] = msg
    now = fake.clock()
    call.bot.stats.send_times.append(now)
    fake.stats.send_times.append(now)
    chat.add_event("sent", msg.message_id, detail={"method": call.method})
    return msg


def _message_for_edit(call: Call) -> tuple[FakeChat, StoredMessage]:
    if call.params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = _resolve_chat(call)
    message_id = _int(call.params.get("message_id"))
    if message_id <= 0:
        raise bad_request("message identifier is not specified")
    msg = chat.messages.get(message_id)
    if msg is None or msg.deleted:
        raise bad_request("message to edit not found")
    _check_reachable(chat)
    if not msg.outgoing:
        raise bad_request("message can't be edited")
    return chat, msg


def _record_edit(call: Call, chat: FakeChat, msg: StoredMessage) -> None:
    if (call.bot.limits or call.fake.limits).count_edits:
        _acquire_send_slot(call, chat)
    msg.history.append(msg.snapshot())
    msg.edits += 1
    msg.edit_date = int(call.fake.wall_clock())
    now = call.fake.clock()
    call.bot.stats.edit_times.append(now)
    call.fake.stats.edit_times.append(now)


# ------------------------------------------------------------------- methods


@method("getMe")
async def get_me(call: Call) -> Any:
    return call.bot.get_me()


@method("logOut", "close")
async def log_out(call: Call) -> Any:
    return True


@method("getUpdates")
async def get_updates(call: Call) -> Any:
    bot = call.bot
    if bot.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    p = call.params
    offset = _int(p.get("offset"))
    limit = min(max(_int(p.get("limit"), 100), 1), 100)
    timeout = max(_int(p.get("timeout")), 0)
    allowed = p.get("allowed_updates")
    if isinstance(allowed, list):
        bot.poll_allowed_updates = [str(x) for x in allowed]
    if offset:
        bot.confirm_updates(offset)

    previous = bot._poll_waiter
    if previous is not None and not previous.done():
        previous.set_result("conflict")
        bot.update_notifier.notify()

    def ready() -> list[dict[str, Any]] | None:
        return bot.updates[:limit] or None

    if timeout > 0 and ready() is None:
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        bot._poll_waiter = waiter

        def wake() -> Any:
            if waiter.done():
                return "conflict"
            if call.fake.closing or bot.webhook is not None:
                return "stop"
            return ready()

        try:
            outcome = await bot.update_notifier.wait_for(wake, timeout)
        finally:
            if bot._poll_waiter is waiter:
                bot._poll_waiter = None
        if outcome == "conflict":
            raise ApiError(409, POLL_CONFLICT)
    return copy.deepcopy(ready() or [])


@method("setWebhook")
async def set_webhook(call: Call) -> Any:
    bot = call.bot
    p = call.params
    url = str(p.get("url") or "").strip()
    if not url:
        had = bot.webhook is not None
        call.fake._stop_webhook(bot)
        return WithDescription(True, "Webhook was deleted" if had else "Webhook is already deleted")
    m = re.match(r"^(https?)://([^/:?#]+)", url, re.IGNORECASE)
    if not m:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    if call.fake.require_https_webhook and m.group(1).lower() != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.get("secret_token")
    if secret is not None and secret != "":
        secret = str(secret)
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("bad webhook: Secret token contains unallowed characters")
    else:
        secret = None
    max_connections = min(max(_int(p.get("max_connections"), 40), 1), 100)
    allowed = p.get("allowed_updates")
    allowed_list = [str(x) for x in allowed] if isinstance(allowed, list) else None
    if p.get("drop_pending_updates"):
        bot.updates.clear()
    previous = bot.webhook
    if previous is not None and allowed_list is None:
        allowed_list = previous.allowed_updates
    same = previous is not None and previous.url == url and previous.secret_token == secret
    bot.webhook = WebhookState(
        url=url,
        secret_token=secret,
        max_connections=max_connections,
        allowed_updates=allowed_list,
        ip_address=str(p["ip_address"]) if p.get("ip_address") else None,
    )
    call.fake._start_webhook(bot)
    bot.update_notifier.notify()
    return WithDescription(True, "Webhook is already set" if same else "Webhook was set")


@method("deleteWebhook")
async def delete_webhook(call: Call) -> Any:
    bot = call.bot
    had = bot.webhook is not None
    call.fake._stop_webhook(bot)
    if call.params.get("drop_pending_updates"):
        bot.updates.clear()
    return WithDescription(True, "Webhook was deleted" if had else "Webhook is already deleted")


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> Any:
    bot = call.bot
    hook = bot.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": bot.pending_update_count,
    }
    if hook is not None:
        info["max_connections"] = hook.max_connections
        if hook.ip_address:
            info["ip_address"] = hook.ip_address
        if hook.allowed_updates is not None:
            info["allowed_updates"] = list(hook.allowed_updates)
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


@method("sendMessage")
async def send_message(call: Call) -> Any:
    text, entities = _message_text(call)
    _, markup = _reply_markup(call)
    chat = _resolve_chat(call)
    text, entities = _finish_text(text, entities)
    reply_to = _reply_to(call, chat)
    _acquire_send_slot(call, chat)
    _check_reachable(chat)
    msg = _store_outgoing(
        call,
        chat,
        text=text,
        entities=entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )
    _apply_keyboard_side_effects(chat, markup)
    return chat.message_to_api(msg)


@method("editMessageText")
async def edit_message_text(call: Call) -> Any:
    text, entities = _message_text(call)
    _, markup = _reply_markup(call, inline_only=True)
    chat, msg = _message_for_edit(call)
    if msg.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = _finish_text(text, entities)
    if msg.text == text and msg.entities == entities and _inline_only(msg.reply_markup) == markup:
        raise bad_request(NOT_MODIFIED)
    _record_edit(call, chat, msg)
    msg.text = text
    msg.entities = entities
    msg.reply_markup = markup
    chat.add_event("edited", msg.message_id, detail={"method": call.method})
    return chat.message_to_api(msg)


@method("editMessageCaption")
async def edit_message_caption(call: Call) -> Any:
    caption, entities = _caption(call)
    _, markup = _reply_markup(call, inline_only=True)
    chat, msg = _message_for_edit(call)
    if msg.text is not None:
        raise bad_request("there is no caption in the message to edit")
    if (
        msg.caption == caption
        and msg.caption_entities == entities
        and _inline_only(msg.reply_markup) == markup
    ):
        raise bad_request(NOT_MODIFIED)
    _record_edit(call, chat, msg)
    msg.caption = caption
    msg.caption_entities = entities
    msg.reply_markup = markup
    chat.add_event("edited", msg.message_id, detail={"method": call.method})
    return chat.message_to_api(msg)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> Any:
    _, markup = _reply_markup(call, inline_only=True)
    chat, msg = _message_for_edit(call)
    if _inline_only(msg.reply_markup) == markup:
        raise bad_request(NOT_MODIFIED)
    _record_edit(call, chat, msg)
    msg.reply_markup = markup
    chat.add_event("edited", msg.message_id, detail={"method": call.method})
    return chat.message_to_api(msg)


@method("deleteMessage")
async def delete_message(call: Call) -> Any:
    chat = _resolve_chat(call)
    message_id = _int(call.params.get("message_id"))
    if message_id <= 0:
        raise bad_request("message identifier is not specified")
    msg = chat.messages.get(message_id)
    if msg is None or msg.deleted:
        raise bad_request("message to delete not found")
    msg.deleted = True
    chat.add_event("deleted", message_id, detail={"method": call.method})
    return True


@method("deleteMessages")
async def delete_messages(call: Call) -> Any:
    chat = _resolve_chat(call)
    ids = call.params.get("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message identifiers are not specified")
    for raw in ids:
        msg = chat.messages.get(_int(raw))
        if msg is not None and not msg.deleted:
            msg.deleted = True
            chat.add_event("deleted", msg.message_id, detail={"method": call.method})
    return True


@method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> Any:
    bot = call.bot
    query_id = str(call.params.get("callback_query_id") or "")
    record = bot.callback_queries.get(query_id)
    if (
        record is None
        or record.answered
        or call.fake.clock() - record.created > call.fake.callback_query_timeout
    ):
        raise bad_request(QUERY_TOO_OLD)
    text = call.params.get("text")
    if text is not None and len(str(text)) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    record.answered = True
    record.answered_at = call.fake.clock()
    record.answer = {
        "text": text,
        "show_alert": bool(call.params.get("show_alert")),
        "url": call.params.get("url"),
        "cache_time": _int(call.params.get("cache_time")),
    }
    chat = bot.chat(record.chat_id)
    if chat is not None:
        chat.add_event(
            "callback_answer", record.message_id, detail={"id": record.id, **record.answer}
        )
    return True


def _guess_mime(filename: str | None, content_type: str | None) -> str:
    import mimetypes

    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    if content_type and content_type != "application/octet-stream":
        return content_type
    return "application/octet-stream"


@method("sendDocument")
async def send_document(call: Call) -> Any:
    fake = call.fake
    raw = call.params.get("document")
    if raw is None or raw == "":
        raise bad_request("there is no document in the request")
    caption, caption_entities = _caption(call)
    _, markup = _reply_markup(call)
    chat = _resolve_chat(call)

    stored: StoredFile | None = None
    upload: UploadedFile | None = None
    if isinstance(raw, UploadedFile):
        upload = raw
    elif isinstance(raw, str) and raw.startswith("attach://"):
        upload = call.files.get(raw[len("attach://") :])
        if upload is None:
            raise bad_request("there is no document in the request")
    elif isinstance(raw, str) and re.match(r"^https?://", raw, re.IGNORECASE):
        name = raw.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "file"
        stored = fake.store_file(b"", name, _guess_mime(name, None), origin="bot", url=raw)
    elif isinstance(raw, str):
        stored = fake.files.get(raw)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
    else:
        raise bad_request("there is no document in the request")
    if upload is not None:
        if not upload.data:
            raise bad_request("file must be non-empty")
        if len(upload.data) > fake.max_upload_size:
            raise ApiError(413, "Request Entity Too Large")
        filename = upload.filename or "document"
        stored = fake.store_file(
            upload.data, filename, _guess_mime(filename, upload.content_type), origin="bot"
        )
    assert stored is not None
    reply_to = _reply_to(call, chat)
    _acquire_send_slot(call, chat)
    _check_reachable(chat)
    call.bot.documents.append(stored)
    msg = _store_outgoing(
        call,
        chat,
        document=stored.document(),
        caption=caption,
        caption_entities=caption_entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
    )
    _apply_keyboard_side_effects(chat, markup)
    return chat.message_to_api(msg)


@method("getFile")
async def get_file(call: Call) -> Any:
    stored = call.fake.files.get(str(call.params.get("file_id") or ""))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.file()


def _scope(call: Call) -> dict[str, Any]:
    raw = call.params.get("scope")
    if raw is None or raw == "":
        return {"type": "default"}
    if not isinstance(raw, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    scope_type = raw.get("type")
    if scope_type not in SCOPE_TYPES:
        raise bad_request("unsupported bot command scope specified")
    scope: dict[str, Any] = {"type": scope_type}
    if scope_type in ("chat", "chat_administrators", "chat_member"):
        chat_call = Call(call.fake, call.bot, call.method, {"chat_id": raw.get("chat_id")})
        scope["chat_id"] = _resolve_chat(chat_call).id
    if scope_type == "chat_member":
        user_id = _int(raw.get("user_id"))
        if user_id <= 0:
            raise bad_request("invalid user_id specified")
        scope["user_id"] = user_id
    return scope


def _language_code(call: Call) -> str:
    code = str(call.params.get("language_code") or "")
    if code and not re.fullmatch(r"[a-zA-Z]{2}", code):
        raise bad_request("invalid language code specified")
    return code.lower()


@method("setMyCommands")
async def set_my_commands(call: Call) -> Any:
    commands = call.params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    clean: list[dict[str, Any]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        command = str(item.get("command") or "").strip()
        description = str(item.get("description") or "").strip()
        if command.startswith("/"):
            command = command[1:]
        if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": command, "description": description})
    scope = _scope(call)
    key = (call.bot.scope_key(scope), _language_code(call))
    if clean:
        call.bot.commands[key] = clean
    else:
        call.bot.commands.pop(key, None)
    return True


@method("getMyCommands")
async def get_my_commands(call: Call) -> Any:
    return call.bot.commands_for(_scope(call), _language_code(call))


@method("deleteMyCommands")
async def delete_my_commands(call: Call) -> Any:
    call.bot.commands.pop((call.bot.scope_key(_scope(call)), _language_code(call)), None)
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> Any:
    button = call.params.get("menu_button")
    if button is None or button == "":
        button = {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    if call.params.get("chat_id") not in (None, ""):
        chat = _resolve_chat(call)
        chat.menu_button = dict(button)
    else:
        call.bot.default_menu_button = dict(button)
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> Any:
    if call.params.get("chat_id") not in (None, ""):
        chat = _resolve_chat(call)
        if chat.menu_button is not None:
            return dict(chat.menu_button)
    return dict(call.bot.default_menu_button or {"type": "default"})


@method("sendChatAction")
async def send_chat_action(call: Call) -> Any:
    chat = _resolve_chat(call)
    action = str(call.params.get("action") or "")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    _check_reachable(chat)
    chat.chat_actions.append(action)
    chat.add_event("chat_action", None, detail={"action": action})
    return True


@method("getChat")
async def get_chat(call: Call) -> Any:
    return _resolve_chat(call).full_info()


def _profile_setter(key: str) -> Handler:
    async def setter(call: Call) -> Any:
        value = str(call.params.get(key) or "")
        lang = _language_code(call)
        call.bot.profile.setdefault(key, {})
        if value:
            call.bot.profile[key][lang] = value
        else:
            call.bot.profile[key].pop(lang, None)
        return True

    return setter


def _profile_getter(key: str) -> Handler:
    async def getter(call: Call) -> Any:
        values = call.bot.profile.get(key, {})
        lang = _language_code(call)
        value = values.get(lang, values.get("", ""))
        if key == "name" and not value:
            value = call.bot.first_name
        return {key: value}

    return getter


for _key, _set, _get in (
    ("name", "setMyName", "getMyName"),
    ("description", "setMyDescription", "getMyDescription"),
    ("short_description", "setMyShortDescription", "getMyShortDescription"),
):
    METHODS[_set.lower()] = _profile_setter(_key)
    METHODS[_get.lower()] = _profile_getter(_key)


@method("pinChatMessage", "unpinChatMessage", "unpinAllChatMessages", "setMessageReaction")
async def accept_chat_call(call: Call) -> Any:
    _resolve_chat(call)
    return True
