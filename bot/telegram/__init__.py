"""The Telegram adapter (aiogram 3): routers per feature (``handlers/``) that turn updates
into use-case calls and screens, ``render.py`` that turns a screen into Telegram messages
under Telegram's limits, the middlewares, the transport (retries, 429s), the conversation
storage and the start-up. The only part of ``bot/`` that knows Telegram."""
