"""What is sent without being asked: digests, absence alerts, the Friday round,
reminders. Each is a screen (``bot/screen.py``) built from core's data and queued in the
outbox with its recipient and channel; the sender delivers it through that channel's
adapter (``notifications/channels/``). Imports core and bot's neutral screen and actions,
never bot's Telegram adapter or handlers."""
