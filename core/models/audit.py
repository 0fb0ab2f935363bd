"""The audit log (R9) and correction requests for the deputy (R7, R8)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, RequestStatus, _enum_check


class AuditEntry(Base):
    """Append-only (a trigger refuses UPDATE and DELETE): who, when, old, new, reason (R9).

    Partitioned by school year on ``at`` (``core.audit_partitions``; migration 0024), so
    the primary key holds ``at`` too. The partitions are not in the models."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_school_at", "school_id", "at"),
        Index("ix_audit_log_binding_at", "binding_id", "at"),
        # A pupil's mark changes, then the changed marks' rows, shown to the family (R9;
        # core/marks/history.py).
        Index(
            "ix_audit_log_mark_change",
            text("(CAST(entity_key ->> 'pupil_id' AS integer))"),
            "at",
            postgresql_where=text("entity = 'mark' AND action <> 'mark.add'"),
        ),
        Index(
            "ix_audit_log_mark",
            text("(CAST(entity_key ->> 'mark_id' AS bigint))"),
            postgresql_where=text("entity = 'mark'"),
        ),
        {"postgresql_partition_by": "RANGE (at)"},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # The binding (Telegram account) the change was made through (R3); None: the command
    # line. No foreign key: the log is append-only and keeps the id as history.
    binding_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(20))
    entity_key: Mapped[dict[str, Any]]
    old: Mapped[dict[str, Any] | None]
    new: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(BigInteger)


class CorrectionRequest(Base):
    """A change after the deadline or the edit window, awaiting the deputy (R7, R8)."""

    __tablename__ = "correction_requests"
    __table_args__ = (
        CheckConstraint(_enum_check("status", RequestStatus), name="status"),
        Index("ix_correction_requests_school_status", "school_id", "status"),
        Index("ix_correction_requests_binding", "binding_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.person_id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(20))  # "mark" | "attendance"
    change: Mapped[dict[str, Any]]
    old: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    requested_at: Mapped[datetime]
    # The binding (Telegram account) it was filed through (R3); NULL from the console.
    binding_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("bindings.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(10), server_default=text("'pending'"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]
