"""Settings from the environment and ``.env`` (pydantic-settings). Every setting has a
sensible default except the bot token; ``.env.example`` lists and explains them all."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.rules import Rules
from notifications.rules import NotificationRules


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    bot_username: str | None = None
    # The MAX bot's name (as in https://max.ru/<name>), for deep links and invitation cards.
    max_bot_username: str | None = None
    telegram_api_base: str = "https://api.telegram.org"
    # MAX (issue 12): the outbox delivers to MAX accounts when its bot's token is set.
    max_bot_token: SecretStr | None = None
    max_api_base: str = "https://platform-api.max.ru"
    # Schools' own bots (issue 14, `journal school --bot-token`): their tokens are stored
    # encrypted with a key derived from this phrase (at least 16 characters; keep a copy
    # off the server: without it the stored tokens cannot be opened).
    bot_token_key: SecretStr | None = None
    # How often a running `journal run` (and each webhook worker) looks whether a school's
    # bot was set, replaced or dropped, and then serves the new set without a restart.
    school_bots_poll_seconds: float = Field(default=30.0, gt=0, le=3600)
    # MAX's webhook (MAX POSTs updates here); long polling when unset. Served on
    # WEBHOOK_HOST at its own port, subscribed at start.
    max_webhook_url: str | None = None
    max_webhook_path: str = "/max/webhook"
    max_webhook_port: int = Field(default=8081, ge=1, le=65535)
    max_webhook_secret: SecretStr | None = None
    database_url: str | None = None
    data_dir: Path = Path("data")
    migrate_on_start: bool = True
    school_timezone: str = "Europe/Moscow"
    log_level: str = "INFO"

    # Webhook mode (several instances behind a load balancer); polling when unset.
    webhook_url: str | None = None
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    # Processes serving the webhook on the one port (SO_REUSEPORT): Python uses one core a
    # process, so a burst of updates is served by all cores only with several.
    webhook_workers: int = Field(default=1, ge=1, le=64)
    # How many updates Telegram may have in flight to the webhook at once (1-100).
    webhook_max_connections: int = Field(default=40, ge=1, le=100)

    # GET /health and GET /metrics (Prometheus) of `journal run`; port 0 switches them off.
    health_host: str = "127.0.0.1"
    health_port: int = Field(default=9100, ge=0, le=65535)

    # Rules (R7, R8, R2); per-school values in the database override the first two.
    correction_deadline: time = time(20, 0)
    edit_window_days: int | None = Field(default=None, ge=0)
    invitation_ttl_days: int = Field(default=14, ge=1)
    redeem_attempts_per_hour: int = Field(default=5, ge=1)

    # Notifications (R4, R6, R13, R16, R17): times are the school's local time.
    digest_time: time = time(20, 0)
    digest_skip_empty: bool = True
    friday_round_day: int = Field(default=5, ge=1, le=7)
    friday_round_time: time = time(14, 0)
    monday_reminder_time: time = time(8, 0)
    teacher_reminder_time: time = time(18, 30)
    schedule_morning_time: time = time(7, 0)  # R25: parents' «Изменения на сегодня»
    absence_days_threshold: int = Field(default=3, ge=1, le=7)
    absence_month_share: float = Field(default=0.3, gt=0, le=1)
    absence_month_min_lessons: int = Field(default=10, ge=1)
    threshold_check_time: time = time(20, 15)
    catch_up_hours: float = Field(default=6, ge=0, le=24)
    sweep_minutes: int = Field(default=5, ge=1, le=60)
    homework_horizon_days: int = Field(default=21, ge=1, le=60)
    digest_workers: int = Field(default=2, ge=1, le=16)  # processes building a region's digests
    notifications_enabled: bool = True

    # The outbox sender (Telegram's limits: ~30 messages/s per bot, ~1/s per chat).
    send_rate: float = Field(default=25.0, gt=0, le=1000)
    paid_broadcast: bool = False
    send_per_chat_interval: float = Field(default=1.0, ge=0)
    send_batch: int = Field(default=50, ge=1, le=1000)
    send_lease_seconds: float = Field(default=60.0, ge=5)
    # Sends of one bot begun and not yet recorded: the most a SIGKILL can re-send per bot.
    send_max_unrecorded: int = Field(default=10, ge=1, le=1000)
    # How long an instance holds a bot (its channel) without renewing: of several
    # instances on one database, the holder sends through it; the instances divide the
    # bots, and the others take a dead one's bots over this long after it died (and a
    # third more at most), notifications/leases.py.
    send_bot_lease_seconds: float = Field(default=30.0, ge=3, le=300)
    send_max_attempts: int = Field(default=20, ge=1)
    send_idle_poll: float = Field(default=1.0, gt=0)
    # MAX's sender: MAX documents 30 requests/s per bot (one message is one request).
    max_send_rate: float = Field(default=25.0, gt=0, le=30)

    # Backups (R22): at least two folders on different media, a signing key.
    backup_dirs: str = ""
    backup_hmac_key: SecretStr | None = None
    backup_every_days: int = Field(default=7, ge=1, le=14)
    backup_keep: int = Field(default=8, ge=1)
    pg_bin_dir: Path | None = None

    @field_validator("school_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    @field_validator(
        "pg_bin_dir", "backup_hmac_key", "max_bot_token", "bot_token_key", mode="before"
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("edit_window_days", mode="before")
    @classmethod
    def _empty_is_unlimited(cls, value: object) -> object:
        return None if value in ("", "none", "None") else value

    def rules(self) -> Rules:
        return Rules(
            timezone=ZoneInfo(self.school_timezone),
            correction_deadline=self.correction_deadline,
            edit_window_days=self.edit_window_days,
            invitation_ttl_days=self.invitation_ttl_days,
            redeem_attempts_per_hour=self.redeem_attempts_per_hour,
        )

    def notification_rules(self) -> NotificationRules:
        return NotificationRules(
            digest_time=self.digest_time,
            digest_skip_empty=self.digest_skip_empty,
            friday_round_day=self.friday_round_day,
            friday_round_time=self.friday_round_time,
            monday_reminder_time=self.monday_reminder_time,
            teacher_reminder_time=self.teacher_reminder_time,
            schedule_morning_time=self.schedule_morning_time,
            absence_days_threshold=self.absence_days_threshold,
            absence_month_share=self.absence_month_share,
            absence_month_min_lessons=self.absence_month_min_lessons,
            threshold_check_time=self.threshold_check_time,
            catch_up_hours=self.catch_up_hours,
            sweep_minutes=self.sweep_minutes,
            homework_horizon_days=self.homework_horizon_days,
            digest_workers=self.digest_workers,
        )

    def backup_key(self) -> bytes:
        return self.backup_hmac_key.get_secret_value().encode() if self.backup_hmac_key else b""
