"""Settings from the environment and ``.env`` (pydantic-settings). Every setting has a
sensible default except the bot token; ``.env.example`` lists and explains them all."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.rules import Rules


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    bot_username: str | None = None
    telegram_api_base: str = "https://api.telegram.org"
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

    # Rules (R7, R8, R2); per-school values in the database override the first two.
    correction_deadline: time = time(20, 0)
    edit_window_days: int | None = Field(default=None, ge=0)
    invitation_ttl_days: int = Field(default=14, ge=1)
    redeem_attempts_per_hour: int = Field(default=5, ge=1)

    @field_validator("school_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

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
