"""The Bot API methods the fake supports, all in ``METHODS``: the messages' methods are in
``fakegram.messages``; here updates and webhooks, the command menu, the profile and
chats."""

from __future__ import annotations

import asyncio
import copy
import re
from typing import Any

from fakegram import messages  # noqa: F401  (the message methods register on import)
from fakegram.calls import (
    METHODS,
    Call,
    Handler,
    WithDescription,
    check_reachable,
    int_param,
    method,
    resolve_chat,
)
from fakegram.errors import (
    POLL_CONFLICT,
    WEBHOOK_CONFLICT,
    ApiError,
    bad_request,
)
from fakegram.state import WebhookState

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
    offset = int_param(p.get("offset"))
    limit = min(max(int_param(p.get("limit"), 100), 1), 100)
    timeout = max(int_param(p.get("timeout")), 0)
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
        call.fake.stop_webhook(bot)
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
    max_connections = min(max(int_param(p.get("max_connections"), 40), 1), 100)
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
    call.fake.start_webhook(bot)
    bot.update_notifier.notify()
    return WithDescription(True, "Webhook is already set" if same else "Webhook was set")


@method("deleteWebhook")
async def delete_webhook(call: Call) -> Any:
    bot = call.bot
    had = bot.webhook is not None
    call.fake.stop_webhook(bot)
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
        scope["chat_id"] = resolve_chat(chat_call).id
    if scope_type == "chat_member":
        user_id = int_param(raw.get("user_id"))
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
        chat = resolve_chat(call)
        chat.menu_button = dict(button)
    else:
        call.bot.default_menu_button = dict(button)
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> Any:
    if call.params.get("chat_id") not in (None, ""):
        chat = resolve_chat(call)
        if chat.menu_button is not None:
            return dict(chat.menu_button)
    return dict(call.bot.default_menu_button or {"type": "default"})


@method("sendChatAction")
async def send_chat_action(call: Call) -> Any:
    chat = resolve_chat(call)
    action = str(call.params.get("action") or "")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    check_reachable(chat)
    chat.chat_actions.append(action)
    chat.add_event("chat_action", None, detail={"action": action})
    return True


@method("getChat")
async def get_chat(call: Call) -> Any:
    return resolve_chat(call).full_info()


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
    resolve_chat(call)
    return True


__all__ = ["METHODS"]
