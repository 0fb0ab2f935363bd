"""Alembic environment. The application passes a connection (journal.migrate); the
``alembic`` command line reads the app's settings instead."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from core.audit_partitions import include_name
from core.models import Base

target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    # The audit log's partitions are not in the models (autogenerate leaves them alone).
    context.configure(
        connection=connection, target_metadata=target_metadata, include_name=include_name
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_settings() -> None:
    from school_journal.database import create_engine, open_database
    from school_journal.settings import Settings

    settings = Settings()
    async with open_database(settings.database_url, settings.data_dir) as url:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(run_with)
        await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    asyncio.run(run_from_settings())
