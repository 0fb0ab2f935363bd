"""The audit log finds a pupil's mark changes by the pupil, and a changed mark's rows by
the mark: the family's marks screen and the digest show corrections openly (R9)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 08:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_log_mark_change",
        "audit_log",
        [sa.text("(CAST(entity_key ->> 'pupil_id' AS integer))"), "at"],
        postgresql_where=sa.text("entity = 'mark' AND action <> 'mark.add'"),
    )
    op.create_index(
        "ix_audit_log_mark",
        "audit_log",
        [sa.text("(CAST(entity_key ->> 'mark_id' AS bigint))")],
        postgresql_where=sa.text("entity = 'mark'"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_mark", table_name="audit_log")
    op.drop_index("ix_audit_log_mark_change", table_name="audit_log")
