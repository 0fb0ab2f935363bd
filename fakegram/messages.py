"""The Bot API methods that send, edit and delete messages, answer callback queries and
carry documents: text and caption limits, parse modes, keyboards, flood control."""

from __future__ import annotations

import copy
import re
from typing import Any

from fakegram.calls import (
    Call,
    UploadedFile,
    check_reachable,
    guess_mime,
    int_param,
    method,
    resolve_chat,
)
from fakegram.errors import (
    NOT_MODIFIED,
    QUERY_TOO_OLD,
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
from fakegram.state import FakeChat, Hub, StoredFile, StoredMessage

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
MAX_INLINE_BUTTONS = 100
# InlineKeyboardButton.style (Bot API 9.4): "Must be one of danger, success or primary".
BUTTON_STYLES = frozenset({"danger", "success", "primary"})

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


def _validate_inline_keyboard(fake: Hub, rows: Any) -> dict[str, Any] | None:
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
            style = button.get("style")
            if style is not None and style not in BUTTON_STYLES:
                raise bad_request(
                    "can't parse inline keyboard button: style must be one of "
                    + ", ".join(sorted(BUTTON_STYLES))
                )
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
        message_id = int_param(params.get("message_id"))
        allow_without = allow_without or bool(params.get("allow_sending_without_reply"))
    elif call.params.get("reply_to_message_id"):
        message_id = int_param(call.params.get("reply_to_message_id"))
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
    chat = resolve_chat(call)
    message_id = int_param(call.params.get("message_id"))
    if message_id <= 0:
        raise bad_request("message identifier is not specified")
    msg = chat.messages.get(message_id)
    if msg is None or msg.deleted:
        raise bad_request("message to edit not found")
    check_reachable(chat)
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


@method("sendMessage")
async def send_message(call: Call) -> Any:
    text, entities = _message_text(call)
    _, markup = _reply_markup(call)
    chat = resolve_chat(call)
    text, entities = _finish_text(text, entities)
    reply_to = _reply_to(call, chat)
    _acquire_send_slot(call, chat)
    check_reachable(chat)
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
    chat = resolve_chat(call)
    message_id = int_param(call.params.get("message_id"))
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
    chat = resolve_chat(call)
    ids = call.params.get("message_ids")
    if not isinstance(ids, list) or not ids:
        raise bad_request("message identifiers are not specified")
    for raw in ids:
        msg = chat.messages.get(int_param(raw))
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
        "cache_time": int_param(call.params.get("cache_time")),
    }
    chat = bot.chat(record.chat_id)
    if chat is not None:
        chat.add_event(
            "callback_answer", record.message_id, detail={"id": record.id, **record.answer}
        )
    return True


@method("sendDocument")
async def send_document(call: Call) -> Any:
    fake = call.fake
    raw = call.params.get("document")
    if raw is None or raw == "":
        raise bad_request("there is no document in the request")
    caption, caption_entities = _caption(call)
    _, markup = _reply_markup(call)
    chat = resolve_chat(call)

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
        stored = fake.store_file(b"", name, guess_mime(name, None), origin="bot", url=raw)
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
            upload.data, filename, guess_mime(filename, upload.content_type), origin="bot"
        )
    assert stored is not None
    reply_to = _reply_to(call, chat)
    _acquire_send_slot(call, chat)
    check_reachable(chat)
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
