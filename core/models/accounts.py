"""Invitations, bindings of messenger accounts, accounts, conversation state and
notification preferences. A messenger account is (``messenger``, ``user_id``)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    Time,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import AbsenceChoice, Base, BindingRole, _enum_check


class Invitation(Base):
    """A one-time invitation code; only its SHA-256 is stored (R2)."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint(_enum_check("role", BindingRole), name="role"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The binding it was issued through (R3); NULL from the console. Added after both
    # tables (bindings refer to invitations too), as migration 0011 does.
    issued_by_binding_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("bindings.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_messenger: Mapped[str | None] = mapped_column(String(16))
    used_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None]


class Binding(Base):
    """A messenger account bound to a person in a role. One account may hold several; a
    person may be bound from several accounts (on Telegram and on MAX)."""

    __tablename__ = "bindings"
    __table_args__ = (
        CheckConstraint(_enum_check("role", BindingRole), name="role"),
        Index(
            "uq_bindings_active",
            "messenger",
            "user_id",
            "person_id",
            "role",
            "bot_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_bindings_person", "person_id"),
        Index("ix_bindings_user", "messenger", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    messenger: Mapped[str] = mapped_column(String(16), server_default=text("'telegram'"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    # Set when the messenger answers that the user blocked the bot (or is gone): nothing
    # more is sent to it.
    unreachable_at: Mapped[datetime | None]
    # How an admin tells two accounts of one person apart (R3): the messenger, the profile
    # it was bound from, and its last interaction with the bot (updated at most once a
    # minute, ``core.accounts.SEEN_EVERY``).
    profile_name: Mapped[str | None] = mapped_column(String(200))
    username: Mapped[str | None] = mapped_column(String(64))
    last_seen_at: Mapped[datetime | None]
    # The school's own Telegram bot it was made through (issue 14), None for the shared
    # ``BOT_TOKEN`` bot (and MAX): a school bot's update sees only its own bindings.
    bot_id: Mapped[int | None] = mapped_column(BigInteger)


class RedeemAttempt(Base):
    """Failed code redemptions per messenger account, to limit guessing (R2)."""

    __tablename__ = "redeem_attempts"
    __table_args__ = (Index("ix_redeem_attempts_user_at", "messenger", "user_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    messenger: Mapped[str] = mapped_column(String(16), server_default=text("'telegram'"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime]


class Account(Base):
    """A messenger account: the chat the bot writes to and the language it reads. What it
    acts through now is per bot (:class:`AccountBot`)."""

    __tablename__ = "accounts"

    messenger: Mapped[str] = mapped_column(
        String(16), primary_key=True, server_default=text("'telegram'")
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str | None] = mapped_column(String(5))
    updated_at: Mapped[datetime]


SHARED_BOT = 0  # AccountBot.bot_id of the deployment's shared bot (and of MAX's)


class AccountBot(Base):
    """An account's place in one bot (issue 14): which of the bindings made through that
    bot it acts through now and which child a parent is looking at there. A person in the
    shared bot and in the school's own bot keeps a choice in each, so writing to one does
    not switch the other. ``bot_id`` is the school's bot, ``SHARED_BOT`` (0) for the
    deployment's shared bot and for MAX."""

    __tablename__ = "account_bots"
    __table_args__ = (
        ForeignKeyConstraint(
            ["messenger", "user_id"],
            ["accounts.messenger", "accounts.user_id"],
            ondelete="CASCADE",
        ),
    )

    messenger: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    active_binding_id: Mapped[int | None] = mapped_column(
        ForeignKey("bindings.id", ondelete="SET NULL")
    )
    active_pupil_id: Mapped[int | None] = mapped_column(
        ForeignKey("pupils.person_id", ondelete="SET NULL")
    )


class ConversationState(Base):
    """Conversation state (e.g. waiting for the homework text), kept in PostgreSQL so it
    survives a restart and is shared by instances behind a webhook."""

    __tablename__ = "conversation_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    updated_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class NotificationPrefs(Base):
    """A parent binding's choices for what is sent unasked (R16)."""

    __tablename__ = "notification_prefs"

    binding_id: Mapped[int] = mapped_column(
        ForeignKey("bindings.id", ondelete="CASCADE"), primary_key=True
    )
    digest_enabled: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # NULL: the school's digest time (20:00 by default).
    digest_time: Mapped[time | None] = mapped_column(Time)
    absence_alerts: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    # False: nothing unasked goes to this binding's messenger; the parent chose another one
    # of theirs (core.accounts.set_delivery keeps at least one delivering).
    delivers: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class ChildNotificationChoice(Base):
    """What a parent (the person, on every binding of theirs) receives about one child
    (R16). No row: everything, as before anyone chose."""

    __tablename__ = "child_notification_choices"
    __table_args__ = (CheckConstraint(_enum_check("absences", AbsenceChoice), name="absences"),)

    guardian_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    pupil_id: Mapped[int] = mapped_column(
        ForeignKey("pupils.person_id", ondelete="CASCADE"), primary_key=True
    )
    marks: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))  # corrections too
    absences: Mapped[str] = mapped_column(String(10), server_default=text("'all'"))
    homework: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    announcements: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    schedule: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class QuietHours(Base):
    """A parent's quiet hours, local time of the school (R16): inside them only absence
    alerts are sent; the rest waits until ``ends``. ``starts`` > ``ends``: over midnight."""

    __tablename__ = "quiet_hours"
    __table_args__ = (CheckConstraint("starts <> ends", name="not_empty"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
