"""What is sent without being asked: digests, absence alerts, Friday absence-reason
rounds, reminders. Builds messages from core, queues them in the outbox, delivers them
under Telegram's rate limits. Imports core (and aiogram for delivery), never bot/."""
