"""What is sent unasked: the outbox, digests, absence suggestions and alert states,
notification job runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base

# The outbox and the alert states are read and written in SQL (notifications/outbox.py,
# sender.py; core/jobs.py), so they are declared as tables, not mapped classes.

# A message sent unasked (digest, alert, round), queued before it is delivered. ``key``
# makes building idempotent. ``status``: pending → sent | failed | unreachable; a pending
# row is claimed by a sender until ``claimed_until`` (a lease), and is due at
# ``next_attempt_at`` (NULL: now). See notifications/outbox.py and sender.py.
outbox_table = Table(
    "outbox",
    Base.metadata,
    Column("id", BigInteger, primary_key=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    # No foreign key (migration 0029): a deleted binding's rows let go of it by a trigger.
    Column("binding_id", BigInteger),
    Column("text", Text, nullable=False),
    # Through which messenger it goes (its adapter in notifications/channels/), and its
    # buttons as rows of {"text", "data"} or {"text", "url"}, whatever the messenger.
    Column("channel", String(32), nullable=False, server_default=text("'telegram'")),
    Column("buttons", JSONB),
    Column("meta", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("not_before", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("status", String(12), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("claimed_by", String(100)),
    Column("claimed_until", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    # The messenger's id of the delivered message: Telegram's int as text, MAX's "mid.…".
    Column("message_id", String(64)),
    Column("failed_at", DateTime(timezone=True)),
    Column("error_code", Integer),
    Column("last_error", Text),
    CheckConstraint("status IN ('pending', 'sent', 'failed', 'unreachable')", name="status"),
    Index(
        "ix_outbox_due",
        text("COALESCE(next_attempt_at, '-infinity'::timestamptz)"),
        "id",
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_outbox_chat_pending", "chat_id", "id", postgresql_where=text("status = 'pending'")),
    Index("ix_outbox_status_kind", "status", "kind"),
)


# How many outbox rows have ended in each closed state (migration 0030): counted by the
# recorder in the statement that closes them (notifications/recorder.py), so that what a
# scrape or the status screen reports costs a few rows to read, not the whole history
# (rows are never deleted: a district's outbox grows by millions a year). Pending rows
# are counted live, through the pending rows' index.
outbox_closed_table = Table(
    "outbox_closed",
    Base.metadata,
    Column("status", String(12), primary_key=True),
    Column("rows", BigInteger, nullable=False, server_default=text("0")),
    CheckConstraint("status IN ('sent', 'failed', 'unreachable')", name="status"),
)

# Which instance sends through a bot (issue 14): the one holding the bot's lease, renewed
# while it runs, so that two ``journal run`` on one database keep one bot's rate between
# them. ``channel`` is the outbox's channel (one bot each); ``holder`` a sender's worker
# id; the lease runs ``until`` (the database's clock). See notifications/leases.py.
send_leases_table = Table(
    "send_leases",
    Base.metadata,
    Column("channel", String(32), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
)

# The instances sending now (issue 14): a heartbeat row each (``holder``: the instance's
# lease holder id), renewed ``until`` (the database's clock) in the statement that renews
# its leases, with the ``channels`` it can send through. An instance holds at most
# ceil(channels / live instances) leases. See notifications/leases.py.
send_instances_table = Table(
    "send_instances",
    Base.metadata,
    Column("holder", String(100), primary_key=True),
    Column("channels", ARRAY(String(32)), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
)

# --- notifications: what was sent unasked, what was read, what parents suggested ---------


class Digest(Base):
    """A parent binding's daily digest (R16) and its read receipt (R17). A row means the
    digest for that day was built (``parts`` messages queued; 0 when there was nothing
    new), so re-running the job builds nothing twice. ``read_at``: «Прочитано ✓» pressed."""

    __tablename__ = "digests"

    # No foreign key (migration 0029): a deleted binding's digests go by a trigger.
    binding_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime]
    parts: Mapped[int] = mapped_column(SmallInteger)
    read_at: Mapped[datetime | None]


class Announcement(Base):
    """An announcement a class teacher, the admin or the director wrote (issue 13.3): to
    a class, one of its subgroups, a grade or the whole school (``scope`` and its
    ``target_id``: the class, group or grade; 0 for the school), for the parents, the
    pupils or both (``audience``). ``token`` is the author's draft: a second «Отправить»
    on the same draft finds the row and sends nothing again. ``reminded_at``: «Напомнить
    непрочитавшим» was used (once)."""

    __tablename__ = "announcements"
    __table_args__ = (
        UniqueConstraint("author_id", "token"),
        CheckConstraint("scope IN ('class', 'group', 'grade', 'school')", name="scope"),
        CheckConstraint("audience IN ('parents', 'pupils', 'both')", name="audience"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    audience: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]


class AnnouncementReceipt(Base):
    """One person an announcement went to, in the role it reached them in, and their
    «Прочитано ✓» (R17's receipt: a read on any of the person's bindings counts)."""

    __tablename__ = "announcement_receipts"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(10))
    read_at: Mapped[datetime | None]


class AbsenceSuggestion(Base):
    """A parent's suggested reason for a pupil's absence on a day: it waits in the class
    teacher's queue; only the class teacher confirms a reason, from documents (R6)."""

    __tablename__ = "absence_suggestions"
    __table_args__ = (
        UniqueConstraint("pupil_id", "day", "suggested_by"),
        CheckConstraint(
            "reason IN ('illness', 'parent_statement', 'other_excused')", name="reason"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.person_id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    suggested_by: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("bindings.id", ondelete="SET NULL"))
    suggested_at: Mapped[datetime]
    # Given in advance with a planned absence: withdrawing that one takes this away.
    planned_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("planned_absences.id", ondelete="CASCADE")
    )


class PlannedAbsence(Base):
    """A parent's warning of an absence in advance (issue 13): whole days
    ``first_day``..``last_day``, or some lessons (their numbers) of one day; the reason's
    category and an optional comment (no diagnoses). Withdrawn until its first lesson
    starts. Each school day it covers holds an ``AbsenceSuggestion`` for the class
    teacher to confirm (R6)."""

    __tablename__ = "planned_absences"
    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="days"),
        CheckConstraint("lessons IS NULL OR first_day = last_day", name="lessons_one_day"),
        CheckConstraint(
            "reason IN ('illness', 'parent_statement', 'other_excused')", name="reason"
        ),
        Index("ix_planned_absences_pupil_days", "pupil_id", "last_day", "first_day"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.person_id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    lessons: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))  # NULL: all day
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("bindings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


# What the last instant absence alert (or correction) told a parent binding about a
# pupil's day: its version and the absent lessons (ids, JSONB) it announced.
absence_alert_states_table = Table(
    "absence_alert_states",
    Base.metadata,
    Column(
        "binding_id",
        BigInteger,
        ForeignKey("bindings.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "pupil_id",
        Integer,
        ForeignKey("pupils.person_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("day", Date, primary_key=True),
    Column("version", SmallInteger, nullable=False),
    Column("lessons", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class NotificationJobRun(Base):
    """A scheduled notification job done for a school and a due time (slot), so that a
    missed run is caught up once and a second instance does not repeat it."""

    __tablename__ = "notification_job_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    school_id: Mapped[int] = mapped_column(
        ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[datetime] = mapped_column(primary_key=True)
    done_at: Mapped[datetime]
    items: Mapped[int] = mapped_column(Integer)
